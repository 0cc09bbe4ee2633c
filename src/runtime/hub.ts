/**
 * Wires a Switchboard node from a config file: load and validate the config (refusing to start
 * when it is invalid), open and migrate the store, sync config into it, start mock systems,
 * resolve the admin token, and listen. Roles: `all` (everything), `gateway` (admin + gateway),
 * `worker` (admin + background work, no gateway listener).
 */
import { buildAdminServer } from '../admin/server.js'
import { adminTokenBanner, resolveAdminToken, type AdminTokenSource } from '../admin/token.js'
import { loadConfig, type LoadedConfig } from '../config/load.js'
import { durationMs } from '../core/duration.js'
import { httpLimitsFromConfig } from '../core/http-limits.js'
import { createLogger, type Logger } from '../observe/logger.js'
import type { Store } from '../store/contract.js'
import { openStore } from '../store/open.js'
import type { MockSystem } from '../systems/mock/server.js'
import { buildGatewayPlaceholder } from './gateway-placeholder.js'
import { closeWithin, listenOn } from './listen.js'
import { startMocks } from './mocks.js'
import { syncFromConfig } from './sync.js'
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
  /** Version reported by the admin OpenAPI document. */
  version?: string
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
  readonly adminTokenSource: AdminTokenSource
  /** Stops accepting, lets in-flight requests finish (bounded by `server.shutdownTimeout`), closes the store. Idempotent. */
  stop(): Promise<void>
}

export async function startHub(options: StartHubOptions): Promise<Hub> {
  const role = options.role ?? 'all'
  const env = options.env ?? process.env
  const loaded = await loadConfig(options.configFile, { env })
  const config = loaded.config
  const logger = options.logger ?? createLogger({ level: config.log?.level, pretty: config.log?.pretty, redact: config.log?.redact, env })
  const limits = httpLimitsFromConfig(config.server)
  const shutdownTimeoutMs = durationMs(config.server?.shutdownTimeout ?? '10s')
  const host = options.listen?.host ?? config.listen?.host ?? '127.0.0.1'

  // Everything started so far, closed in reverse when a later step fails or on stop().
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

    let shuttingDown = false
    const admin = await buildAdminServer(
      {
        store,
        config: () => loaded,
        effectiveBaseUrls: started.effectiveBaseUrls,
        mocks: started.mocks,
        verifyToken: token.verify,
        isShuttingDown: () => shuttingDown,
        logger,
      },
      { limits, ...(options.version ? { version: options.version } : {}) },
    )
    const servers = [admin]
    cleanups.push(() => closeWithin(admin, shutdownTimeoutMs))
    const adminUrl = await listenOn(admin, 'admin API', host, options.anyPort ? 0 : (options.listen?.admin ?? config.listen?.admin ?? 8081))

    let gatewayUrl: string | undefined
    if (role !== 'worker') {
      const gateway = buildGatewayPlaceholder(limits)
      servers.push(gateway)
      cleanups.push(() => closeWithin(gateway, shutdownTimeoutMs))
      gatewayUrl = await listenOn(gateway, 'gateway', host, options.anyPort ? 0 : (options.listen?.gateway ?? config.listen?.gateway ?? 8080))
    }

    if (token.generated !== undefined) (options.stderr ?? process.stderr).write(adminTokenBanner(token.generated, adminUrl))
    const summary = startupSummary({ role, adminUrl, gatewayUrl, store, config, revision: sync.revision, mocks: started.mocks.size, tokenSource: token.source })
    logger.info(summary.fields, summary.message)

    let stopping: Promise<void> | undefined
    return {
      role,
      config: loaded,
      store,
      logger,
      adminUrl,
      gatewayUrl,
      effectiveBaseUrls: started.effectiveBaseUrls,
      mocks: started.mocks,
      adminTokenSource: token.source,
      stop: () =>
        (stopping ??= (async () => {
          shuttingDown = true
          logger.info({ timeoutMs: shutdownTimeoutMs }, 'shutting down: draining in-flight requests')
          // The listeners drain together (each bounded by shutdownTimeout); then the mocks they
          // may still have been calling, then the store.
          await Promise.all(servers.map((app) => closeWithin(app, shutdownTimeoutMs).catch((err: unknown) => logger.error({ err }, 'error closing a server'))))
          await started.close()
          await store.close().catch((err: unknown) => logger.error({ err }, 'error closing the store'))
          cleanups.length = 0
          logger.info('stopped')
          logger.flush()
        })()),
    }
  } catch (err) {
    await unwind()
    throw err
  }
}
