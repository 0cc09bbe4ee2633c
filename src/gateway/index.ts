/**
 * The gateway: `createGateway(deps)` compiles every route of the config (all options checked,
 * schemas and expressions compiled — a bad option throws SB_ERR_CONFIG_INVALID naming the route
 * and field) and returns a server ready to `listen`. See docs/reference/gateway.md.
 */
import type { FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { systemClock, type Clock } from '../core/clock.js'
import { SwitchboardError } from '../core/errors.js'
import { durationMs } from '../core/duration.js'
import type { ConsumerConfig, QuotaConfig } from '../config/spec/consumer.js'
import type { RawConfig } from '../config/spec/root.js'
import type { Store } from '../store/contract.js'
import type { Systems } from '../systems/index.js'
import { LocalRateLimitStore, type RateLimitStore, type TokenBucketRule } from './policies/rate-limit-store.js'
import { bucketRule } from './policies/rate-limit.js'
import { quotaStep } from './policies/quota.js'
import { createValidators } from './policies/validate.js'
import type { EventPublisher } from './publish.js'
import { compileRoute, type CompileContext, type CompiledRoute } from './router/compile.js'
import { versioningOptions } from './router/versions.js'
import { createServer, SERVER_DEFAULTS, type ServerLimits } from './server.js'

export type { EventPublisher, PublishRequest, PublishResult } from './publish.js'
export type { RateLimitStore, RateLimitDecision, TokenBucketRule } from './policies/rate-limit-store.js'
export { GATEWAY_REQUEST_CHANNEL, type GatewayRequestMessage } from './diagnostics.js'

export interface GatewayDeps {
  /** The loaded config (defaults applied, secrets resolved). */
  config: Readonly<RawConfig>
  /** Directory of the config file: schema and OpenAPI paths are relative to it. */
  configDir: string
  systems: Systems
  store: Store
  /** The event layer; without it publish routes answer 503. */
  publisher?: EventPublisher
  clock?: Clock
  /** Used only for errors that are not a request's fault (never per request). */
  logger?: Logger
  /** Rate-limit counters; defaults to in-process buckets. */
  rateLimitStore?: RateLimitStore
}

export interface Gateway {
  /** The fastify instance (use `app.inject()` in tests). */
  readonly app: FastifyInstance
  /** The compiled routes, in config order (for the catalog and the admin API). */
  readonly routes: ReadonlyArray<{ id: string; method: string; path: string }>
  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(port: number, host?: string): Promise<AddressInfo>
  /** Stops accepting, lets in-flight requests finish, releases timers and caches. */
  close(): Promise<void>
}

function serverLimits(config: Readonly<RawConfig>): ServerLimits {
  const s = config.server
  const headersTimeoutMs = s?.headersTimeout === undefined ? SERVER_DEFAULTS.headersTimeoutMs : durationMs(s.headersTimeout)
  const requestTimeoutMs = s?.requestTimeout === undefined ? SERVER_DEFAULTS.requestTimeoutMs : durationMs(s.requestTimeout)
  if (requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', 'server.headersTimeout: must not exceed server.requestTimeout')
  }
  return { ...SERVER_DEFAULTS, maxHeaderSize: s?.maxHeaderSize ?? SERVER_DEFAULTS.maxHeaderSize, headersTimeoutMs, requestTimeoutMs }
}

/** Builds the gateway from a loaded config. Nothing listens until {@link Gateway.listen}. */
export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config } = deps
  const clock = deps.clock ?? systemClock
  const consumers = new Map<string, Readonly<ConsumerConfig>>(Object.entries(config.consumers ?? {}))
  const consumerRules = new Map<string, TokenBucketRule>()
  const quotas = new Map<string, QuotaConfig>()
  for (const [name, c] of consumers) {
    if (c.rateLimit) consumerRules.set(name, bucketRule(c.rateLimit, `consumers.${name}.rateLimit`))
    if (c.quota) quotas.set(name, c.quota)
  }
  const rateLimitStore = deps.rateLimitStore ?? new LocalRateLimitStore()
  const gate = { closing: false }
  const versioning = versioningOptions(config.versioning)
  const ctx: CompileContext = {
    gate,
    configDir: deps.configDir,
    systems: deps.systems,
    systemConfigs: config.systems ?? {},
    store: deps.store,
    publisher: deps.publisher,
    clock,
    consumers,
    authDefaults: config.auth,
    rateLimits: { store: rateLimitStore, clock, consumerRules },
    quota: quotaStep(deps.store.quotas, quotas, clock),
    validators: createValidators(),
    openapiDocs: new Map(),
    versionHeader: versioning.header,
    onInternalError: deps.logger
      ? (err, route, requestId) => deps.logger?.error({ err, route, requestId }, 'gateway: unexpected error while handling a request')
      : undefined,
  }

  const compiled: CompiledRoute[] = []
  const closeRoutes = (): void => {
    for (const r of compiled) r.close()
  }
  try {
    const routes = config.routes ?? []
    const seen = new Map<string, number>()
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i] as (typeof routes)[number]
      const prior = seen.get(route.id)
      if (prior !== undefined) throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `routes[${i}].id: "${route.id}" is already used by routes[${prior}]`)
      seen.set(route.id, i)
      compiled.push(await compileRoute(route, i, ctx))
    }
    if (deps.publisher === undefined && routes.some((r) => r.publish !== undefined)) {
      deps.logger?.warn('gateway: publish routes are configured but no event publisher is running; they answer 503')
    }
    const app = createServer(compiled, serverLimits(config), versioning)
    try {
      await app.ready()
    } catch (err) {
      throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `routes: ${(err as Error).message}`, { cause: err })
    }
    return {
      app,
      routes: compiled.map((r) => ({ id: r.id, method: r.method, path: r.path })),
      async listen(port, host = '127.0.0.1') {
        try {
          await app.listen({ port, host })
        } catch (err) {
          throw new SwitchboardError('SB_ERR_HTTP_LISTEN_FAILED', `gateway cannot listen on ${host}:${port}: ${(err as Error).message}`, { cause: err })
        }
        return app.server.address() as AddressInfo
      },
      async close() {
        gate.closing = true
        try {
          await app.close()
        } finally {
          closeRoutes()
          if (deps.rateLimitStore === undefined) rateLimitStore.close()
        }
      },
    }
  } catch (err) {
    closeRoutes()
    if (deps.rateLimitStore === undefined) rateLimitStore.close()
    throw err
  }
}
