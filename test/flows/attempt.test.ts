import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { runAttempt, type DeliveryClient } from '../../src/flows/attempt.js'
import { Redactor, truncateUtf8, EXCERPT_MAX_BYTES } from '../../src/flows/redact.js'
import { DEFAULT_RETRY } from '../../src/flows/retry.js'
import { ManualClock } from '../../src/core/clock.js'
import { CircuitOpenError, SwitchboardError } from '../../src/core/errors.js'
import type { OutboundRequest } from '../../src/flows/target.js'

const request: OutboundRequest = { method: 'POST', path: '/x', headers: { 'x-request-id': 'rq-1', 'idempotency-key': 'e:f' }, body: '{}' }

function client(answer: (req: Parameters<DeliveryClient['request']>[0], clock: ManualClock) => Promise<Awaited<ReturnType<DeliveryClient['request']>>>, clock: ManualClock): DeliveryClient & { seen: unknown[] } {
  const seen: unknown[] = []
  return {
    seen,
    request: (req) => {
      seen.push(req)
      return answer(req, clock)
    },
  }
}

const options = (clock: ManualClock) => ({
  clock,
  redactor: new Redactor(['iban']),
  classify: { schedule: { ...DEFAULT_RETRY, jitter: 'none' as const }, attempt: 1, eventCreatedAt: clock.now() },
  timeoutMs: 1234,
})

describe('runAttempt', () => {
  it('records status, latency, request id and a redacted excerpt; passes the timeout and waits for rate limits', async () => {
    const clock = new ManualClock()
    const c = client(async (_req, k) => {
      k.advance(37)
      return { statusCode: 201, headers: {}, body: JSON.stringify({ ok: true, token: 'sekrit', nested: { Authorization: 'Bearer abc', iban: 'DE00' } }) }
    }, clock)
    const rec = await runAttempt(c, request, options(clock))
    assert.equal(rec.status, 201)
    assert.equal(rec.latencyMs, 37)
    assert.equal(rec.requestId, 'rq-1')
    assert.equal(rec.verdict.kind, 'delivered')
    assert.equal(rec.errorCode, null)
    assert.equal(rec.responseExcerpt, '{"ok":true,"token":"[redacted]","nested":{"Authorization":"[redacted]","iban":"[redacted]"}}')
    assert.deepEqual(c.seen[0], { method: 'POST', path: '/x', headers: request.headers, body: '{}', timeoutMs: 1234, signal: undefined, waitForRateLimit: true })
  })

  it('classifies a 503 with Retry-After and keeps the error code', async () => {
    const clock = new ManualClock()
    const rec = await runAttempt(client(async () => ({ statusCode: 503, headers: { 'retry-after': '3' }, body: 'down' }), clock), request, options(clock))
    assert.equal(rec.verdict.kind, 'retry')
    assert.equal((rec.verdict as { delayMs: number }).delayMs, 3000)
    assert.equal(rec.errorCode, 'SB_ERR_FLOW_TARGET_STATUS')
    assert.equal(rec.responseExcerpt, 'down')
  })

  it('turns a thrown error into a record without a status', async () => {
    const clock = new ManualClock()
    const rec = await runAttempt(client(async () => { throw new SwitchboardError('SB_ERR_SYSTEM_TIMEOUT', 'no answer in 1234ms') }, clock), request, options(clock))
    assert.equal(rec.status, null)
    assert.equal(rec.errorCode, 'SB_ERR_SYSTEM_TIMEOUT')
    assert.equal(rec.error, 'no answer in 1234ms')
    assert.equal(rec.verdict.kind, 'retry')
  })

  it('an open circuit is a wait', async () => {
    const clock = new ManualClock()
    const rec = await runAttempt(client(async () => { throw new CircuitOpenError('inv', 5000) }, clock), request, options(clock))
    assert.equal(rec.verdict.kind, 'wait')
    assert.equal(rec.errorCode, 'SB_ERR_SYSTEM_CIRCUIT_OPEN')
  })

  it('bounds the excerpt to 4 KB from a large streamed body, redacting non-JSON text', async () => {
    const clock = new ManualClock()
    const big = `password=hunter2&x=${'y'.repeat(200_000)}`
    const rec = await runAttempt(client(async () => ({ statusCode: 400, headers: {}, body: Readable.from([Buffer.from(big)]) }), clock), request, options(clock))
    assert.ok(Buffer.byteLength(rec.responseExcerpt ?? '') <= EXCERPT_MAX_BYTES)
    assert.match(rec.responseExcerpt ?? '', /^password=\[redacted\]&x=y/)
    assert.doesNotMatch(rec.responseExcerpt ?? '', /hunter2/)
    assert.equal(rec.verdict.kind, 'dead')
  })

  it('accepts Uint8Array bodies and empty bodies', async () => {
    const clock = new ManualClock()
    const a = await runAttempt(client(async () => ({ statusCode: 200, headers: {}, body: new TextEncoder().encode('hi') }), clock), request, options(clock))
    assert.equal(a.responseExcerpt, 'hi')
    const b = await runAttempt(client(async () => ({ statusCode: 204, headers: {}, body: '' }), clock), request, options(clock))
    assert.equal(b.responseExcerpt, null)
  })
})

describe('Redactor', () => {
  const r = new Redactor()
  it('redacts bearer tokens in free text and secret header values', () => {
    assert.equal(r.excerpt('got Authorization: Bearer abc.def-ghi'), 'got Authorization: [redacted]')
    assert.equal(r.excerpt('token is Bearer abc.def'), 'token is Bearer [redacted]')
    assert.deepEqual(r.headers({ Authorization: 'Bearer x', 'X-Api-Key': 'k', 'webhook-signature': 'v1,abc', accept: 'json' }), {
      Authorization: '[redacted]',
      'X-Api-Key': '[redacted]',
      'webhook-signature': '[redacted]',
      accept: 'json',
    })
  })
  it('truncates on a character boundary', () => {
    const s = 'é'.repeat(3000)
    const t = truncateUtf8(s, 4096)
    assert.ok(Buffer.byteLength(t) <= 4096)
    assert.ok(t.endsWith('…'))
    assert.doesNotMatch(t, /\uFFFD/)
  })
})
