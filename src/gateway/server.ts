/**
 * The gateway's HTTP server: fastify for routing only. Node's HTTP server is created here
 * (`serverFactory`) so its parser limits are ours: `maxHeaderSize` (431 above), `headersTimeout`
 * and `requestTimeout` against slow clients, checked every second instead of Node's default
 * 30 s. Every refusal — parser errors, unknown routes (404, or 405 with `Allow` when the path is
 * routed for other methods), bad URLs, fastify's own errors — is
 * problem+json. Bodies are not parsed by fastify at all: a catch-all content-type parser hands
 * the raw stream to the route, which streams it upstream or buffers it when a policy needs it.
 */
import { createServer as createHttpServer } from 'node:http'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { SwitchboardError } from '../core/errors.js'
import { handleClientError } from '../core/http-problem.js'
import { corsRejected, type CorsPolicy } from './policies/cors.js'
import { refuse } from './refuse.js'
import type { CompiledRoute } from './router/compile.js'
import { registrations, type Versioning } from './router/versions.js'

export interface ServerLimits {
  /** Largest request head in bytes (431 above). */
  maxHeaderSize: number
  /** Time for a client to send the request head (408 after). */
  headersTimeoutMs: number
  /** Time for a client to send the whole request (408 after). */
  requestTimeoutMs: number
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number
}

export const SERVER_DEFAULTS: ServerLimits = { maxHeaderSize: 16_384, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000 }

const FRAMEWORK_ERROR_CODES: Record<string, () => SwitchboardError> = {
  FST_ERR_BAD_URL: () => new SwitchboardError('SB_ERR_HTTP_BAD_REQUEST', 'the URL is not valid percent-encoding'),
  FST_ERR_MAX_PARAM_LENGTH: () => new SwitchboardError('SB_ERR_GATEWAY_BAD_PARAM', 'a path parameter is too long', { status: 414 }),
}

function frameworkError(err: Error & { code?: string }): unknown {
  const make = err.code === undefined ? undefined : FRAMEWORK_ERROR_CODES[err.code]
  return make ? make() : err
}

/** Methods the router could answer; OPTIONS counts only when a route or a preflight serves it. */
const ROUTABLE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/**
 * The methods other than the request's that have a route for the request's URL and host. Asked of fastify's own router, so it agrees with routing exactly
 * (parameters, wildcards, host constraints). Only refusals pay for it.
 */
function allowedMethods(app: FastifyInstance, request: FastifyRequest): string[] {
  const host = request.raw.headers.host
  const constraints = host === undefined ? {} : { host }
  const allowed: string[] = []
  for (const method of ROUTABLE_METHODS) {
    if (method === request.method) continue
    if (app.findRoute({ method, url: request.url, constraints }) !== null) allowed.push(method)
  }
  return allowed
}

/** 405 with `Allow` when other methods are routed on this URL, else 404. */
function noRoute(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): void {
  reply.hijack()
  const path = (request.url.split('?')[0] ?? '/').slice(0, 200)
  const allowed = allowedMethods(app, request)
  if (allowed.length === 0) {
    refuse(request.raw, reply.raw, new SwitchboardError('SB_ERR_GATEWAY_NO_ROUTE', `no route for ${request.method} ${path}`))
    return
  }
  const allow = allowed.join(', ')
  const err = new SwitchboardError('SB_ERR_GATEWAY_METHOD_NOT_ALLOWED', `${request.method} is not routed on ${path}; allowed: ${allow}`, { details: { allow: allowed } })
  refuse(request.raw, reply.raw, err, { allow })
}

/**
 * One OPTIONS route answering CORS preflights for the routes sharing a path (and host). A plain
 * OPTIONS request (no preflight headers) is not routed: 405 with the path's methods.
 */
function preflightHandler(app: FastifyInstance, policies: ReadonlyMap<string, CorsPolicy>) {
  return (request: FastifyRequest, reply: FastifyReply): void => {
    const req = request.raw
    const origin = req.headers.origin
    const wanted = req.headers['access-control-request-method']
    if (origin === undefined || wanted === undefined) {
      noRoute(app, request, reply)
      return
    }
    reply.hijack()
    const policy = policies.get(wanted.toUpperCase())
    const headers = policy?.preflight(origin, wanted, req.headers['access-control-request-headers'])
    if (headers === undefined) {
      refuse(req, reply.raw, corsRejected())
      return
    }
    headers['content-length'] = 0
    reply.raw.writeHead(204, headers)
    reply.raw.end()
  }
}

/** Builds the fastify instance with `routes` registered (not listening yet). */
export function createServer(routes: readonly CompiledRoute[], limits: ServerLimits, versioning: Versioning): FastifyInstance {
  const app = Fastify({
    logger: false,
    exposeHeadRoutes: false,
    // Routes answer their own problem+json 503 while draining (see router/handler.ts).
    return503OnClosing: false,
    // Long ids must route (and be checked) rather than fall into a confusing 404.
    routerOptions: { maxParamLength: 1000 },
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    serverFactory: (handler) => {
      const server = createHttpServer(
        {
          maxHeaderSize: limits.maxHeaderSize,
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          // Node only looks for expired headers/request timeouts this often (30 s by default).
          connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
        },
        handler,
      )
      return server
    },
    clientErrorHandler: handleClientError,
    frameworkErrors: (err, request, reply) => {
      reply.hijack()
      refuse(request.raw, reply.raw, frameworkError(err))
    },
  })

  // No body parsing here: the route decides whether to stream or buffer (see limits.ts).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))

  app.setNotFoundHandler((request, reply) => noRoute(app, request, reply))
  app.setErrorHandler((err, request, reply) => {
    reply.hijack()
    refuse(request.raw, reply.raw, err)
  })

  const preflights = new Map<string, { path: string; host: RegExp | undefined; policies: Map<string, CorsPolicy> }>()
  const explicitOptions = new Set<string>()
  // Versions of one endpoint become one fastify route (router/versions.ts).
  for (const r of registrations(routes, versioning)) {
    const key = `${r.host?.source ?? ''} ${r.path}`
    if (r.method === 'OPTIONS') explicitOptions.add(key)
    if (r.cors) {
      const group = preflights.get(key) ?? { path: r.path, host: r.host, policies: new Map() }
      group.policies.set(r.method, r.cors)
      preflights.set(key, group)
    }
    registerRoute(app, r.method, r.path, r.host, r.handler, r.label)
  }
  for (const [key, group] of preflights) {
    // A configured OPTIONS route on the same path takes the preflights over (it is proxied).
    if (!explicitOptions.has(key)) registerRoute(app, 'OPTIONS', group.path, group.host, preflightHandler(app, group.policies), `${key} (CORS preflight)`)
  }
  return app
}

function registerRoute(
  app: FastifyInstance,
  method: string,
  url: string,
  host: RegExp | undefined,
  handler: (request: FastifyRequest, reply: FastifyReply) => void,
  label: string,
): void {
  try {
    app.route({ method, url, handler, ...(host === undefined ? {} : { constraints: { host } }) })
  } catch (err) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `route "${label}": cannot register ${method} ${url}: ${(err as Error).message}`, { cause: err })
  }
}
