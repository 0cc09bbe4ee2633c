import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/clock.js'
import { hashSecret } from '../../src/core/secrets.js'
import { ApiKeyCache } from '../../src/gateway/auth/api-key-cache.js'
import type { Store } from '../../src/store/contract.js'

/** Just enough of a store for the cache: three known keys, lookups counted. */
function fakeStore(): { store: Store; lookups: () => number } {
  let n = 0
  const known = new Map(['a', 'b', 'c'].map((k) => [hashSecret(k), { id: k, consumer: 'acme' }]))
  const store = {
    apiKeys: {
      findActiveByHash: async (hash: string) => {
        n++
        return known.get(hash)
      },
      revokedSince: async () => [],
      markUsed: async () => undefined,
    },
    consumers: { get: async () => ({ name: 'acme', scopes: [] }) },
  } as unknown as Store
  return { store, lookups: () => n }
}

// A hit refreshes an entry's recency at most once a second (the per-hit Map churn was the
// costliest line of an API-key request); eviction must still drop the least recently used key.
describe('API key cache recency', () => {
  it('evicts the key not used for longest, counting hits up to a second apart', async () => {
    const clock = new ManualClock(1_000_000)
    const { store, lookups } = fakeStore()
    const cache = new ApiKeyCache(store, clock, { maxEntries: 2 })
    try {
      await cache.lookup(hashSecret('a'))
      await cache.lookup(hashSecret('b'))
      clock.advance(1_500)
      assert.equal(cache.lookupSync(hashSecret('a'))?.found, true, 'a hit on a moves it to the recent end')
      await cache.lookup(hashSecret('c')) // over capacity: b is the least recently used
      assert.equal(cache.lookupSync(hashSecret('a'))?.found, true)
      assert.equal(cache.lookupSync(hashSecret('c'))?.found, true)
      assert.equal(cache.lookupSync(hashSecret('b')), undefined, 'b was evicted')
      assert.equal(lookups(), 3)
    } finally {
      cache.close()
    }
  })

  it('serves repeated hits within the second from the cache without a store call', async () => {
    const clock = new ManualClock(1_000_000)
    const { store, lookups } = fakeStore()
    const cache = new ApiKeyCache(store, clock, { maxEntries: 2 })
    try {
      await cache.lookup(hashSecret('a'))
      for (let i = 0; i < 100; i++) {
        clock.advance(5)
        assert.equal(cache.lookupSync(hashSecret('a'))?.found, true)
      }
      assert.equal(lookups(), 1)
    } finally {
      cache.close()
    }
  })
})
