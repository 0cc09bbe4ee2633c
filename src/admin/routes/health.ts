/**
 * Liveness and readiness probes (no token: load balancers and orchestrators call them), and the
 * health summary `GET /v1/health` (token: it names systems, routes and flows).
 */
import { Type } from '@sinclair/typebox'
import { SwitchboardError } from '../../core/errors.js'
import type { AdminRouteModule } from '../route-module.js'
import { IsoTime, ProblemSchema } from '../schemas.js'

const Status = Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('failing')])
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])
const Judged = { status: Status, reasons: Type.Array(Type.String()) }
const Rate = (description: string) => Nullable(Type.Number({ minimum: 0, maximum: 1, description }))
const P95 = Nullable(Type.Number({ minimum: 0, description: '95th percentile latency in ms (within a factor 1.25); null without samples.' }))
const LastError = Nullable(Type.Object({ code: Type.String({ description: 'Stable error code, or `HTTP <status>`.' }), at: IsoTime() }))
const Count = () => Type.Integer({ minimum: 0 })

const HealthSummarySchema = Type.Object({
  status: Status,
  reasons: Type.Array(Type.String(), { description: 'Every cause of a status other than ok, prefixed with its entity (`system erp: circuit open for 2m`).' }),
  at: IsoTime(),
  windowMs: Type.Integer({ description: 'Window of the figures (`observe.health.window`).' }),
  systems: Type.Array(
    Type.Object({
      system: Type.String(),
      circuit: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')]),
      circuitSince: Nullable(IsoTime('When the circuit entered its state.')),
      circuitOpenSince: Nullable(IsoTime('When the circuit last left closed (null while closed).')),
      calls: Count(),
      failures: Count(),
      refused: Type.Integer({ minimum: 0, description: 'Calls refused on this side (circuit open, own rate limit) or aborted.' }),
      successRate: Rate('(calls − failures) / calls.'),
      p95Ms: P95,
      lastError: LastError,
      ...Judged,
    }),
  ),
  routes: Type.Array(Type.Object({ route: Type.String(), requests: Count(), errors: Count(), errorRate: Rate('5xx answers / requests.'), p95Ms: P95, ...Judged })),
  flows: Type.Array(
    Type.Object({
      flow: Type.String(),
      delivered: Count(),
      failed: Count(),
      deferred: Count(),
      dead: Count(),
      errorRate: Rate('(failed + dead) / attempts.'),
      p95Ms: P95,
      pending: Nullable(Count()),
      oldestPendingAgeMs: Nullable(Type.Number({ minimum: 0 })),
      dlqDepth: Nullable(Count()),
      ...Judged,
    }),
  ),
  pollers: Type.Array(
    Type.Object({
      poller: Type.String(),
      runs: Count(),
      failures: Count(),
      consecutiveFailures: Count(),
      lastRunAt: Nullable(IsoTime()),
      lastOkAt: Nullable(IsoTime()),
      lastError: LastError,
      ...Judged,
    }),
  ),
})

export const registerHealthRoutes: AdminRouteModule = (app, deps) => {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        summary: 'Liveness: the process is up and serving HTTP',
        tags: ['health'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        summary: 'Readiness: the store answers and the node is not shutting down',
        tags: ['health'],
        response: {
          200: Type.Object({ status: Type.Literal('ready'), store: Type.String({ description: 'Store description (no password).' }) }),
          503: { ...ProblemSchema, description: 'Not ready (SB_ERR_ADMIN_NOT_READY).' },
        },
      },
    },
    async () => {
      if (deps.isShuttingDown?.()) throw new SwitchboardError('SB_ERR_ADMIN_NOT_READY', 'shutting down')
      try {
        await deps.store.ping()
      } catch (err) {
        throw new SwitchboardError('SB_ERR_ADMIN_NOT_READY', `store ${deps.store.description} does not answer`, { cause: err })
      }
      return { status: 'ready' as const, store: deps.store.description }
    },
  )

  app.get(
    '/v1/health',
    {
      schema: {
        summary: 'Health summary of this node: systems, routes, flows and pollers judged ok / degraded / failing, with the reasons',
        description: 'Figures cover `observe.health.window` (default 5 min) of this node’s traffic; circuit state is this node’s breakers; queue figures come from the store. The overall status is the worst of any entity.',
        tags: ['health'],
        response: { 200: HealthSummarySchema, 503: { ...ProblemSchema, description: 'This node runs no health tracker (SB_ERR_ADMIN_NOT_READY).' } },
      },
    },
    async () => {
      const health = deps.observe?.health
      if (health === undefined) throw new SwitchboardError('SB_ERR_ADMIN_NOT_READY', 'this node has no health tracker')
      return health.summary()
    },
  )
}
