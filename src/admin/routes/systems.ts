/**
 * Systems as the node sees them (effective base URLs, mocks, circuit breaker state and passive
 * health of each base URL) and what mocks received. Circuit state is this node's: every node
 * keeps its own breakers.
 */
import { Type, type Static } from '@sinclair/typebox'
import { SwitchboardError } from '../../core/errors.js'
import type { SystemHealth } from '../../systems/index.js'
import type { AdminRouteModule } from '../route-module.js'
import type { AdminDeps } from '../deps.js'
import { IsoTime, ListOf, NameParam, ProblemSchema, iso } from '../schemas.js'

const CircuitStateSchema = Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')], {
  description: 'closed: calls pass; open: calls are refused (503) until the cooldown ends; half-open: probe calls decide. See docs/reference/circuit-breaker.md.',
})

const TargetView = Type.Object({
  baseUrl: Type.String(),
  healthy: Type.Boolean({ description: 'False while the URL is skipped after consecutive failures.' }),
  consecutiveFailures: Type.Integer({ minimum: 0 }),
  downUntil: Type.Union([IsoTime(), Type.Null()]),
})

const CircuitFields = {
  state: CircuitStateSchema,
  openedAt: Type.Union([IsoTime('When the circuit last opened.'), Type.Null()]),
  retryAfterMs: Type.Integer({ minimum: 0, description: 'How long calls are still refused (0 when they may go through).' }),
  windowRequests: Type.Integer({ minimum: 0, description: 'Calls counted in the breaker’s rolling window.' }),
  windowFailures: Type.Integer({ minimum: 0, description: 'Failures (network errors, timeouts, 5xx) among them.' }),
}

const CircuitView = Type.Object({
  system: Type.String(),
  ...CircuitFields,
  targets: Type.Array(TargetView),
  policy: Type.Object(
    {
      failureRate: Type.Number(),
      minRequests: Type.Integer(),
      windowMs: Type.Integer(),
      cooldownMs: Type.Integer(),
      halfOpenProbes: Type.Integer(),
    },
    { description: 'The breaker’s settings (systems.<name>.circuitBreaker, defaults applied).' },
  ),
})

const SystemView = Type.Object({
  name: Type.String(),
  owner: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  baseUrls: Type.Array(Type.String(), { description: 'Effective base URLs (for a mock, the URL it listens on).' }),
  mock: Type.Boolean({ description: 'Served by Switchboard itself from `mock:` responses.' }),
  openapi: Type.Union([Type.String(), Type.Null()], { description: 'Path of the system’s OpenAPI document, if any.' }),
  circuit: Type.Union([Type.Object(CircuitFields), Type.Null()], { description: 'This node’s circuit breaker for the system (null when the node runs no systems layer).' }),
  targets: Type.Array(TargetView, { description: 'Passive health of each base URL.' }),
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
      const health = new Map((deps.systems?.health() ?? []).map((h) => [h.system, h]))
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
              ...healthView(health.get(name)),
            }
          }),
      }
    },
  )

  app.get<{ Params: Static<typeof NameParam> }>(
    '/v1/systems/:name/circuit',
    {
      schema: {
        summary: 'The circuit breaker of one system on this node, with the passive health of its base URLs',
        tags: ['systems'],
        params: NameParam,
        response: {
          200: CircuitView,
          404: { ...ProblemSchema, description: 'No such system (SB_ERR_ADMIN_NOT_FOUND).' },
          503: { ...ProblemSchema, description: 'This node runs no systems layer (SB_ERR_ADMIN_NOT_READY).' },
        },
      },
    },
    async (req) => {
      const name = req.params.name
      if (!Object.hasOwn(deps.config().config.systems ?? {}, name)) throw new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', `system "${name}" does not exist`)
      if (!deps.systems?.has(name)) throw new SwitchboardError('SB_ERR_ADMIN_NOT_READY', `system "${name}" has no client on this node`)
      const client = deps.systems.get(name)
      const h = client.health()
      return { system: name, ...circuitView(h), targets: targetsView(h), policy: { ...client.breaker.options } }
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

function circuitView(h: SystemHealth) {
  return { state: h.state, openedAt: iso(h.openedAt), retryAfterMs: Math.ceil(h.retryAfterMs), windowRequests: h.windowRequests, windowFailures: h.windowFailures }
}

function targetsView(h: SystemHealth) {
  return h.targets.map((t) => ({ ...t, downUntil: iso(t.downUntil) }))
}

function healthView(h: SystemHealth | undefined) {
  return h ? { circuit: circuitView(h), targets: targetsView(h) } : { circuit: null, targets: [] }
}

function mockOf(deps: AdminDeps, name: string) {
  const mock = deps.mocks.get(name)
  if (mock) return mock
  const known = Object.hasOwn(deps.config().config.systems ?? {}, name)
  throw new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', known ? `system "${name}" is not a mock system` : `system "${name}" does not exist`)
}
