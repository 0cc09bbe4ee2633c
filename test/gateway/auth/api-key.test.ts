import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { hashSecret } from '../../../src/core/secrets.js'
import { newSecretToken } from '../../../src/core/ids.js'
import { apiKeyPolicy } from '../../../src/gateway/auth/api-key.js'
import { createApiKey, listApiKeys, revokeApiKey } from '../../../src/gateway/auth/keys.js'
import type { AuthPolicy, AuthResult } from '../../../src/gateway/auth/policy.js'
import type { Store } from '../../../src/store/contract.js'
import { deps, eventually, isPromise, openTestStore, outcome, req, sleep } from './helpers.js'

/** The real store, with calls to apiKeys.findActiveByHash counted. */
function counting(store: Store): { store: Store; lookups: () => number } {
  let n = 0
  const apiKeys = new Proxy(store.apiKeys, {
    get(t, p) {
      const v = Reflect.get(t, p, t) as unknown
      if (p === 'findActiveByHash' && typeof v === 'function') {
        return (hash: string) => {
          n++
          return (v as (h: string) => unknown).call(t, hash)
        }
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v
    },
  })
  const wrapped = new Proxy(store, { get: (t, p) => (p === 'apiKeys' ? apiKeys : Reflect.get(t, p, t)) })
  return { store: wrapped, lookups: () => n }
}

async function settle(r: AuthResult | Promise<AuthResult>): Promise<AuthResult> {
  return r
}

const CONSUMERS = { acme: { scopes: ['orders:read', 'orders:write'] } }

describe('API key policy', () => {
  let store: Store
  let policy: AuthPolicy
  let key: string
  let keyId: string
  let lookups: () => number

  before(async () => {
    const real = await openTestStore({ acme: ['orders:read'], 'api-made': ['reports:read'] })
    const c = counting(real)
    store = c.store
    lookups = c.lookups
    policy = apiKeyPolicy({}, deps(store, CONSUMERS), 'apiKey', { pollIntervalMs: 100 })
    const created = await createApiKey(store, 'acme', 'ci', { actor: 'test' })
    key = created.key
    keyId = created.id
  })

  after(async () => {
    policy.close?.()
    await store.close()
  })

  it('creates keys shown once and stored only as a hash', async () => {
    assert.match(key, /^sbk_[A-Za-z0-9_-]{43}$/)
    const [rec] = await listApiKeys(store, 'acme')
    assert.ok(rec)
    assert.equal(rec.id, keyId)
    assert.equal(rec.prefix, key.slice(0, 12))
    assert.equal(rec.label, 'ci')
    assert.ok(!JSON.stringify(rec).includes(key.slice(12)), 'the listing must not contain the secret part')
    assert.equal((await store.apiKeys.findActiveByHash(hashSecret(key)))?.id, keyId)
    const audit = await store.audit.list({ action: 'apikey.create' })
    assert.equal(audit[0]?.actor, 'test')
    assert.ok(!JSON.stringify(audit).includes(key.slice(12)), 'the audit entry must not contain the key')
  })

  it('accepts a valid key from X-Api-Key, with the config consumer’s scopes, and answers a repeat synchronously', async () => {
    const first = policy.authenticate(req({ headers: { 'x-api-key': key } }))
    const r = await settle(first)
    assert.equal(outcome(r), 'ok')
    assert.ok(r.ok)
    assert.equal(r.principal.consumer, 'acme')
    assert.deepEqual(r.principal.scopes, ['orders:read', 'orders:write'])
    assert.equal(r.principal.method, 'apiKey')
    assert.equal(r.principal.subject, keyId)

    const before = lookups()
    const again = policy.authenticate(req({ headers: { 'x-api-key': key } }))
    assert.ok(!isPromise(again), 'a cached key must be answered without a promise')
    assert.equal(outcome(again as AuthResult), 'ok')
    assert.equal(lookups(), before, 'a cache hit must not query the store')
  })

  it('takes scopes from the store for a consumer created through the API (not in config)', async () => {
    const { key: k } = await createApiKey(store, 'api-made')
    const r = await settle(policy.authenticate(req({ headers: { 'x-api-key': k } })))
    assert.ok(r.ok)
    assert.equal(r.principal.consumer, 'api-made')
    assert.deepEqual(r.principal.scopes, ['reports:read'])
  })

  it('rejects a well-formed key that does not exist', async () => {
    const r = await settle(policy.authenticate(req({ headers: { 'x-api-key': newSecretToken('sbk') } })))
    assert.equal(outcome(r), 'SB_ERR_AUTH_INVALID_KEY')
    assert.ok(!r.ok && r.reason === 'invalid' && r.error.status === 401)
  })

  it('rejects malformed keys without querying the store', async () => {
    const before = lookups()
    for (const bad of ['nope', `${key}x`, key.slice(0, -1), `sbk_${'!'.repeat(43)}`, `${key}\n`.repeat(2), '']) {
      const r = policy.authenticate(req({ headers: { 'x-api-key': bad } }))
      assert.ok(!isPromise(r))
      assert.equal(outcome(r as AuthResult), 'SB_ERR_AUTH_INVALID_KEY', JSON.stringify(bad))
    }
    assert.equal(lookups(), before)
  })

  it('is absent without credentials, and with a Bearer token that is not one of our keys', async () => {
    assert.equal(outcome(await settle(policy.authenticate(req()))), 'absent')
    assert.equal(outcome(await settle(policy.authenticate(req({ headers: { authorization: 'Bearer eyJhbGciOi.x.y' } })))), 'absent')
    assert.equal(outcome(await settle(policy.authenticate(req({ headers: { authorization: `Basic ${key}` } })))), 'absent')
  })

  it('accepts the key as Authorization: Bearer sbk_…', async () => {
    const r = await settle(policy.authenticate(req({ headers: { authorization: `Bearer ${key}` } })))
    assert.equal(outcome(r), 'ok')
    assert.equal(outcome(await settle(policy.authenticate(req({ headers: { authorization: `bearer   ${key}` } })))), 'ok')
  })

  it('refuses a credential header sent twice', async () => {
    const r = await settle(policy.authenticate(req({ headers: { 'x-api-key': [key, key] } })))
    assert.equal(outcome(r), 'SB_ERR_AUTH_INVALID_KEY')
  })

  it('ignores a key in the query string unless the route opts in', async () => {
    assert.equal(outcome(await settle(policy.authenticate(req({ query: { api_key: key } })))), 'absent')
    const q = apiKeyPolicy({ query: 'api_key' }, deps(store, CONSUMERS))
    try {
      assert.equal(outcome(await settle(q.authenticate(req({ query: { api_key: key } })))), 'ok')
      assert.equal(outcome(await settle(q.authenticate(req({ query: { api_key: [key, key] } })))), 'SB_ERR_AUTH_INVALID_KEY')
      assert.equal(outcome(await settle(q.authenticate(req({ query: { other: key } })))), 'absent')
    } finally {
      q.close?.()
    }
  })

  it('reads a configured header name case-insensitively', async () => {
    const h = apiKeyPolicy({ header: 'X-Partner-Key' }, deps(store, CONSUMERS))
    try {
      assert.equal(outcome(await settle(h.authenticate(req({ headers: { 'x-partner-key': key } })))), 'ok')
      assert.equal(outcome(await settle(h.authenticate(req({ headers: { 'x-api-key': key } })))), 'absent')
    } finally {
      h.close?.()
    }
  })

  it('stops accepting a revoked key on the running policy after the revocation poll', async () => {
    const { id, key: k } = await createApiKey(store, 'acme')
    assert.equal(outcome(await settle(policy.authenticate(req({ headers: { 'x-api-key': k } })))), 'ok')
    assert.equal(outcome(await settle(policy.authenticate(req({ headers: { 'x-api-key': k } })))), 'ok', 'cached')
    assert.equal(await revokeApiKey(store, id, { actor: 'test' }), true)
    assert.equal(await revokeApiKey(store, id), false, 'a second revoke is a no-op')
    const stopped = await eventually(async () => outcome(await settle(policy.authenticate(req({ headers: { 'x-api-key': k } })))) === 'SB_ERR_AUTH_REVOKED_KEY', 1500)
    assert.ok(stopped, 'the revoked key must be refused with SB_ERR_AUTH_REVOKED_KEY within 1.5 s')
    const audit = await store.audit.list({ action: 'apikey.revoke', target: id })
    assert.equal(audit.length, 1)
  })

  it('accepts a key created after an unknown-key lookup once the negative entry expires (~1 s)', async () => {
    const k = newSecretToken('sbk')
    assert.equal(outcome(await settle(policy.authenticate(req({ headers: { 'x-api-key': k } })))), 'SB_ERR_AUTH_INVALID_KEY')
    await store.apiKeys.create({ id: 'late-key', consumer: 'acme', hash: hashSecret(k), prefix: k.slice(0, 12) })
    const works = await eventually(async () => outcome(await settle(policy.authenticate(req({ headers: { 'x-api-key': k } })))) === 'ok', 3000)
    assert.ok(works)
  })
})

describe('API key cache', () => {
  it('keeps real keys cached while a flood of unknown keys churns the negative side', async () => {
    const real = await openTestStore({ acme: [] })
    const { store, lookups } = counting(real)
    const policy = apiKeyPolicy({}, deps(store, {}), 'apiKey', { maxEntries: 4 })
    try {
      const { key } = await createApiKey(store, 'acme')
      assert.equal(outcome(await settle(policy.authenticate(req({ headers: { 'x-api-key': key } })))), 'ok')
      for (let i = 0; i < 50; i++) await settle(policy.authenticate(req({ headers: { 'x-api-key': newSecretToken('sbk') } })))
      const before = lookups()
      const r = policy.authenticate(req({ headers: { 'x-api-key': key } }))
      assert.ok(!isPromise(r), 'the real key must still be a cache hit')
      assert.equal(outcome(r as AuthResult), 'ok')
      assert.equal(lookups(), before)
    } finally {
      policy.close?.()
      await real.close()
    }
  })

  it('shares one store query among concurrent lookups of the same key', async () => {
    const real = await openTestStore({ acme: [] })
    const { store, lookups } = counting(real)
    const policy = apiKeyPolicy({}, deps(store, {}))
    try {
      const { key } = await createApiKey(store, 'acme')
      const results = await Promise.all(Array.from({ length: 10 }, () => settle(policy.authenticate(req({ headers: { 'x-api-key': key } })))))
      assert.ok(results.every((r) => r.ok))
      assert.equal(lookups(), 1)
    } finally {
      policy.close?.()
      await real.close()
    }
  })

  it('answers 503 when the store is down, and stops trusting cached keys once revocation polls fail', async () => {
    const store = await openTestStore({ acme: [] })
    const policy = apiKeyPolicy({}, deps(store, {}), 'apiKey', { pollIntervalMs: 50, staleAfterMs: 200 })
    try {
      const { key } = await createApiKey(store, 'acme')
      assert.equal(outcome(await settle(policy.authenticate(req({ headers: { 'x-api-key': key } })))), 'ok')
      await store.close()
      await sleep(400)
      const r = policy.authenticate(req({ headers: { 'x-api-key': key } }))
      assert.ok(isPromise(r), 'with revocation polls failing, the cache is bypassed')
      const res = await r
      assert.equal(outcome(res), 'SB_ERR_STORE_UNAVAILABLE')
      assert.ok(!res.ok && res.reason === 'invalid' && res.error.status === 503)
    } finally {
      policy.close?.()
    }
  })

  it('records lastUsedAt in batches', async () => {
    const store = await openTestStore({ acme: [] })
    const policy = apiKeyPolicy({}, deps(store, {}), 'apiKey', { pollIntervalMs: 50, usageFlushMs: 100 })
    try {
      const { key, id } = await createApiKey(store, 'acme')
      assert.equal(outcome(await settle(policy.authenticate(req({ headers: { 'x-api-key': key } })))), 'ok')
      const recorded = await eventually(async () => (await store.apiKeys.list('acme')).find((k) => k.id === id)?.lastUsedAt != null, 5000)
      assert.ok(recorded)
    } finally {
      policy.close?.()
      await store.close()
    }
  })

  it('refuses bad options at boot, naming the option', async () => {
    const store = await openTestStore()
    try {
      assert.throws(() => apiKeyPolicy({ header: 'X Api Key' }, deps(store), 'routes[0].auth.apiKey'), (e: Error & { code?: string }) => e.code === 'SB_ERR_CONFIG_INVALID' && e.message.startsWith('routes[0].auth.apiKey.header:'))
      assert.throws(() => apiKeyPolicy({ header: 'Authorization' }, deps(store)), /apiKey\.header/)
      assert.throws(() => apiKeyPolicy({ query: ' ' }, deps(store)), /apiKey\.query/)
    } finally {
      await store.close()
    }
  })
})
