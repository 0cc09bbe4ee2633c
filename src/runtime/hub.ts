/**
 * Wires a Switchboard node from a config file: load and validate the config (refusing to start
 * when it is invalid), open and migrate the store, sync config into it, start mock systems,
 * build the systems layer, the event flows and the gateway, resolve the admin token, and
 * listen. Roles: `all` (everything), `gateway` (admin + gateway; accepts events, delivers none),
 * `worker` (admin + delivery and background work, no gateway).
 */
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { buildAdminServer } from '../admin/server.js'
import { adminTokenBanner, resolveAdminToken, type AdminTokenSource } from '../admin/token.js'
import { loadConfig, type LoadedConfig } from '../config/load.js'
import { systemClock } from '../core/clock.js'
import { durationMs } from '../core/duration.js'
import { httpLimitsFromConfig } from '../core/http-limits.js'
import type { FlowQueueFigures, FlowsService } from '../flows/service.js'
import { createGateway, type Gateway } from '../gateway/index.js'
import { createLogger, type Logger } from '../observe/logger.js'
import type { Store } from '../store/contract.js'
import { openStore } from '../store/open.js'
import { Systems } from '../systems/index.js'
import type { MockSystem } from '../systems/mock/server.js'
import { loadedWithAlertChannels } from './alert-channels.js'
import { FlowsAlertOutbox } from './alert-outbox.js'
import { startFlows } from './flows.js'
import { closeWithin, listenOn, urlFor } from './listen.js'
import { configSecretValues } from './log-secrets.js'
import { startMocks } from './mocks.js'
import { startObservability, type Observability } from './observe.js'
import { pollRevocationsNow } from './revocations.js'
import { syncFromConfig } from './sync.js'
import { startTracing } from './tracing.js'
import { startupSummary } from './summary.js'

export const ROLES = ['all', 'gateway', 'worker'] as const
export type Role = (typeof ROLES)[number]

export interface StartHubOptions {
  configFile: string
  role?: Role
  /** Environment for secret references and SWITCHBOARD_* variables (default `process.env`). */
  env?: Record<string, string | undefined>
  /** Default: a logger built from the config's `log:` block. */
  logger?: Logger
  /** Where the one-time generated admin token banner is written (default stderr). */
  stderr?: { write(text: string): unknown }
  /** Directory relative store paths resolve against (default `process.cwd()`). */
  cwd?: string
  /** Override `listen:` (tests use port 0). */
  listen?: { host?: string; admin?: number; gateway?: number }
  /** Listen on free ports everywhere — admin, gateway and mock systems — whatever the config says (tests, CI runs of examples). */
  anyPort?: boolean
  /** Version reported by the admin OpenAPI document (and by the spans, as `service.version`). */
  version?: string
  /**
   * Span processors to record this node's spans with, besides the OTLP exporter of
   * `telemetry.otlp` (tests: an in-memory exporter; embedding: your own pipeline). Any turns
   * tracing on, sampled as `telemetry.sampling` says.
   */
  spanProcessors?: readonly SpanProcessor[]
}

export interface Hub {
  readonly role: Role
  readonly config: LoadedConfig
  readonly store: Store
  readonly logger: Logger
  readonly adminUrl: string
  /** Undefined for the worker role (no gateway listener). */
  readonly gatewayUrl: string | undefined
  /** Where calls to each system go: a mock's URL for mocked systems, else the configured URLs. */
  readonly effectiveBaseUrls: ReadonlyMap<string, string[]>
  readonly mocks: ReadonlyMap<string, MockSystem>
  /** Outbound clients (pools, circuit breakers, rate limits), shared by the gateway and the flows. */
  readonly systems: Systems
  /** Undefined for the worker role. */
  readonly gateway: Gateway | undefined
  /** The event flows: publish, deliveries, DLQ (delivering only on the `all` and `worker` roles). */
  readonly flows: FlowsService
  /** Per-flow queue figures (pending, oldest pending age, dead) for health, metrics and alerts. */
  flowStats(): Promise<FlowQueueFigures[]>
  readonly adminTokenSource: AdminTokenSource
  /** Metrics, health tracker and alert loop (src/runtime/observe.ts); the flows wiring plugs its queue figures in here. */
  readonly observability: Observability
  /**
   * Stops accepting on every listener, lets in-flight requests finish (bounded by
   * `server.shutdownTimeout`), then closes the gateway, stops the alert loop (a running
   * evaluation finishes and queues its notifications), stops the flows (in-flight deliveries
   * finish within `server.shutdownTimeout`, the rest are released), then the systems' pools, the
   * mocks and the store, in that order. Idempotent.
   */
  stop(): Promise<void>
}

