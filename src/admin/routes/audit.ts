/** The audit log: who changed what, newest first, paged by id. */
import { Type, type Static } from '@sinclair/typebox'
import type { AdminRouteModule } from '../route-module.js'
import { IsoTime, LimitQuery, ListOf, iso } from '../schemas.js'

const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: IsoTime(),
  actor: Type.String(),
  action: Type.String({ description: 'e.g. `config.applied`, `consumer.removed`.' }),
  target: Type.Union([Type.String(), Type.Null()]),
  details: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
})

const AuditQuery = Type.Object({
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Only this action.' })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Only this target.' })),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only entries with a smaller id (pass `next` from the previous page).' })),
  limit: Type.Optional(LimitQuery),
})

export const registerAuditRoutes: AdminRouteModule = (app, deps) => {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/v1/audit',
    {
      schema: {
        summary: 'Audit log entries, newest first',
        tags: ['audit'],
        querystring: AuditQuery,
        response: { 200: ListOf(AuditEntry, { next: Type.Union([Type.Integer(), Type.Null()], { description: 'Pass as `before` for the next page; null on the last page.' }) }) },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100
      const rows = await deps.store.audit.list({ ...req.query, limit })
      const last = rows.at(-1)
      return {
        items: rows.map((r) => ({ ...r, at: iso(r.at) })),
        next: rows.length === limit && last ? last.id : null,
      }
    },
  )
}
