/**
 * The admin API server (its own port, default 8081). Everything except the health probes and
 * the OpenAPI document needs `Authorization: Bearer <admin token>`, checked in constant time.
 * Every error — ours, fastify's, the HTTP parser's, 404s — is problem+json with a stable code.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import { SwitchboardError } from '../core/errors.js'
import { newRequestId } from '../core/ids.js'
import { DEFAULT_HTTP_LIMITS, fastifyServerOptions, type HttpLimits } from '../core/http-limits.js'
import { PROBLEM_CONTENT_TYPE, toSwitchboardError } from '../core/http-problem.js'
import type { AdminDeps } from './deps.js'
import { buildOpenApiDocument, collectRoutes, type OpenApiDocument } from './openapi.js'
import type { AdminRouteModule } from './route-module.js'
import { ADMIN_ROUTE_MODULES } from './routes/index.js'

export interface AdminServerOptions {
  limits?: HttpLimits
  /** Route modules (default: all of {@link ADMIN_ROUTE_MODULES}). */
  modules?: readonly AdminRouteModule[]
  /** Version shown in the OpenAPI document. */
  version?: string
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/
const BEARER_RE = /^Bearer +([^\s]+) *$/i

/** Builds (does not listen) the admin server. Use `app.inject()` in tests, `app.listen()` to serve. */
export async function buildAdminServer(deps: AdminDeps, options: AdminServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...fastifyServerOptions(options.limits ?? DEFAULT_HTTP_LIMITS),
    ...(deps.logger ? { loggerInstance: deps.logger.child({ server: 'admin' }) as FastifyBaseLogger } : { logger: false }),
    // Requests are logged once, at debug, by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    // Long parameters reach the route's schema (a 400 naming the limit) rather than a bare 414.
    routerOptions: { maxParamLength: 1000 },
    // A client-sent X-Request-Id is kept when it is short and plain (it ends up in logs).
    genReqId: (req) => {
      const sent = req.headers['x-request-id']
      return typeof sent === 'string' && REQUEST_ID_RE.test(sent) ? sent : newRequestId()
    },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: true } },
    // Errors the router raises before any route runs (a path parameter over the length limit,
    // bad percent-encoding) are problem+json too, not fastify's own JSON.
    frameworkErrors: (err, req, reply) => sendProblem(reply, toSwitchboardError(err, { validationCode: 'SB_ERR_ADMIN_BAD_REQUEST' }), req.url),
  }) as unknown as FastifyInstance

  const routes = collectRoutes(app)

  // `Content-Type: application/json` with an empty body (curl -X DELETE -H … habits) is no body,
  // not malformed JSON; anything else goes to fastify's parser (prototype-poisoning checks).
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') return done(null, undefined)
    void parseJson(req, body as string, done)
  })

  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config?.public === true) return
    const m = BEARER_RE.exec(req.headers.authorization ?? '')
    if (!m?.[1] || !deps.verifyToken(m[1])) {
      throw new SwitchboardError('SB_ERR_ADMIN_UNAUTHORIZED', m ? 'the admin token is not valid' : 'an admin bearer token is required')
    }
  })
  // Routes whose body is optional (`schema.bodyOptional`) validate a missing body as `{}`.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined && req.routeOptions.schema?.bodyOptional === true) req.body = {}
  })
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id)
    reply.header('cache-control', 'no-store')
  })
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'admin request')
  })

  app.setErrorHandler((err, req, reply) => {
    const sbErr = adminError(toSwitchboardError(err, { validationCode: 'SB_ERR_ADMIN_BAD_REQUEST' }))
    if (sbErr.status >= 500 && sbErr.code !== 'SB_ERR_ADMIN_NOT_READY') req.log.error({ err }, 'admin request failed')
    return sendProblem(reply, sbErr, req.url)
  })
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', `no admin endpoint ${req.method} ${req.url.split('?', 1)[0]}`), req.url),
  )

  for (const register of options.modules ?? ADMIN_ROUTE_MODULES) await register(app, deps)

  let doc: OpenApiDocument | undefined
  app.get(
    '/openapi.json',
    { config: { public: true }, schema: { summary: 'This OpenAPI 3.1 document', tags: ['meta'] } },
    async () => (doc ??= buildOpenApiDocument(routes, options.version ?? '0.0.0')),
  )
  return app
}

/**
 * One code per answer kind for API clients: a row the store did not find (an unknown consumer
 * for a new key, an id in a DLQ batch) is the admin API's 404 like any other missing resource.
 */
function adminError(err: SwitchboardError): SwitchboardError {
  if (err.code !== 'SB_ERR_STORE_NOT_FOUND') return err
  return new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', err.message, { cause: err, ...(err.details ? { details: err.details } : {}) })
}

function sendProblem(reply: FastifyReply, err: SwitchboardError, url: string): FastifyReply {
  if (err.code === 'SB_ERR_ADMIN_UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="switchboard-admin"')
  const problem = err.toProblem(url.split('?', 1)[0])
  problem.requestId = reply.request.id
  return reply.code(err.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem))
}
