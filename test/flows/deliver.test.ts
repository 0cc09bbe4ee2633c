/** deliver(): how one claimed delivery's expression failures settle on the bus. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AckOutcome, Claim, DeadOutcome, NackOutcome } from '../../src/bus/contract.js'
import { systemClock } from '../../src/core/clock.js'
import { deliver, type DeliverDeps } from '../../src/flows/deliver.js'
import { compileFlowSet, type CompiledFlow } from '../../src/flows/flow-set.js'
import { Redactor } from '../../src/flows/redact.js'

type Settled = { kind: 'ack' | 'nack' | 'dead'; outcome: Partial<AckOutcome & NackOutcome & DeadOutcome> }

function recordingBus(settled: Settled[]): DeliverDeps['bus'] {
  return {
    ack: async (_c, outcome) => void settled.push({ kind: 'ack', outcome }),
    nack: async (_c, outcome) => void settled.push({ kind: 'nack', outcome }),
    deadLetter: async (_c, outcome) => void settled.push({ kind: 'dead', outcome }),
  }
}

function flowWith(transform: string): CompiledFlow {
  const set = compileFlowSet(
    {
      dir: process.cwd(),
      config: {
        topics: { 'order.created': {} },
        systems: { inv: { baseUrl: 'http://127.0.0.1:9' } },
        flows: [{ id: 'f', on: 'order.created', transform, to: { system: 'inv', post: '/x' } }],
      },
    },
    { timeoutMs: 50 },
  )
  return set.flows.get('f') as CompiledFlow
}

function claimOf(body: unknown): Claim {
  const now = Date.now()
  return {
    token: 't.1',
    event: { id: 'e1', topic: 'order.created', sourceId: null, key: null, body, headers: {}, requestId: null, traceparent: null, createdAt: now },
    delivery: {
      id: 'd1', seq: 1, eventId: 'e1', flowId: 'f', system: 'inv', status: 'in_flight', attempts: 1, nextAt: now, leaseUntil: now + 1000, orderingKey: null,
      lastStatus: null, lastErrorCode: null, lastError: null, deadReason: null, request: null, ageFrom: now, createdAt: now, updatedAt: now,
    },
  }
}

/** Holds the whole process for `ms`, as a CPU-starved or throttled node is held by the OS. */
function stall(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {
    // spin
  }
}

const systems = { get: () => ({ request: () => Promise.reject(new Error('no request expected')) }) }

describe('deliver: expression failures', () => {
  it('a transform cut short by a stalled process is retried on its schedule, not dead-lettered', async () => {
    const settled: Settled[] = []
    // The event is read mid-evaluation; the process stalls past the 50 ms budget right there.
    const body = { get n() {
      stall(120)
      return 1
    } }
    const outcome = await deliver(claimOf(body), flowWith("{ 'n': n, 'kind': 'order' }"), { bus: recordingBus(settled), systems, clock: systemClock, redactor: new Redactor() })
    assert.equal(outcome, 'retry')
    assert.equal(settled.length, 1)
    assert.equal(settled[0]?.kind, 'nack')
    assert.equal(settled[0]?.outcome.errorCode, 'SB_ERR_FLOW_EXPRESSION_TIMEOUT')
    assert.equal(settled[0]?.outcome.consumeAttempt, true)
  })

  it('a transform that fails on the event itself is dead-lettered at once', async () => {
    const settled: Settled[] = []
    const outcome = await deliver(claimOf({ name: 'abc' }), flowWith('$number(name)'), { bus: recordingBus(settled), systems, clock: systemClock, redactor: new Redactor() })
    assert.equal(outcome, 'dead')
    assert.deepEqual(settled.map((s) => [s.kind, s.outcome.errorCode, s.outcome.reason]), [['dead', 'SB_ERR_FLOW_EXPRESSION', 'non-retryable']])
  })
})
