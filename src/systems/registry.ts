/**
 * All configured systems, by name: the one place the runtime builds outbound clients from the
 * config, and the one object the gateway, the flows and the admin API share — so they share
 * pools, tokens, circuit breakers and rate limits.
 */
import type { Clock } from '../core/clock.js'
import { SwitchboardError } from '../core/errors.js'
import type { SystemConfig } from '../config/spec/system.js'
import { SystemClient } from './client.js'
import { resolveSystemOptions } from './options.js'
import type { SystemHealth } from './types.js'

export interface SystemsOptions {
  /**
   * Base URLs that replace a system's `baseUrl` (the addresses of mock systems served by
   * Switchboard itself, or test servers).
   */
  effectiveBaseUrls?: ReadonlyMap<string, string[]>
  /** Time seam for breakers, rate limits, token expiry and passive health. */
  clock?: Clock
}

export class Systems {
  readonly #clients: ReadonlyMap<string, SystemClient>

  private constructor(clients: ReadonlyMap<string, SystemClient>) {
    this.#clients = clients
  }

  /**
   * Builds every system's client. Throws SB_ERR_CONFIG_INVALID naming the field
   * (`systems.erp.baseUrl: …`) when a system cannot be built; nothing is left open then.
   */
  static fromConfig(systems: Readonly<Record<string, SystemConfig>>, opts: SystemsOptions = {}): Systems {
    const clients = new Map<string, SystemClient>()
    try {
      for (const [name, config] of Object.entries(systems)) {
        const options = resolveSystemOptions(name, config, opts.effectiveBaseUrls?.get(name))
        clients.set(name, new SystemClient(options, opts.clock))
      }
    } catch (err) {
      for (const c of clients.values()) void c.close()
      throw err
    }
    return new Systems(clients)
  }

  /** The client of a system; throws SB_ERR_SYSTEM_UNKNOWN when it is not configured. */
  get(name: string): SystemClient {
    const client = this.#clients.get(name)
    if (client === undefined) throw new SwitchboardError('SB_ERR_SYSTEM_UNKNOWN', `unknown system ${JSON.stringify(name)}`)
    return client
  }

  has(name: string): boolean {
    return this.#clients.has(name)
  }

  /** Names of the configured systems, in config order. */
  names(): string[] {
    return [...this.#clients.keys()]
  }

  health(): SystemHealth[] {
    return [...this.#clients.values()].map((c) => c.health())
  }

  /** Closes every pool; in-flight calls finish first. */
  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((c) => c.close()))
  }
}
