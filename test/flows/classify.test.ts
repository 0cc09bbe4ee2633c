import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { classifyAttempt, type ClassifyContext, type Verdict } from '../../src/flows/classify.js'
import { DEFAULT_RETRY, type RetrySchedule } from '../../src/flows/retry.js'
import { CircuitOpenError, NonRetryableError, RetryAfterError, SwitchboardError } from '../../src/core/errors.js'

const NOW = Date.parse('2026-01-01T00:00:00Z')
const schedule: RetrySchedule = { ...DEFAULT_RETRY, attempts: 5, initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 'none', maxAgeMs: 86_400_000, retryAfterCapMs: 60_000 }
const ctx = (over: Partial<ClassifyContext> = {}): ClassifyContext => ({ schedule, attempt: 1, eventCreatedAt: NOW, now: NOW, ...over })
const status = (s: number, headers: Record<string, string> = {}, c: Partial<ClassifyContext> = {}): Verdict =>
  classifyAttempt({ kind: 'response', status: s, headers }, ctx(c))
const error = (e: unknown, c: Partial<ClassifyContext> = {}): Verdict => classifyAttempt({ kind: 'error', error: e }, ctx(c))

describe('classifyAttempt: statuses', () => {
  it('2xx is delivered', () => {
    for (const s of [200, 201, 202, 204, 299]) assert.deepEqual(status(s), { kind: 'delivered' })
  })

  it('408, 425, 429 and every 5xx are retried with backoff', () => {
    for (const s of [408, 425, 429, 500, 502, 503, 504, 599]) {
      const v = status(s)
      assert.equal(v.kind, 'retry', String(s))
      assert.equal((v as { delayMs: number }).delayMs, 1000)
      assert.equal((v as { code: string }).code, 'SB_ERR_FLOW_TARGET_STATUS')
    }
  })

  it('other 4xx, 1xx and 3xx go straight to dead', () => {
    for (const s of [400, 401, 403, 404, 405, 409, 413, 422, 301, 304, 100]) {
      const v = status(s)
      assert.equal(v.kind, 'dead', String(s))
      assert.equal((v as { reason: string }).reason, 'non-retryable')
    }
  })

  it('410 Gone is dead and flags the target', () => {
    const v = status(410)
    assert.equal(v.kind, 'dead')
    assert.equal((v as { reason: string }).reason, 'gone')
    assert.equal((v as { code: string }).code, 'SB_ERR_FLOW_TARGET_GONE')
  })

  it('honours Retry-After in seconds and as an HTTP-date, capped', () => {
    assert.equal((status(429, { 'retry-after': '7' }) as { delayMs: number }).delayMs, 7000)
    assert.equal((status(503, { 'Retry-After': 'Thu, 01 Jan 2026 00:00:30 GMT' }) as { delayMs: number }).delayMs, 30_000)
    assert.equal((status(503, { 'retry-after': '86400' }) as { delayMs: number }).delayMs, 60_000)
    // Malformed → ordinary backoff for this retry number.
    assert.equal((status(503, { 'retry-after': 'later' }, { attempt: 3 }) as { delayMs: number }).delayMs, 4000)
  })

  it('Retry-After on a non-retryable status does not make it retryable', () => {
    assert.equal(status(400, { 'retry-after': '5' }).kind, 'dead')
  })

  it('retryOn.statuses replaces the retryable set', () => {
    const rules = { statuses: [409, 503] }
    assert.equal(status(409, {}, { rules }).kind, 'retry')
    assert.equal(status(503, {}, { rules }).kind, 'retry')
    assert.equal(status(500, {}, { rules }).kind, 'dead')
    assert.equal(status(429, {}, { rules }).kind, 'dead')
  })

  it('retryOn.statuses may include 410 to retry it', () => {
    assert.equal(status(410, {}, { rules: { statuses: [410] } }).kind, 'retry')
  })

  it('retryOn.deadOn wins over the default and over statuses', () => {
    assert.equal(status(503, {}, { rules: { deadOn: [503] } }).kind, 'dead')
    assert.equal(status(429, {}, { rules: { statuses: [429], deadOn: [429] } }).kind, 'dead')
    assert.equal(status(200, {}, { rules: { deadOn: [200] } }).kind, 'delivered')
  })
})

