/** Liveness and readiness probes (no token: load balancers and orchestrators call them). */
import { Type } from '@sinclair/typebox'
import { SwitchboardError } from '../../core/errors.js'
import type { AdminRouteModule } from '../route-module.js'
import { ProblemSchema } from '../schemas.js'

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
}
