/**
 * Compiles one `routes[i]` entry into what fastify registers: method, path, host constraint and
 * a handler running the route's policy steps then its action. Every option is checked here, at
 * boot — schemas compiled, expressions parsed, systems and OpenAPI operations looked up — so a
 * bad option fails the start with `route "id": routes[i].field: why`, never a request.
 *
 * Step order (each may reject): CORS headers → IP allow/deny → declared body length → raw body
 * (signed webhooks only) → authentication and access → rate limits → quota → JSON body →
 * validation → request transform → action (proxy or publish).
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { isAbsolute, resolve } from 'node:path'
import type { Clock } from '../../core/clock.js'
import { SwitchboardError } from '../../core/errors.js'
import { durationMs } from '../../core/duration.js'
import { HTTP_METHODS } from '../../config/spec/common.js'
import type { ConsumerConfig } from '../../config/spec/consumer.js'
import type { AuthDefaultsConfig } from '../../config/spec/root.js'
import type { RouteConfig } from '../../config/spec/route.js'
import type { SystemConfig } from '../../config/spec/system.js'
import type { Store } from '../../store/contract.js'
import type { Systems } from '../../systems/index.js'
import { loadOpenApiDocument } from '../../systems/mock/openapi-examples.js'
import { buildAccess } from '../auth/access.js'
import { buildAuth } from '../auth/compose.js'
import type { AuthResult } from '../auth/policy.js'
import type { Exchange, Step } from '../exchange.js'
import { corsPolicy, type CorsPolicy } from '../policies/cors.js'
import { credentialHider } from '../policies/credentials.js'
import { deprecationHeaders } from '../policies/deprecation.js'
import { compileHeaderOps } from '../policies/headers.js'
import { declaredLengthStep, parseBodyStep, readBodyStep, resolveLimits } from '../policies/limits.js'
import { rateLimitStep, type RateLimitDeps } from '../policies/rate-limit.js'
import { compileTransform } from '../policies/transform.js'
import { operationSchemas } from '../policies/openapi.js'
import { compileSchema, loadSchema, lowerCaseHeaderSchema, validationStep, type CompiledValidation, type Validators } from '../policies/validate.js'
import { proxyAction } from '../proxy.js'
import { publishAction, type EventPublisher } from '../publish.js'
import { compileResponsePlan } from '../response-plan.js'
import { routeHandler, type Action, type RouteProgram } from './handler.js'
import { hostConstraint } from './host.js'
import { compileUpstreamPath, routePathShape } from './upstream-path.js'

/** Everything shared by the routes of one gateway. */
export interface CompileContext {
  configDir: string
  systems: Systems
  systemConfigs: Readonly<Record<string, SystemConfig>>
  store: Store
  publisher: EventPublisher | undefined
  clock: Clock
  consumers: ReadonlyMap<string, Readonly<ConsumerConfig>>
  authDefaults: AuthDefaultsConfig | undefined
  rateLimits: RateLimitDeps
  /** The shared quota step (undefined when no consumer has a quota). */
  quota: Step | undefined
  validators: Validators
  /** OpenAPI documents by system name, loaded once. */
  openapiDocs: Map<string, Promise<Record<string, unknown>>>
  /** Unexpected (500) errors go here, with the route and request id; refusals never do. */
  onInternalError: RouteProgram['onInternalError']
  /** Set to closing when the gateway drains. */
  gate: RouteProgram['gate']
  /** Header naming the API version (`versioning.header`); versioned routes echo it. */
  versionHeader: string
}

export interface CompiledRoute {
  id: string
  /** Upper-case method. */
  method: string
  path: string
  /** fastify route constraint for `host`, if any. */
  host: RegExp | undefined
  /** `version`, when the route has one (see router/versions.ts). */
  version: string | undefined
  deprecated: boolean
  cors: CorsPolicy | undefined
  handler: ReturnType<typeof routeHandler>
  /** Releases auth caches and timers. */
  close(): void
}

