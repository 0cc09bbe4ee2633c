/** Systems as the node sees them (effective base URLs, mocks) and what mocks received. */
import { Type, type Static } from '@sinclair/typebox'
import { SwitchboardError } from '../../core/errors.js'
import type { AdminRouteModule } from '../route-module.js'
import type { AdminDeps } from '../deps.js'
import { ListOf, NameParam, ProblemSchema } from '../schemas.js'

const SystemView = Type.Object({
  name: Type.String(),
  owner: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  baseUrls: Type.Array(Type.String(), { description: 'Effective base URLs (for a mock, the URL it listens on).' }),
  mock: Type.Boolean({ description: 'Served by Switchboard itself from `mock:` responses.' }),
  openapi: Type.Union([Type.String(), Type.Null()], { description: 'Path of the system’s OpenAPI document, if any.' }),
})

const RecordedRequest = Type.Object({
  at: Type.String({ format: 'date-time' }),
  method: Type.String(),
  path: Type.String(),
  query: Type.Object({}, { additionalProperties: true }),
  headers: Type.Record(Type.String(), Type.String(), { description: 'Credentials are redacted.' }),
  body: Type.Unknown(),
  status: Type.Integer({ description: 'Status the mock answered with.' }),
  matched: Type.Union([Type.Integer(), Type.Literal('openapi'), Type.Null()], { description: 'Index in mock.responses, `openapi`, or null (no match).' }),
})

export const registerSystemRoutes: AdminRouteModule = (app, deps) => {
  app.get(
    '/v1/systems',
    {
      schema: { summary: 'Systems, ordered by name', tags: ['systems'], response: { 200: ListOf(SystemView) } },
    },
    async () => {
      const systems = deps.config().config.systems ?? {}
      return {
        items: Object.keys(systems)
          .sort()
          .map((name) => {
            const s = systems[name]
            return {
              name,
              owner: s?.owner ?? null,
              description: s?.description ?? null,
              baseUrls: [...(deps.effectiveBaseUrls.get(name) ?? [])],
              mock: s?.mock !== undefined,
              openapi: s?.openapi ?? null,
            }
          }),
      }
    },
  )

  app.get<{ Params: Static<typeof NameParam> }>(
    '/v1/systems/:name/mock/requests',
    {
      schema: {
        summary: 'Requests a mock system received, newest first (kept in memory, last `mock.record`)',
        tags: ['systems'],
        params: NameParam,
        response: { 200: ListOf(RecordedRequest), 404: ProblemSchema },
      },
    },
    async (req) => ({
      items: mockOf(deps, req.params.name)
        .requests()
        .map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
    }),
  )

  app.delete<{ Params: Static<typeof NameParam> }>(
    '/v1/systems/:name/mock/requests',
    {
      schema: {
        summary: 'Forget the requests a mock system received',
        tags: ['systems'],
        params: NameParam,
        response: { 204: Type.Null({ description: 'Cleared.' }), 404: ProblemSchema },
      },
    },
    async (req, reply) => {
      mockOf(deps, req.params.name).clearRequests()
      return reply.code(204).send()
    },
  )
}

function mockOf(deps: AdminDeps, name: string) {
  const mock = deps.mocks.get(name)
  if (mock) return mock
  const known = Object.hasOwn(deps.config().config.systems ?? {}, name)
  throw new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', known ? `system "${name}" is not a mock system` : `system "${name}" does not exist`)
}
