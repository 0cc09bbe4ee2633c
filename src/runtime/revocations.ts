/**
 * Makes a key revoked through this node's admin API stop working on this node's gateway at once,
 * instead of at the key cache's next revocation poll (up to ~0.5 s later; other nodes still take
 * up to about a second). Without it, `switchboard keys revoke ID && curl …` could still succeed.
 */
import { systemClock } from '../core/clock.js'
import { acquireApiKeyCache, releaseApiKeyCache } from '../gateway/auth/api-key-cache.js'
import type { Store } from '../store/contract.js'

/** Runs one revocation poll of the process-wide API key cache of `store` (the gateway's). */
export async function pollRevocationsNow(store: Store): Promise<void> {
  // The gateway's policies hold the shared cache, so this borrows it rather than creating one.
  const cache = acquireApiKeyCache(store, systemClock)
  try {
    await cache.poll()
  } finally {
    releaseApiKeyCache(store, cache)
  }
}