function configError(where: string, message: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: ${message}`)
}

function methodAndPath(route: RouteConfig, where: string): { method: string; path: string } {
  const present = HTTP_METHODS.filter((m) => route[m] !== undefined)
  if (present.length !== 1) throw configError(where, `needs exactly one method key (${HTTP_METHODS.join(', ')}), found ${present.length ? present.join(', ') : 'none'}`)
  const key = present[0] as (typeof HTTP_METHODS)[number]
  return { method: key.toUpperCase(), path: route[key] as string }
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown }).then === 'function'
}

async function openapiDoc(ctx: CompileContext, system: string, where: string): Promise<Record<string, unknown>> {
  const file = ctx.systemConfigs[system]?.openapi
  if (file === undefined) throw configError(where, `system "${system}" has no \`openapi\` document`)
  let doc = ctx.openapiDocs.get(system)
  if (doc === undefined) {
    doc = loadOpenApiDocument(isAbsolute(file) ? file : resolve(ctx.configDir, file), `systems.${system}.openapi`)
    ctx.openapiDocs.set(system, doc)
  }
  return doc
}

async function compileValidation(route: RouteConfig, method: string, ctx: CompileContext, where: string): Promise<CompiledValidation | undefined> {
  const v = route.request?.validate
  if (v === undefined) return undefined
  const at = `${where}.request.validate`
  const out: CompiledValidation = {}
  const { json, strings } = ctx.validators
  if (v.openapi === true) {
    if (!route.proxy) throw configError(`${at}.openapi`, 'needs a `proxy` route (the operation is found in the proxied system’s document)')
    const doc = await openapiDoc(ctx, route.proxy.system, `${at}.openapi`)
    const ops = operationSchemas(doc, route.proxy.method ?? method, route.proxy.path ?? methodAndPath(route, where).path, `${at}.openapi`)
    if (ops.body) out.body = compileSchema(json, ops.body, `${at}.openapi (request body)`)
    out.bodyRequired = ops.bodyRequired
    if (ops.query) out.query = compileSchema(strings, ops.query, `${at}.openapi (query)`)
    if (ops.params) out.params = compileSchema(strings, ops.params, `${at}.openapi (path)`)
    if (ops.headers) out.headers = compileSchema(strings, ops.headers, `${at}.openapi (headers)`)
  }
  // Explicit schemas win over the OpenAPI ones for the same location.
  if (v.body !== undefined) {
    out.body = compileSchema(json, await loadSchema(v.body, ctx.configDir, `${at}.body`), `${at}.body`)
    delete out.bodyRequired
  }
  if (v.query !== undefined) out.query = compileSchema(strings, await loadSchema(v.query, ctx.configDir, `${at}.query`), `${at}.query`)
  if (v.params !== undefined) out.params = compileSchema(strings, await loadSchema(v.params, ctx.configDir, `${at}.params`), `${at}.params`)
  if (v.headers !== undefined) {
    out.headers = compileSchema(strings, lowerCaseHeaderSchema(await loadSchema(v.headers, ctx.configDir, `${at}.headers`)), `${at}.headers`)
  }
  return out
}

/**
 * Headers on every answer of the route: deprecation, and for a versioned route the version
 * served (in the version header, with `Vary` on it since the header picks the answer).
 */
function staticHeaders(route: RouteConfig, versionHeader: string, where: string): OutgoingHttpHeaders | undefined {
  const deprecation = deprecationHeaders(route.deprecated, `${where}.deprecated`)
  if (route.version === undefined) return deprecation
  return { ...deprecation, [versionHeader.toLowerCase()]: route.version, vary: versionHeader }
}

