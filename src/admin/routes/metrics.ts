/**
 * `GET /metrics`: the node's Prometheus metrics in the text exposition format. It needs the admin
 * token like the rest of the API, unless `observe.metrics.public: true` opens it to scrapers
 * that cannot send one (decided when the server is built: a config change needs a restart).
 */
import { Type } from '@sinclair/typebox'
import { SwitchboardError } from '../../core/errors.js'
import { metricsResponse } from '../../observe/metrics-endpoint.js'
import type { AdminRouteModule } from '../route-module.js'
import { ProblemSchema } from '../schemas.js'

export const registerMetricsRoutes: AdminRouteModule = (app, deps) => {
  const isPublic = deps.config().config.observe?.metrics?.public === true
  app.get(
    '/metrics',
    {
      config: { public: isPublic },
      schema: {
        summary: 'Prometheus metrics of this node (text exposition format 0.0.4)',
        description:
          'Every metric is listed in docs/reference/metrics.md. Needs the admin token unless `observe.metrics.public: true`. The answer is `text/plain; version=0.0.4`, not JSON.',
        tags: ['observe'],
        produces: 'text/plain',
        response: {
          200: Type.String({ description: 'The metrics, as `text/plain; version=0.0.4; charset=utf-8`.' }),
          503: { ...ProblemSchema, description: 'This node runs no metrics registry (SB_ERR_ADMIN_NOT_READY).' },
        },
      },
    },
    async (_req, reply) => {
      const metrics = deps.observe?.metrics
      if (metrics === undefined) throw new SwitchboardError('SB_ERR_ADMIN_NOT_READY', 'this node has no metrics registry')
      const res = await metricsResponse(metrics)
      // A string with a non-JSON content type is sent as is (no serialisation by the schema).
      return reply.type(res.contentType).send(res.body)
    },
  )
}
