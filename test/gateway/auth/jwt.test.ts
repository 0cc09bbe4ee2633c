import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose'
import { jwtPolicy } from '../../../src/gateway/auth/jwt.js'
import type { JwtAuthConfig } from '../../../src/config/spec/route.js'
import type { AuthPolicy, AuthResult } from '../../../src/gateway/auth/policy.js'
import type { Store } from '../../../src/store/contract.js'
import { VERIFIED_TTL_MS } from '../../../src/gateway/auth/jwt-cache.js'
import { deps, isPromise, openTestStore, outcome, req, sleep } from './helpers.js'

const NOW = 1_700_000_000_000
const SEC = NOW / 1000
const ISS = 'https://idp.example.test/'
const AUD = 'switchboard'
/** JWKS cooldown in these tests: long enough for a burst to fit in it even on a loaded machine. */
const COOLDOWN_MS = 1000
const HS_SECRET = 'a-shared-secret-that-is-at-least-32-bytes-long!'

interface KeyPair {
  publicKey: CryptoKey
  privateKey: CryptoKey
}

async function token(key: CryptoKey | Uint8Array, alg: string, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: 'svc-orders', iss: ISS, aud: AUD, iat: SEC, exp: SEC + 300, ...claims }).setProtectedHeader({ alg, ...header }).sign(key)
}

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')

function bearer(t: string, now = NOW) {
  return req({ headers: { authorization: `Bearer ${t}` }, now })
}

async function check(policy: AuthPolicy, t: string, now = NOW): Promise<AuthResult> {
  return policy.authenticate(bearer(t, now))
}

