import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import { newSecretToken } from '../../../src/core/ids.js'
import { signStandardWebhook } from '../../../src/core/webhook-signature.js'
import { buildAuth } from '../../../src/gateway/auth/compose.js'
import { createApiKey } from '../../../src/gateway/auth/keys.js'
import type { AuthResult } from '../../../src/gateway/auth/policy.js'
import type { Store } from '../../../src/store/contract.js'
import { deps, isPromise, openTestStore, outcome, req } from './helpers.js'

const SECRET = 'compose-test-shared-secret-0123456789abcdef'
const defaults = { jwt: { key: SECRET, algorithms: ['HS256'], audience: 'sb' } }

describe('buildAuth', () => {
  let store: Store
  let apiKey: string
  let jwt: string

  before(async () => {
    store = await openTestStore({ acme: ['orders:read'] })
    apiKey = (await createApiKey(store, 'acme')).key
    jwt = await new SignJWT({ sub: 'svc' }).setProtectedHeader({ alg: 'HS256' }).setAudience('sb').setExpirationTime('5m').sign(new TextEncoder().encode(SECRET))
  })
  after(() => store.close())

  const d = () => deps(store, { acme: { scopes: ['orders:read'] } })

  it('tries policies in order: API key first, JWT when no key is sent', async () => {
    const auth = buildAuth(['apiKey', 'jwt'], d(), { defaults })
    try {
      const byKey = await auth.authenticate(req({ headers: { 'x-api-key': apiKey } }))
      assert.ok(byKey.ok && byKey.principal.method === 'apiKey')
      const byJwt = await auth.authenticate(req({ headers: { authorization: `Bearer ${jwt}` } }))
      assert.ok(byJwt.ok && byJwt.principal.method === 'jwt')
      const keyAsBearer = await auth.authenticate(req({ headers: { authorization: `Bearer ${apiKey}` } }))
      assert.ok(keyAsBearer.ok && keyAsBearer.principal.method === 'apiKey')
    } finally {
      auth.close()
    }
  })

  it('answers synchronously when the API key is cached', async () => {
    const auth = buildAuth(['apiKey', 'jwt'], d(), { defaults })
    try {
      await auth.authenticate(req({ headers: { 'x-api-key': apiKey } }))
      const r = auth.authenticate(req({ headers: { 'x-api-key': apiKey } }))
      assert.ok(!isPromise(r))
      assert.equal(outcome(r as AuthResult), 'ok')
    } finally {
      auth.close()
    }
  })

  it('stops at the first invalid credential even if a later one is valid', async () => {
    const auth = buildAuth(['apiKey', 'jwt'], d(), { defaults })
    try {
      const r = await auth.authenticate(req({ headers: { 'x-api-key': newSecretToken('sbk'), authorization: `Bearer ${jwt}` } }))
      assert.equal(outcome(r), 'SB_ERR_AUTH_INVALID_KEY')
    } finally {
      auth.close()
    }
  })

  it('answers 401 SB_ERR_AUTH_MISSING with a WWW-Authenticate listing each scheme when nothing is sent', async () => {
    const auth = buildAuth(['apiKey', 'jwt'], d(), { defaults })
    try {
      const r = await auth.authenticate(req())
      assert.equal(outcome(r), 'SB_ERR_AUTH_MISSING')
      assert.ok(!r.ok && r.reason === 'invalid' && r.error.status === 401)
      assert.equal(auth.wwwAuthenticate, 'ApiKey realm="switchboard", Bearer realm="switchboard"')
      assert.equal(auth.anonymous, false)
    } finally {
      auth.close()
    }
  })

  it('treats `none` as anonymous, alone or as the fallback of a list', async () => {
    for (const config of ['none', undefined] as const) {
      const auth = buildAuth(config, d())
      const r = auth.authenticate(req())
      assert.ok(!isPromise(r) && r.ok && r.principal.method === 'none' && r.principal.consumer === null)
      assert.equal(auth.wwwAuthenticate, undefined)
    }
    const optional = buildAuth(['none', 'apiKey'], d())
    try {
      const anon = await optional.authenticate(req())
      assert.ok(anon.ok && anon.principal.method === 'none')
      const keyed = await optional.authenticate(req({ headers: { 'x-api-key': apiKey } }))
      assert.ok(keyed.ok && keyed.principal.consumer === 'acme', '`none` first does not shadow the credentialed methods')
      assert.equal(outcome(await optional.authenticate(req({ headers: { 'x-api-key': 'bad' } }))), 'SB_ERR_AUTH_INVALID_KEY', 'bad credentials are refused on optional routes')
    } finally {
      optional.close()
    }
  })

  it('builds a webhook route that needs the raw body', () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`
    const auth = buildAuth({ webhook: { scheme: 'standard-webhooks', secret } }, d())
    assert.equal(auth.needsRawBody, true)
    const body = Buffer.from('{"a":1}')
    const now = Date.now()
    const r = auth.authenticate(req({ headers: signStandardWebhook(secret, 'm1', Math.floor(now / 1000), body), body, now }))
    assert.ok(!isPromise(r) && r.ok && r.principal.subject === 'm1')
    const keyed = buildAuth('apiKey', d())
    assert.equal(keyed.needsRawBody, false)
    keyed.close()
  })

  it('uses object-form options as given', async () => {
    const auth = buildAuth({ apiKey: { header: 'X-Key' } }, d())
    try {
      assert.equal(outcome(await auth.authenticate(req({ headers: { 'x-key': apiKey } }))), 'ok')
      assert.equal(outcome(await auth.authenticate(req({ headers: { 'x-api-key': apiKey } }))), 'SB_ERR_AUTH_MISSING')
    } finally {
      auth.close()
    }
  })

  it('refuses `jwt` without a top-level auth.jwt block, and bad options, naming the path', () => {
    assert.throws(() => buildAuth('jwt', d(), { at: 'routes[3].auth' }), (e: Error & { code?: string }) => e.code === 'SB_ERR_CONFIG_INVALID' && e.message.startsWith('routes[3].auth:'))
    assert.throws(() => buildAuth(['apiKey', { jwt: { algorithms: ['HS256'] } }], d(), { at: 'routes[3].auth' }), (e: Error) => e.message.startsWith('routes[3].auth[1].jwt:'))
    assert.throws(() => buildAuth([], d(), { at: 'routes[3].auth' }), /routes\[3\]\.auth/)
  })
})
