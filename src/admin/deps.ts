/**
 * What admin route modules can use. Features that come later (keys, deliveries, DLQ, health)
 * add optional members here and read them in their own `routes/<feature>.ts`.
 */
import type { Logger } from 'pino'
import type { LoadedConfig } from '../config/load.js'
import type { FlowsService } from '../flows/service.js'
import type { Store } from '../store/contract.js'
import type { Systems } from '../systems/index.js'
import type { MockSystem } from '../systems/mock/server.js'
import type { ObserveDeps } from './observe-deps.js'

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
  /**
   * The node's event flows: publishing, events, deliveries and the DLQ. Without it those
   * endpoints answer 503 SB_ERR_ADMIN_NOT_READY.
   */
  flows?: AdminFlows
  /** Checks an admin bearer token in constant time (see {@link resolveAdminToken}). */
  verifyToken(token: string): boolean
  /** True once a graceful shutdown has begun: /readyz turns 503 so load balancers drain. */
  isShuttingDown?(): boolean
  /** Metrics, health and the alert loop; without it `/metrics` and `/v1/health` answer 503. */
  observe?: ObserveDeps
  logger?: Logger
}

/** What the event, delivery, DLQ and poller routes use of the flows service. */
export type AdminFlows = Pick<FlowsService, 'publish' | 'dlq' | 'deliveries' | 'events' | 'flowSet'> & { readonly pollers?: FlowsService['pollers'] }