/** A loopback JWKS endpoint that counts its requests. */
async function jwksServer(initial: JWK[]): Promise<{ url: string; hits: () => number; setKeys: (k: JWK[]) => void; close: () => Promise<void> }> {
  let keys = initial
  let hits = 0
  const server: Server = createServer((_req, res) => {
    hits++
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    hits: () => hits,
    setKeys: (k) => {
      keys = k
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

async function publicJwk(pair: KeyPair, kid: string, alg: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' }
}

describe('JWT policy', () => {
  let store: Store
  let rsa: KeyPair
  let rsaOther: KeyPair
  let ec: KeyPair
  let ed: KeyPair
  const consumers = { orders: { scopes: ['orders:read'], jwtSubjects: ['svc-orders'] } }

  before(async () => {
    store = await openTestStore()
    rsa = await generateKeyPair('RS256', { extractable: true })
    rsaOther = await generateKeyPair('RS256', { extractable: true })
    ec = await generateKeyPair('ES256', { extractable: true })
    ed = await generateKeyPair('EdDSA', { extractable: true })
  })
  after(() => store.close())

  const make = (o: JwtAuthConfig) => jwtPolicy({ issuer: ISS, audience: AUD, ...o }, deps(store, consumers))

  describe('with a JWKS URL', () => {
    let jwks: Awaited<ReturnType<typeof jwksServer>>
    let policy: AuthPolicy

    before(async () => {
      jwks = await jwksServer([await publicJwk(rsa, 'k1', 'RS256'), await publicJwk(ec, 'k-ec', 'ES256')])
      policy = make({ jwksUrl: jwks.url, algorithms: ['RS256', 'ES256'], jwksCooldown: `${COOLDOWN_MS}ms` })
    })
    after(async () => {
      policy.close?.()
      await jwks.close()
    })

    it('accepts a valid RS256 token, maps the subject to its consumer and merges scopes', async () => {
      const t = await token(rsa.privateKey, 'RS256', { scope: 'orders:write  reports:read', scp: ['admin:x', 7] }, { kid: 'k1' })
      const r = await check(policy, t)
      assert.equal(outcome(r), 'ok')
      assert.ok(r.ok)
      assert.equal(r.principal.consumer, 'orders')
      assert.equal(r.principal.method, 'jwt')
      assert.equal(r.principal.subject, 'svc-orders')
      assert.deepEqual([...r.principal.scopes].sort(), ['admin:x', 'orders:read', 'orders:write', 'reports:read'])
      assert.equal(r.principal.claims?.iss, ISS)
    })

    it('accepts ES256 from the same key set', async () => {
      const t = await token(ec.privateKey, 'ES256', {}, { kid: 'k-ec' })
      assert.equal(outcome(await check(policy, t)), 'ok')
    })

    it('maps an unknown subject to no consumer, keeping the token scopes', async () => {
      const t = await token(rsa.privateKey, 'RS256', { sub: 'stranger', scp: 'a b' }, { kid: 'k1' })
      const r = await check(policy, t)
      assert.ok(r.ok)
      assert.equal(r.principal.consumer, null)
      assert.deepEqual(r.principal.scopes, ['a', 'b'])
    })

    it('rejects a forged signature (another key under the same kid)', async () => {
      const t = await token(rsaOther.privateKey, 'RS256', {}, { kid: 'k1' })
      const r = await check(policy, t)
      assert.equal(outcome(r), 'SB_ERR_AUTH_JWT_INVALID')
      assert.ok(!r.ok && r.reason === 'invalid' && /signature/.test(r.error.message))
    })

    it('refetches once for an unknown kid, then fails, and a burst does not hammer the JWKS endpoint', async () => {
      // Signing is slow on a loaded machine: make every token before the clock-sensitive part.
      const unknown = await token(rsaOther.privateKey, 'RS256', {}, { kid: 'rotated' })
      const junk = await Promise.all(Array.from({ length: 25 }, (_, i) => token(rsaOther.privateKey, 'RS256', {}, { kid: `junk-${i}` })))
      await check(policy, await token(rsa.privateKey, 'RS256', {}, { kid: 'k1' }))
      await sleep(COOLDOWN_MS + 100)
      const before = jwks.hits()
      assert.equal(outcome(await check(policy, unknown)), 'SB_ERR_AUTH_JWT_INVALID')
      assert.equal(jwks.hits(), before + 1, 'exactly one refetch for the unknown kid')

      const burst = await Promise.all(junk.map((t) => check(policy, t)))
      assert.ok(burst.every((r) => outcome(r) === 'SB_ERR_AUTH_JWT_INVALID'))
      assert.equal(jwks.hits(), before + 1, 'no refetch within the cooldown')
    })

    it('picks up a rotated key after the cooldown', async () => {
      jwks.setKeys([await publicJwk(rsa, 'k1', 'RS256'), await publicJwk(rsaOther, 'k2', 'RS256')])
      const t = await token(rsaOther.privateKey, 'RS256', {}, { kid: 'k2' })
      await sleep(COOLDOWN_MS + 100)
      assert.equal(outcome(await check(policy, t)), 'ok')
    })

    it('answers 503 when the JWKS endpoint cannot be reached', async () => {
      const down = await jwksServer([])
      const url = down.url
      await down.close()
      const p = make({ jwksUrl: url })
      try {
        const r = await check(p, await token(rsa.privateKey, 'RS256', {}, { kid: 'k1' }))
        assert.equal(outcome(r), 'SB_ERR_AUTH_JWKS_UNAVAILABLE')
        assert.ok(!r.ok && r.reason === 'invalid' && r.error.status === 503)
      } finally {
        p.close?.()
      }
    })

    it('is absent without a bearer token or with an API key in the bearer slot', async () => {
      assert.equal(outcome(await policy.authenticate(req())), 'absent')
      assert.equal(outcome(await policy.authenticate(req({ headers: { authorization: 'Basic dXNlcjpwdw==' } }))), 'absent')
      assert.equal(outcome(await policy.authenticate(req({ headers: { authorization: 'Bearer sbk_abc' } }))), 'absent')
      assert.equal(outcome(await policy.authenticate(req({ headers: { authorization: 'Bearer not-a-jwt' } }))), 'SB_ERR_AUTH_JWT_INVALID')
    })
  })

  describe('with a static key', () => {
    it('verifies EdDSA with a PEM public key', async () => {
      const p = make({ key: await exportSPKI(ed.publicKey), algorithms: ['EdDSA'] })
      assert.equal(outcome(await check(p, await token(ed.privateKey, 'EdDSA'))), 'ok')
      assert.equal(outcome(await check(p, await token(ec.privateKey, 'ES256'))), 'SB_ERR_AUTH_JWT_INVALID')
    })

    it('verifies ES256 with a PEM public key', async () => {
      const p = make({ key: await exportSPKI(ec.publicKey), algorithms: ['ES256'] })
      assert.equal(outcome(await check(p, await token(ec.privateKey, 'ES256'))), 'ok')
    })

    it('verifies HS256 with a shared secret, and refuses another secret', async () => {
      const p = make({ key: HS_SECRET, algorithms: ['HS256'] })
      assert.equal(outcome(await check(p, await token(new TextEncoder().encode(HS_SECRET), 'HS256'))), 'ok')
      assert.equal(outcome(await check(p, await token(new TextEncoder().encode(`${HS_SECRET}x`), 'HS256'))), 'SB_ERR_AUTH_JWT_INVALID')
    })

    describe('claims and time (RS256)', () => {
      let p: AuthPolicy
      before(async () => {
        p = make({ key: await exportSPKI(rsa.publicKey), algorithms: ['RS256'], clockSkew: '30s' })
      })

      it('rejects an expired token, honouring the clock skew', async () => {
        const t = await token(rsa.privateKey, 'RS256', { exp: SEC - 10 })
        assert.equal(outcome(await check(p, t)), 'ok', '10 s past exp is within the 30 s skew')
        assert.equal(outcome(await check(p, t, NOW + 25_000)), 'SB_ERR_AUTH_JWT_EXPIRED', '35 s past exp is not')
      })

      it('rejects a token that is not yet valid, honouring the clock skew', async () => {
        const t = await token(rsa.privateKey, 'RS256', { nbf: SEC + 20 })
        assert.equal(outcome(await check(p, t)), 'ok', 'nbf 20 s ahead is within the skew')
        const later = await token(rsa.privateKey, 'RS256', { nbf: SEC + 120 })
        const r = await check(p, later)
        assert.equal(outcome(r), 'SB_ERR_AUTH_JWT_CLAIM')
        assert.ok(!r.ok && r.reason === 'invalid' && /nbf/.test(r.error.message))
      })

      it('rejects a wrong audience and a wrong issuer', async () => {
        const aud = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256' }).setIssuer(ISS).setAudience('someone-else').setExpirationTime(SEC + 60).sign(rsa.privateKey)
        const ra = await check(p, aud)
        assert.equal(outcome(ra), 'SB_ERR_AUTH_JWT_CLAIM')
        assert.ok(!ra.ok && ra.reason === 'invalid' && /aud/.test(ra.error.message))
        const iss = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256' }).setIssuer('https://evil.test/').setAudience(AUD).setExpirationTime(SEC + 60).sign(rsa.privateKey)
        const ri = await check(p, iss)
        assert.equal(outcome(ri), 'SB_ERR_AUTH_JWT_CLAIM')
        assert.ok(!ri.ok && ri.reason === 'invalid' && /iss/.test(ri.error.message))
      })

      it('requires exp', async () => {
        const t = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256' }).setIssuer(ISS).setAudience(AUD).sign(rsa.privateKey)
        assert.equal(outcome(await check(p, t)), 'SB_ERR_AUTH_JWT_CLAIM')
      })

      it('rejects an unsigned alg:none token', async () => {
        const payload = { sub: 'svc-orders', iss: ISS, aud: AUD, exp: SEC + 60 }
        for (const alg of ['none', 'None', 'NONE']) {
          const t = `${b64url({ alg, typ: 'JWT' })}.${b64url(payload)}.`
          assert.equal(outcome(await check(p, t)), 'SB_ERR_AUTH_JWT_INVALID', alg)
        }
      })

      it('rejects an HS256 token whose HMAC secret is the RSA public key (algorithm confusion)', async () => {
        const pem = await exportSPKI(rsa.publicKey)
        const payload = { sub: 'svc-orders', iss: ISS, aud: AUD, exp: SEC + 60 }
        const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`
        for (const secret of [pem, pem.trim()]) {
          const sig = createHmac('sha256', secret).update(signingInput).digest('base64url')
          assert.equal(outcome(await check(p, `${signingInput}.${sig}`)), 'SB_ERR_AUTH_JWT_INVALID')
        }
      })

      it('rejects a token with a tampered payload', async () => {
        const [h, , s] = (await token(rsa.privateKey, 'RS256')).split('.')
        const forged = `${h}.${b64url({ sub: 'admin', iss: ISS, aud: AUD, exp: SEC + 60 })}.${s}`
        assert.equal(outcome(await check(p, forged)), 'SB_ERR_AUTH_JWT_INVALID')
      })
    })
  })

  describe('verified-token cache', () => {
    let p: AuthPolicy
    before(async () => {
      p = make({ key: await exportSPKI(ec.publicKey), algorithms: ['ES256'], clockSkew: '0s' })
    })
    after(() => p.close?.())

    it('answers a token it verified from memory (synchronously), with the same principal', async () => {
      const t = await token(ec.privateKey, 'ES256', { scope: 'orders:write', exp: SEC + 600 })
      const first = p.authenticate(bearer(t))
      assert.ok(isPromise(first), 'the first sight of a token is verified')
      const r1 = await first
      const again = p.authenticate(bearer(t, NOW + 1000))
      assert.ok(!isPromise(again), 'a verified token is answered from the cache')
      assert.ok(r1.ok && again.ok)
      assert.equal(again.principal, r1.principal)
      assert.ok(Object.isFrozen(again.principal) && Object.isFrozen(again.principal.scopes))
    })

    it('never trusts a cached token past its exp', async () => {
      const t = await token(ec.privateKey, 'ES256', { exp: SEC + 5 })
      assert.equal(outcome(await check(p, t)), 'ok')
      assert.equal(outcome(await check(p, t, NOW + 4_000)), 'ok')
      assert.equal(outcome(await check(p, t, NOW + 5_000)), 'SB_ERR_AUTH_JWT_EXPIRED')
    })

    it(`verifies again after ${VERIFIED_TTL_MS / 1000} s, and when the clock is set back before the check`, async () => {
      const t = await token(ec.privateKey, 'ES256', { nbf: SEC, exp: SEC + 3600 })
      assert.equal(outcome(await check(p, t)), 'ok')
      assert.ok(!isPromise(p.authenticate(bearer(t, NOW + VERIFIED_TTL_MS - 1))))
      assert.ok(isPromise(p.authenticate(bearer(t, NOW + VERIFIED_TTL_MS))))
      const early = await check(p, t, NOW - 10_000)
      assert.equal(outcome(early), 'SB_ERR_AUTH_JWT_CLAIM', 'before nbf, even though it was verified (later) before')
    })

    it('does not carry a verification over to a route with another audience', async () => {
      const t = await token(ec.privateKey, 'ES256', { exp: SEC + 600, sub: 'other-client' })
      assert.equal(outcome(await check(p, t)), 'ok')
      const strict = make({ key: await exportSPKI(ec.publicKey), algorithms: ['ES256'], audience: 'another-api' })
      try {
        assert.equal(outcome(await check(strict, t)), 'SB_ERR_AUTH_JWT_CLAIM')
      } finally {
        strict.close?.()
      }
    })

    it('does not remember rejections', async () => {
      const forged = await token(rsaOther.privateKey, 'RS256', { exp: SEC + 600 })
      const rs = make({ key: await exportSPKI(rsa.publicKey), algorithms: ['RS256'] })
      try {
        for (let i = 0; i < 2; i++) {
          const r = rs.authenticate(bearer(forged))
          assert.ok(isPromise(r))
          assert.equal(outcome(await r), 'SB_ERR_AUTH_JWT_INVALID')
        }
      } finally {
        rs.close?.()
      }
    })
  })

  describe('boot-time checks', () => {
    const boot = (o: JwtAuthConfig, consumersOverride?: Record<string, { jwtSubjects?: string[] }>) => () => jwtPolicy(o, deps(store, consumersOverride ?? consumers), 'routes[1].auth.jwt')
    const named = (option: string) => (e: Error & { code?: string }) => e.code === 'SB_ERR_CONFIG_INVALID' && e.message.startsWith(`routes[1].auth.jwt${option}:`)

    it('refuses HS256 with a JWKS, with a PEM key, and mixed with asymmetric algorithms', async () => {
      const pem = await exportSPKI(rsa.publicKey)
      assert.throws(boot({ jwksUrl: 'https://idp.example.test/jwks', algorithms: ['HS256'] }), named('.algorithms'))
      assert.throws(boot({ key: pem, algorithms: ['HS256'] }), named('.key'))
      assert.throws(boot({ key: HS_SECRET, algorithms: ['HS256', 'RS256'] }), named('.algorithms'))
    })

    it('refuses "none" and unknown algorithms', () => {
      assert.throws(boot({ key: HS_SECRET, algorithms: ['none'] }), named('.algorithms[0]'))
      assert.throws(boot({ key: HS_SECRET, algorithms: ['HS256', 'HS512'] }), named('.algorithms[1]'))
    })

    it('needs exactly one key source', async () => {
      assert.throws(boot({}), named(''))
      assert.throws(boot({ key: await exportSPKI(rsa.publicKey), jwksUrl: 'https://idp.example.test/jwks' }), named(''))
    })

    it('checks the static key against the algorithms', async () => {
      assert.throws(boot({ key: HS_SECRET.slice(0, 20), algorithms: ['HS256'] }), named('.key'))
      assert.throws(boot({ key: HS_SECRET, algorithms: ['RS256'] }), named('.key'))
      assert.throws(boot({ key: await exportSPKI(ec.publicKey), algorithms: ['RS256'] }), named('.key'))
      assert.throws(boot({ key: await exportPKCS8(rsa.privateKey), algorithms: ['RS256'] }), named('.key'))
      assert.throws(boot({ key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', algorithms: ['RS256'] }), named('.key'))
    })

    it('requires https for a non-loopback JWKS URL', () => {
      assert.throws(boot({ jwksUrl: 'http://idp.example.test/jwks' }), named('.jwksUrl'))
      assert.throws(boot({ jwksUrl: 'not a url' }), named('.jwksUrl'))
    })

    it('refuses a subject claimed by two consumers', () => {
      assert.throws(boot({ key: HS_SECRET, algorithms: ['HS256'] }, { a: { jwtSubjects: ['s'] }, b: { jwtSubjects: ['s'] } }), /consumers\.b\.jwtSubjects/)
    })
  })
})