describe('classifyAttempt: errors', () => {
  it('network errors and timeouts are retried', () => {
    for (const e of [
      new SwitchboardError('SB_ERR_SYSTEM_UNREACHABLE', 'ECONNREFUSED'),
      new SwitchboardError('SB_ERR_SYSTEM_TIMEOUT', 'timed out'),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      'a thrown string',
    ]) {
      const v = error(e)
      assert.equal(v.kind, 'retry')
    }
    assert.equal((error(new SwitchboardError('SB_ERR_SYSTEM_TIMEOUT', 't')) as { code: string }).code, 'SB_ERR_SYSTEM_TIMEOUT')
    assert.equal((error(new Error('x')) as { code: string }).code, 'SB_ERR_SYSTEM_UNREACHABLE')
  })

  it('an open circuit waits for the breaker without spending an attempt, even on the last one', () => {
    const v = error(new CircuitOpenError('invoicing', 12_000), { attempt: 5 })
    assert.deepEqual({ kind: v.kind, delayMs: (v as { delayMs: number }).delayMs }, { kind: 'wait', delayMs: 12_000 })
  })

  it('an open circuit without a hint waits a default second', () => {
    const v = error(new SwitchboardError('SB_ERR_SYSTEM_CIRCUIT_OPEN', 'open'))
    assert.equal(v.kind, 'wait')
    assert.equal((v as { delayMs: number }).delayMs, 1000)
  })

  it('an expression that ran out of time is retried (attempt spent), and dead only when attempts run out', () => {
    const timeout = new SwitchboardError('SB_ERR_FLOW_EXPRESSION_TIMEOUT', 'flows[0].transform: Evaluation timeout')
    assert.deepEqual(error(timeout), { kind: 'retry', delayMs: 1000, code: 'SB_ERR_FLOW_EXPRESSION_TIMEOUT', message: 'flows[0].transform: Evaluation timeout' })
    assert.equal((error(timeout, { attempt: 5 }) as { reason?: string }).reason, 'attempts')
  })

  it('non-retryable errors are dead at once with their code', () => {
    const v = error(new NonRetryableError('SB_ERR_FLOW_EXPRESSION', 'flows[0].transform: boom'))
    assert.deepEqual(v, { kind: 'dead', reason: 'non-retryable', code: 'SB_ERR_FLOW_EXPRESSION', message: 'flows[0].transform: boom' })
  })

  it('RetryAfterError asks for its delay, capped', () => {
    assert.equal((error(new RetryAfterError('SB_ERR_SYSTEM_UNREACHABLE', 'x', 3000)) as { delayMs: number }).delayMs, 3000)
    assert.equal((error(new RetryAfterError('SB_ERR_SYSTEM_UNREACHABLE', 'x', 1e9)) as { delayMs: number }).delayMs, 60_000)
  })
})

describe('classifyAttempt: limits', () => {
  it('the last allowed attempt failing is dead with reason attempts, keeping the failure code', () => {
    const v = status(503, {}, { attempt: 5 })
    assert.equal(v.kind, 'dead')
    assert.equal((v as { reason: string }).reason, 'attempts')
    assert.equal((v as { code: string }).code, 'SB_ERR_FLOW_TARGET_STATUS')
    assert.equal(status(503, {}, { attempt: 4 }).kind, 'retry')
  })

  it('maxAge shortens the last wait to the deadline, then dead', () => {
    const near = status(503, {}, { attempt: 4, now: NOW + 86_400_000 - 500 })
    assert.equal(near.kind, 'retry')
    assert.equal((near as { delayMs: number }).delayMs, 500)
    const past = status(503, {}, { attempt: 2, now: NOW + 86_400_000 })
    assert.equal(past.kind, 'dead')
    assert.equal((past as { reason: string }).reason, 'max-age')
    const waitPast = error(new CircuitOpenError('s', 1000), { now: NOW + 86_400_001 })
    assert.equal((waitPast as { reason: string }).reason, 'max-age')
  })

  it('maxAge 0 means no age limit', () => {
    const v = status(503, {}, { schedule: { ...schedule, maxAgeMs: 0 }, now: NOW + 1e12 })
    assert.equal(v.kind, 'retry')
  })
})

describe('classifyAttempt: codes that retrying cannot fix', () => {
  it('dead-letters a request the client cannot send, and event/flow refusals, whatever their class', () => {
    for (const code of ['SB_ERR_SYSTEM_REQUEST_INVALID', 'SB_ERR_FLOW_UNKNOWN', 'SB_ERR_EVENT_INVALID', 'SB_ERR_EVENT_UNKNOWN_TOPIC'] as const) {
      const v = error(new SwitchboardError(code, 'x'))
      assert.equal(v.kind, 'dead', code)
      assert.equal((v as { code: string }).code, code)
    }
  })
})