export async function startHub(options: StartHubOptions): Promise<Hub> {
  const role = options.role ?? 'all'
  const env = options.env ?? process.env
  const loaded = await loadConfig(options.configFile, { env })
  const config = loaded.config
  const logger = options.logger ?? createLogger({ level: config.log?.level, pretty: config.log?.pretty, redact: config.log?.redact, env, secrets: configSecretValues(loaded) })
  const limits = httpLimitsFromConfig(config.server)
  const shutdownTimeoutMs = durationMs(config.server?.shutdownTimeout ?? '10s')
  const host = options.listen?.host ?? config.listen?.host ?? '127.0.0.1'
  const portOf = (which: 'admin' | 'gateway', fallback: number) => (options.anyPort ? 0 : (options.listen?.[which] ?? config.listen?.[which] ?? fallback))

  // Everything started so far, closed in reverse when a later step fails.
  const cleanups: Array<() => Promise<void>> = []
  const unwind = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => logger.error({ err }, 'error during shutdown'))
    cleanups.length = 0
  }
  try {
    const store = await openStore(config.store ?? 'sqlite:./data/switchboard.db', { cwd: options.cwd ?? process.cwd() })
    cleanups.push(() => store.close())
    const migration = await store.migrate()
    if (migration.applied.length > 0) logger.info({ applied: migration.applied, current: migration.current }, 'store migrated')
    // Refuse (production without a token) before changing anything in the store.
    const token = await resolveAdminToken({ configured: config.admin?.token, env, mode: config.mode ?? 'development', settings: store.settings })
    const sync = await syncFromConfig(store, loaded)

    const started = await startMocks(config, loaded.dir, logger, options.anyPort === true)
    cleanups.push(() => started.close())
    // The systems, flows and observability also run each alert channel's internal delivery path.
    const running = loadedWithAlertChannels(loaded)
    const systems = Systems.fromConfig(running.config.systems ?? {}, { effectiveBaseUrls: started.effectiveBaseUrls })
    cleanups.push(() => systems.close())
    // Subscribed before anything serves, so the first request is counted.
    const observability = startObservability({ config: running.config, store, systems, logger })
    cleanups.push(() => observability.stop())
    const tracing = startTracing({ telemetry: config.telemetry, logger, version: options.version, spanProcessors: options.spanProcessors })
    cleanups.push(() => tracing.stop())

    // Every role accepts events; `all` and `worker` also deliver them (alert notifications too).
    const flows = await startFlows({ role, loaded: running, store, systems, logger })
    cleanups.push(() => flows.stop(shutdownTimeoutMs))
    observability.setQueueStatsProvider(() => flows.flowStats())
    observability.setAlertOutbox(new FlowsAlertOutbox({ flows, channels: config.channels ?? {}, clock: systemClock }))
    // Compiled before anything listens: a bad route fails the start with nothing exposed.
    const gateway = role === 'worker' ? undefined : await createGateway({ config, configDir: loaded.dir, systems, store, publisher: flows, logger })
    if (gateway) cleanups.push(() => gateway.close())

    let shuttingDown = false
    const admin = await buildAdminServer(
      {
        store,
        config: () => loaded,
        effectiveBaseUrls: started.effectiveBaseUrls,
        mocks: started.mocks,
        systems,
        flows,
        ...(gateway ? { onKeyRevoked: () => pollRevocationsNow(store) } : {}),
        verifyToken: token.verify,
        isShuttingDown: () => shuttingDown,
        observe: observability,
        logger,
      },
      { limits, ...(options.version ? { version: options.version } : {}) },
    )
    cleanups.push(() => closeWithin(admin, shutdownTimeoutMs))
    const adminUrl = await listenOn(admin, 'admin API', host, portOf('admin', 8081))
    const gatewayUrl = gateway ? urlFor(host, (await gateway.listen(portOf('gateway', 8080), host)).port) : undefined

    if (token.generated !== undefined) (options.stderr ?? process.stderr).write(adminTokenBanner(token.generated, adminUrl))
    const summary = startupSummary({
      role,
      adminUrl,
      gatewayUrl,
      store,
      config,
      revision: sync.revision,
      mocks: started.mocks.size,
      tokenSource: token.source,
      servedRoutes: gateway?.routes.length ?? 0,
    })
    logger.info(summary.fields, summary.message)

    // A listener stops accepting, drains (bounded) and then runs its own close — for the
    // gateway that releases its key cache poller and rate-limit timers.
    const listeners = [admin, ...(gateway ? [{ close: () => gateway.close(), server: gateway.app.server }] : [])]
    let stopping: Promise<void> | undefined
    const stop = async () => {
      shuttingDown = true
      logger.info({ timeoutMs: shutdownTimeoutMs }, 'shutting down: draining in-flight requests')
      const step = (what: string, fn: () => Promise<unknown>) => fn().catch((err: unknown) => logger.error({ err }, `error closing ${what}`))
      await Promise.all(listeners.map((l) => step('a listener', () => closeWithin(l, shutdownTimeoutMs))))
      // The alert loop publishes notifications: it stops (finishing a running evaluation) while the publisher is open.
      await step('the alert loop', () => observability.alerts.stop())
      // No new events arrive: let in-flight deliveries finish (bounded), release the rest.
      await step('the flows', () => flows.stop(shutdownTimeoutMs))
      // Metrics and health keep counting the deliveries that finish above; now they can go.
      await step('the observability', () => observability.stop())
      // Every span has ended: flush them (bounded by telemetry.otlp.timeout).
      await step('the tracing', () => tracing.stop())
      // Nothing calls out any more: close the pools, then the mocks they called, then the store.
      await step('the systems', () => systems.close())
      await step('the mock systems', () => started.close())
      await step('the store', () => store.close())
      cleanups.length = 0
      logger.info('stopped')
      logger.flush()
    }
    return {
      role,
      config: loaded,
      store,
      logger,
      adminUrl,
      gatewayUrl,
      effectiveBaseUrls: started.effectiveBaseUrls,
      mocks: started.mocks,
      systems,
      gateway,
      flows,
      flowStats: () => flows.flowStats(),
      adminTokenSource: token.source,
      observability,
      stop: () => (stopping ??= stop()),
    }
  } catch (err) {
    await unwind()
    throw err
  }
}
