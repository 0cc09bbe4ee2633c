/**
 * What admin route modules can use. Features that come later (keys, deliveries, DLQ, health)
 * add optional members here and read them in their own `routes/<feature>.ts`.
 */
import type { Logger } from 'pino'
import type { LoadedConfig } from '../config/load.js'
import type { Store } from '../store/contract.js'
import type { Systems } from '../systems/index.js'
import type { MockSystem } from '../systems/mock/server.js'

export interface AdminDeps {
  store: Store
  /** The running config (a function: it may be reloaded while the server runs). */
  config(): LoadedConfig
  /** Effective base URLs per system: a mock's URL for mocked systems, else the configured ones. */
  effectiveBaseUrls: ReadonlyMap<string, readonly string[]>
  /** Running mock systems by system name. */
  mocks: ReadonlyMap<string, MockSystem>
  /**
   * The running systems layer (circuit state and passive health of each base URL). Without it,
   * `/v1/systems` shows no circuit and `/v1/systems/{name}/circuit` answers 503.
   */
  systems?: Systems
  /**
   * Called after an API key was revoked through this API, so this node's gateway drops it at
   * once rather than at its next revocation poll. Errors are ignored (the poll catches up).
   */
  onKeyRevoked?(id: string): Promise<void>
  /** Checks an admin bearer token in constant time (see {@link resolveAdminToken}). */
  verifyToken(token: string): boolean
  /** True once a graceful shutdown has begun: /readyz turns 503 so load balancers drain. */
  isShuttingDown?(): boolean
  logger?: Logger
}