async function compile(route: RouteConfig, index: number, ctx: CompileContext): Promise<CompiledRoute> {
  const where = `routes[${index}]`
  const { method, path } = methodAndPath(route, where)
  if ((route.proxy === undefined) === (route.publish === undefined)) throw configError(where, 'needs exactly one of `proxy` or `publish`')
  const shape = routePathShape(path, `${where}.${method.toLowerCase()}`)
  const limits = resolveLimits(route.limits)
  const validation = await compileValidation(route, method, ctx, where)
  const requestTransform = route.request?.transform ? compileTransform(route.request.transform, 'request', `${where}.request.transform`) : undefined
  const needsJson = validation?.body !== undefined || requestTransform !== undefined || route.publish !== undefined

  const auth = route.auth === undefined && route.scopes === undefined && route.consumers === undefined ? undefined : buildAuth(route.auth, { store: ctx.store, consumers: ctx.consumers, clock: ctx.clock }, { defaults: ctx.authDefaults, at: `${where}.auth` })
  try {
    const access = buildAccess({ scopes: route.scopes, consumers: route.consumers, ip: route.ip }, where)
    const cors = route.cors ? corsPolicy(route.cors, [method], `${where}.cors`) : undefined
    const steps: Step[] = []
    if (cors) steps.push(cors.step)
    if (route.ip) {
      steps.push((x) => {
        const denied = access.checkIp(x.clientIp)
        if (denied) throw denied
      })
    }
    steps.push(declaredLengthStep(limits.bodyBytes))
    const needsRaw = auth?.needsRawBody === true
    if (needsRaw) steps.push(readBodyStep(limits.bodyBytes, needsJson))
    if (auth) {
      const { clock } = ctx
      const www = auth.wwwAuthenticate
      const settle = (x: Exchange, r: AuthResult): void => {
        const err = r.ok ? access.checkPrincipal(r.principal) : r.reason === 'invalid' ? r.error : new SwitchboardError('SB_ERR_AUTH_MISSING', 'authentication required')
        if (r.ok) x.principal = r.principal
        if (err) {
          if (err.status === 401 && www !== undefined) x.headers['www-authenticate'] = www
          throw err
        }
      }
      steps.push((x) => {
        const r = auth.authenticate({ headers: x.req.headers, query: x.query, rawBody: x.rawBody, now: clock.now() })
        if (isPromise(r)) return r.then((res) => settle(x, res))
        settle(x, r)
      })
    }
    const rateLimit = rateLimitStep(route.id, route.rateLimit, ctx.rateLimits, `${where}.rateLimit`)
    if (rateLimit) steps.push(rateLimit)
    if (ctx.quota) steps.push(ctx.quota)
    // A signed-webhook route read its body before auth; a proxy forwards those verified bytes.
    if (needsJson) {
      if (!needsRaw) steps.push(readBodyStep(limits.bodyBytes, true))
      steps.push(parseBodyStep(limits.depth))
    }
    if (validation) steps.push(validationStep(validation))
    if (requestTransform) {
      steps.push(async (x) => {
        x.body = await requestTransform.apply(x.body, { headers: x.req.headers, query: x.query, params: x.params, consumer: x.principal?.consumer ?? null })
        x.bodyReplaced = true
      })
    }

    let action: Action
    if (route.proxy) {
      const p = route.proxy
      if (!ctx.systems.has(p.system)) throw configError(`${where}.proxy.system`, `unknown system "${p.system}" (declared: ${Object.keys(ctx.systemConfigs).join(', ') || 'none'})`)
      action = proxyAction({
        client: ctx.systems.get(p.system),
        method: p.method,
        path: compileUpstreamPath(p.path ?? path, shape, `${where}.proxy.path`),
        timeoutMs: p.timeout === undefined ? undefined : durationMs(p.timeout),
        bodyLimit: limits.bodyBytes,
        requestHeaders: compileHeaderOps(route.request?.headers, `${where}.request.headers`),
        hideCredentials: credentialHider(route.auth, ctx.authDefaults),
        response: compileResponsePlan(route.response, limits.responseBytes, `${where}.response`),
      })
    } else {
      if (route.response !== undefined) throw configError(`${where}.response`, 'a publish route has no upstream response to shape')
      action = publishAction(route.publish as NonNullable<RouteConfig['publish']>, ctx.publisher, `${where}.publish`)
    }

    const program: RouteProgram = {
      id: route.id,
      path,
      steps,
      action,
      staticHeaders: staticHeaders(route, ctx.versionHeader, where),
      timeoutMs: limits.timeoutMs,
      onInternalError: ctx.onInternalError,
      gate: ctx.gate,
    }
    return {
      id: route.id,
      method,
      path,
      host: route.host === undefined ? undefined : hostConstraint(route.host, `${where}.host`),
      version: route.version,
      deprecated: route.deprecated !== undefined,
      cors,
      handler: routeHandler(program),
      close: () => auth?.close(),
    }
  } catch (err) {
    auth?.close()
    throw err
  }
}

/** Compiles `routes[index]`; config errors are prefixed with the route id. */
export async function compileRoute(route: RouteConfig, index: number, ctx: CompileContext): Promise<CompiledRoute> {
  try {
    return await compile(route, index, ctx)
  } catch (err) {
    if (err instanceof SwitchboardError && err.code === 'SB_ERR_CONFIG_INVALID') {
      throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `route "${route.id}": ${err.message}`, { cause: err.cause ?? err })
    }
    throw err
  }
}
