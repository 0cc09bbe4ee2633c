/** The running config (secrets redacted) and its revision history. */
import { Type, type Static } from '@sinclair/typebox'
import { SwitchboardError } from '../../core/errors.js'
import type { AdminRouteModule } from '../route-module.js'
import { IsoTime, LimitQuery, ListOf, ProblemSchema, iso } from '../schemas.js'

const AnyObject = Type.Object({}, { additionalProperties: true })

const RevisionSummary = Type.Object({
  id: Type.Integer(),
  hash: Type.String({ description: 'SHA-256 of the canonical, secret-free config.' }),
  source: Type.String({ description: 'Where the revision came from (the config file).' }),
  actor: Type.String(),
  createdAt: IsoTime(),
})

const RevisionsQuery = Type.Object({ limit: Type.Optional(LimitQuery) })
const RevisionParams = Type.Object({ id: Type.Integer({ minimum: 1 }) })

export const registerConfigRoutes: AdminRouteModule = (app, deps) => {
  app.get(
    '/v1/config',
    {
      schema: {
        summary: 'The running configuration, with defaults applied and every secret redacted',
        tags: ['config'],
        response: {
          200: Type.Object({
            file: Type.String(),
            hash: Type.String(),
            config: AnyObject,
          }),
        },
      },
    },
    async () => {
      const loaded = deps.config()
      return { file: loaded.file, hash: loaded.hash, config: loaded.redacted as Record<string, unknown> }
    },
  )

  app.get<{ Querystring: Static<typeof RevisionsQuery> }>(
    '/v1/config/revisions',
    {
      schema: {
        summary: 'Config revisions, newest first (one is recorded whenever a changed config is applied)',
        tags: ['config'],
        querystring: RevisionsQuery,
        response: { 200: ListOf(RevisionSummary) },
      },
    },
    async (req) => {
      const rows = await deps.store.revisions.list(req.query.limit ?? 50)
      return { items: rows.map((r) => ({ ...r, createdAt: iso(r.createdAt) })) }
    },
  )

  app.get<{ Params: Static<typeof RevisionParams> }>(
    '/v1/config/revisions/:id',
    {
      schema: {
        summary: 'One revision, with its config as written (secret references, never their values)',
        tags: ['config'],
        params: RevisionParams,
        response: { 200: Type.Object({ ...RevisionSummary.properties, config: AnyObject }), 404: ProblemSchema },
      },
    },
    async (req) => {
      const r = await deps.store.revisions.get(req.params.id)
      if (!r) throw new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', `revision ${req.params.id} does not exist`)
      return { ...r, createdAt: iso(r.createdAt), config: r.config as Record<string, unknown> }
    },
  )
}
