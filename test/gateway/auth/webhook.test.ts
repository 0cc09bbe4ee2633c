import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { signGithubWebhook, signStandardWebhook, signStripeWebhook } from '../../../src/core/webhook-signature.js'
import { webhookPolicy } from '../../../src/gateway/auth/webhook/index.js'
import type { WebhookAuthConfig } from '../../../src/config/spec/route.js'
import type { AuthPolicy, AuthResult } from '../../../src/gateway/auth/policy.js'
import type { Store } from '../../../src/store/contract.js'
import { deps, openTestStore, outcome, req } from './helpers.js'

const NOW = 1_700_000_000_000
const SEC = NOW / 1000
const MIN = 60

/** Flip one byte of a copy. */
function tamper(body: Buffer, at = Math.floor(body.length / 2)): Buffer {
  const copy = Buffer.from(body)
  copy[at] = (copy[at] ?? 0) ^ 0x01
  return copy
}

function run(p: AuthPolicy, headers: Record<string, string | string[]>, body: Buffer | string, now = NOW): AuthResult {
  const r = p.authenticate(req({ headers, body, now }))
  assert.ok(!(r instanceof Promise), 'webhook verification is synchronous')
  return r
}

describe('webhook policies', () => {
  let store: Store
  const consumers = { shop: { scopes: ['orders:publish'] } }
  const make = (o: WebhookAuthConfig, at?: string) => webhookPolicy(o, deps(store, consumers), at)

  before(async () => {
    store = await openTestStore()
  })
  after(() => store.close())

  describe('Standard Webhooks', () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`
    const body = Buffer.from(JSON.stringify({ type: 'order.created', data: { id: 'o_1', total: 12.5, note: 'crème brûlée ✓' } }))

    it('verifies the specification’s test vector', () => {
      const p = make({ scheme: 'standard-webhooks', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
      const headers = { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }
      assert.equal(outcome(run(p, headers, '{"test": 2432232314}', 1614265330_000)), 'ok')
      assert.deepEqual(signStandardWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'), headers)
    })

    it('accepts a valid signature over the raw bytes, with the configured consumer', () => {
      const p = make({ scheme: 'standard-webhooks', secret, consumer: 'shop' })
      assert.equal(p.needsRawBody, true)
      const r = run(p, { ...signStandardWebhook(secret, 'msg_1', SEC, body) }, body)
      assert.ok(r.ok)
      assert.deepEqual(r.principal, { consumer: 'shop', scopes: ['orders:publish'], method: 'webhook', subject: 'msg_1' })
    })

    it('rejects a body changed by one byte, and a changed id or timestamp', () => {
      const p = make({ scheme: 'standard-webhooks', secret })
      const h = signStandardWebhook(secret, 'msg_1', SEC, body)
      for (let i = 0; i < body.length; i += 17) assert.equal(outcome(run(p, h, tamper(body, i))), 'SB_ERR_AUTH_WEBHOOK_SIGNATURE')
      assert.equal(outcome(run(p, { ...h, 'webhook-id': 'msg_2' }, body)), 'SB_ERR_AUTH_WEBHOOK_SIGNATURE')
      assert.equal(outcome(run(p, { ...h, 'webhook-timestamp': String(SEC + 1) }, body)), 'SB_ERR_AUTH_WEBHOOK_SIGNATURE')
    })

    it('rejects timestamps too old and too far in the future, and accepts within tolerance both ways', () => {
      const p = make({ scheme: 'standard-webhooks', secret, tolerance: '5m' })
      const at = (ts: number) => outcome(run(p, signStandardWebhook(secret, 'm', ts, body), body))
      assert.equal(at(SEC - 6 * MIN), 'SB_ERR_AUTH_WEBHOOK_TIMESTAMP')
      assert.equal(at(SEC + 6 * MIN), 'SB_ERR_AUTH_WEBHOOK_TIMESTAMP')
      assert.equal(at(SEC - 4 * MIN), 'ok')
      assert.equal(at(SEC + 4 * MIN), 'ok')
    })

    it('supports several secrets and several signatures (rotation)', () => {
      const oldSecret = `whsec_${randomBytes(32).toString('base64')}`
      const p = make({ scheme: 'standard-webhooks', secret: [oldSecret, secret] })
      assert.equal(outcome(run(p, signStandardWebhook(oldSecret, 'm', SEC, body), body)), 'ok', 'old secret still verifies')
      assert.equal(outcome(run(p, signStandardWebhook(secret, 'm', SEC, body), body)), 'ok', 'new secret verifies')
      const stranger = `whsec_${randomBytes(32).toString('base64')}`
      const mixed = signStandardWebhook([stranger, secret], 'm', SEC, body)
      assert.match(mixed['webhook-signature'], /^v1,\S+ v1,\S+$/)
      assert.equal(outcome(run(p, mixed, body)), 'ok', 'any listed signature may match')
      assert.equal(outcome(run(p, signStandardWebhook(stranger, 'm', SEC, body), body)), 'SB_ERR_AUTH_WEBHOOK_SIGNATURE')
      const withUnknownVersion = { ...signStandardWebhook(secret, 'm', SEC, body) }
      withUnknownVersion['webhook-signature'] = `v1a,AAAA ${withUnknownVersion['webhook-signature']}`
      assert.equal(outcome(run(p, withUnknownVersion, body)), 'ok', 'unknown versions are skipped')
    })

    it('uses a secret without the whsec_ prefix as raw bytes', () => {
      const raw = 'plain-secret-bytes'
      const p = make({ scheme: 'standard-webhooks', secret: raw })
      const sig = createHmac('sha256', raw).update(`m.${SEC}.`).update(body).digest('base64')
      assert.equal(outcome(run(p, { 'webhook-id': 'm', 'webhook-timestamp': String(SEC), 'webhook-signature': `v1,${sig}` }, body)), 'ok')
    })

    it('is absent without webhook headers; incomplete or unparseable headers are invalid', () => {
      const p = make({ scheme: 'standard-webhooks', secret })
      const h = signStandardWebhook(secret, 'm', SEC, body)
      assert.equal(outcome(run(p, {}, body)), 'absent')
      assert.equal(outcome(run(p, { 'webhook-id': 'm', 'webhook-timestamp': h['webhook-timestamp'] }, body)), 'SB_ERR_AUTH_WEBHOOK_MALFORMED')
      assert.equal(outcome(run(p, { 'webhook-signature': h['webhook-signature'] }, body)), 'SB_ERR_AUTH_WEBHOOK_MALFORMED')
      assert.equal(outcome(run(p, { ...h, 'webhook-timestamp': '1.7e9' }, body)), 'SB_ERR_AUTH_WEBHOOK_MALFORMED')
      assert.equal(outcome(run(p, { ...h, 'webhook-timestamp': '-5' }, body)), 'SB_ERR_AUTH_WEBHOOK_MALFORMED')
      assert.equal(outcome(run(p, { ...h, 'webhook-signature': 'garbage' }, body)), 'SB_ERR_AUTH_WEBHOOK_MALFORMED')
      assert.equal(outcome(run(p, { ...h, 'webhook-signature': '   ' }, body)), 'SB_ERR_AUTH_WEBHOOK_MALFORMED')
      assert.equal(outcome(run(p, { ...h, 'webhook-id': [h['webhook-id'], 'x'] }, body)), 'SB_ERR_AUTH_WEBHOOK_MALFORMED')
      assert.equal(outcome(run(p, { ...h, 'webhook-signature': 'v1,not-base64!' }, body)), 'SB_ERR_AUTH_WEBHOOK_SIGNATURE')
      assert.equal(outcome(run(p, { ...h, 'webhook-signature': 'v1,AAAA' }, body)), 'SB_ERR_AUTH_WEBHOOK_SIGNATURE')
    })

    it('refuses a mangled whsec_ secret at boot, naming it', () => {
      assert.throws(() => make({ scheme: 'standard-webhooks', secret: [secret, 'whsec_not base64!'] }, 'routes[4].auth.webhook'), (e: Error & { code?: string }) => e.code === 'SB_ERR_CONFIG_INVALID' && e.message.startsWith('routes[4].auth.webhook.secret[1]:'))
      assert.throws(() => make({ scheme: 'standard-webhooks', secret, consumer: 'ghost' }), /webhook\.consumer: unknown consumer "ghost"/)
      assert.throws(() => make({ scheme: 'standard-webhooks', secret, tolerance: 'soon' }), /webhook\.tolerance/)
    })
  })

  describe('Stripe', () => {
    const secret = `whsec_${randomBytes(24).toString('hex')}`
    const body = Buffer.from('{\n  "id": "evt_1", "object": "event", "type": "payment_intent.succeeded"\n}')

    it('accepts a valid signature computed as Stripe documents it', () => {
      const p = make({ scheme: 'stripe', secret })
      const v1 = createHmac('sha256', secret).update(`${SEC}.`).update(body).digest('hex')
      assert.equal(outcome(run(p, { 'stripe-signature': `t=${SEC},v1=${v1},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39` }, body)), 'ok')
      assert.deepEqual(signStripeWebhook(secret, SEC, body), { 'stripe-signature': `t=${SEC},v1=${v1}` })
    })

    it('accepts any of several v1 signatures (secret roll)', () => {
      const p = make({ scheme: 'stripe', secret })
      const both = signStripeWebhook([`whsec_${randomBytes(8).toString('hex')}`, secret], SEC, body)
      assert.match(both['stripe-signature'], /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/)
      assert.equal(outcome(run(p, both, body)), 'ok')
      const rolled = make({ scheme: 'stripe', secret: ['whsec_previous', secret] })
      assert.equal(outcome(run(rolled, signStripeWebhook('whsec_previous', SEC, body), body)), 'ok')
    })

    it('rejects a modified body, a stale or future timestamp, and malformed headers', () => {
      const p = make({ scheme: 'stripe', secret, tolerance: '5m' })
      const h = signStripeWebhook(secret, SEC, body)
      assert.equal(outcome(run(p, h, tamper(body))), 'SB_ERR_AUTH_WEBHOOK_SIGNATURE')
      assert.equal(outcome(run(p, signStripeWebhook(secret, SEC - 10 * MIN, body), body)), 'SB_ERR_AUTH_WEBHOOK_TIMESTAMP')
      assert.equal(outcome(run(p, signStripeWebhook(secret, SEC + 10 * MIN, body), body)), 'SB_ERR_AUTH_WEBHOOK_TIMESTAMP')
      const v1 = h['stripe-signature'].split(',')[1] ?? ''
      assert.equal(outcome(run(p, { 'stripe-signature': v1 }, body)), 'SB_ERR_AUTH_WEBHOOK_MALFORMED', 'no timestamp')
      assert.equal(outcome(run(p, { 'stripe-signature': `t=${SEC}` }, body)), 'SB_ERR_AUTH_WEBHOOK_MALFORMED', 'no v1')
      assert.equal(outcome(run(p, { 'stripe-signature': `t=${SEC},t=${SEC + 1},${v1}` }, body)), 'SB_ERR_AUTH_WEBHOOK_MALFORMED', 'two timestamps')
      assert.equal(outcome(run(p, { 'stripe-signature': `t=${SEC},v1=zz` }, body)), 'SB_ERR_AUTH_WEBHOOK_SIGNATURE')
      assert.equal(outcome(run(p, {}, body)), 'absent')
    })
  })

  describe('GitHub', () => {
    const require = createRequire(import.meta.url)
    const examples = require('@octokit/webhooks-examples') as Array<{ name: string; examples: unknown[] }>
    const push = examples.find((e) => e.name === 'push')?.examples[0]
    const secret = randomBytes(20).toString('hex')

    it('verifies GitHub’s documented test vector', () => {
      const p = make({ scheme: 'github', secret: "It's a Secret to Everybody" })
      const h = { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' }
      assert.equal(outcome(run(p, h, 'Hello, World!')), 'ok')
      assert.deepEqual(signGithubWebhook("It's a Secret to Everybody", 'Hello, World!'), h)
    })

    it('accepts a real push payload and names the delivery as subject', () => {
      assert.ok(push, 'the examples package has a push payload')
      const body = Buffer.from(JSON.stringify(push, null, 2))
      const p = make({ scheme: 'github', secret, consumer: 'shop' })
      const r = run(p, { ...signGithubWebhook(secret, body), 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-github-event': 'push' }, body)
      assert.ok(r.ok)
      assert.equal(r.principal.subject, '72d3162e-cc78-11e3-81ab-4c9367dc0958')
      assert.equal(r.principal.consumer, 'shop')
    })

    it('rejects the payload changed by one byte, or re-serialised', () => {
      const body = Buffer.from(JSON.stringify(push, null, 2))
      const p = make({ scheme: 'github', secret: ['old-secret', secret] })
      const h = signGithubWebhook(secret, body)
      assert.equal(outcome(run(p, h, tamper(body))), 'SB_ERR_AUTH_WEBHOOK_SIGNATURE')
      assert.equal(outcome(run(p, h, Buffer.from(JSON.stringify(push)))), 'SB_ERR_AUTH_WEBHOOK_SIGNATURE', 'same JSON, other bytes')
      assert.equal(outcome(run(p, h, body)), 'ok')
    })

    it('is absent without a signature; SHA-1 only or malformed is invalid', () => {
      const p = make({ scheme: 'github', secret })
      assert.equal(outcome(run(p, {}, 'x')), 'absent')
      assert.equal(outcome(run(p, { 'x-hub-signature': 'sha1=0123' }, 'x')), 'SB_ERR_AUTH_WEBHOOK_MALFORMED')
      assert.equal(outcome(run(p, { 'x-hub-signature-256': 'sha256=abc' }, 'x')), 'SB_ERR_AUTH_WEBHOOK_MALFORMED')
      assert.equal(outcome(run(p, { 'x-hub-signature-256': `md5=${'0'.repeat(64)}` }, 'x')), 'SB_ERR_AUTH_WEBHOOK_MALFORMED')
      assert.equal(outcome(run(p, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, 'x')), 'SB_ERR_AUTH_WEBHOOK_SIGNATURE')
    })
  })
})
