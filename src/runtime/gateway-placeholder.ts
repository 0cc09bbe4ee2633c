/**
 * Stand-in for the gateway listener until the gateway is built: it applies the same server
 * limits and answers every request with 404 problem+json SB_ERR_GATEWAY_NO_ROUTE.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { SwitchboardError } from '../core/errors.js'
import { fastifyServerOptions, type HttpLimits } from '../core/http-limits.js'
import { PROBLEM_CONTENT_TYPE, toSwitchboardError } from '../core/http-problem.js'

export function buildGatewayPlaceholder(limits: HttpLimits): FastifyInstance {
  const app = Fastify({ ...fastifyServerOptions(limits), logger: false }) as unknown as FastifyInstance
  app.setErrorHandler((err, req, reply) => {
    const sbErr = toSwitchboardError(err)
    return reply.code(sbErr.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(sbErr.toProblem(req.url.split('?', 1)[0])))
  })
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?', 1)[0] ?? '/'
    const err = new SwitchboardError('SB_ERR_GATEWAY_NO_ROUTE', `no route for ${req.method} ${path}`)
    return reply.code(err.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(err.toProblem(path)))
  })
  return app
}
