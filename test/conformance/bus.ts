/**
 * The Bus conformance suite: every Bus implementation must pass it. Each backend's test file is
 * one call to {@link describeBus}; every case gets a fresh, migrated store and a bus on it, and
 * is named after the guarantee it proves. Time is a ManualClock, so leases and delays are
 * tested without sleeping.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { ManualClock, type Clock } from '../../src/core/clock.js'
import { SwitchboardError } from '../../src/core/errors.js'
import { newId } from '../../src/core/ids.js'
import type { Bus, Claim } from '../../src/bus/contract.js'
import type { NewAttempt, Store } from '../../src/store/contract.js'

export interface BusHarness {
  store: Store
  bus: Bus
  /** Close store and bus, then open both again on the same database (absent: in-memory backends). */
  reopen?: () => Promise<{ store: Store; bus: Bus }>
  cleanup(): Promise<void>
}

interface Spec {
  flow?: string
  key?: string | null
  system?: string | null
}

const LEASE = 30_000

export function describeBus(name: string, factory: (opts: { clock: Clock }) => Promise<BusHarness>): void {
  describe(`Bus conformance: ${name}`, () => {
    let h: BusHarness
    let clock: ManualClock

    beforeEach(async () => {
      clock = new ManualClock()
      h = await factory({ clock })
      await h.store.migrate()
    })
    afterEach(async () => {
      await h.cleanup()
    })

    /** One event per spec, each with one delivery, in one transaction per call; returns delivery ids. */
    async function enqueue<const S extends Spec[]>(...specs: S): Promise<{ [K in keyof S]: string }> {
      const ids: string[] = []
      const now = clock.now()
      await h.store.transaction(async (tx) => {
        for (const [i, s] of specs.entries()) {
          const eventId = newId(now)
          await tx.events.insert({ id: eventId, topic: 'order.created', body: { n: i }, headers: {}, createdAt: now })
          const id = newId(now)
          ids.push(id)
          await h.bus.enqueue(tx, [{ id, eventId, flowId: s.flow ?? 'f1', system: s.system === undefined ? 'sink' : s.system, orderingKey: s.key ?? null, nextAt: now, createdAt: now }])
        }
      })
      h.bus.wake()
      return ids as { [K in keyof S]: string }
    }

    const claim = (limit = 100, extra: { excludeSystems?: string[]; excludeFlows?: string[]; leaseMs?: number } = {}) =>
      h.bus.claim({ limit, leaseMs: extra.leaseMs ?? LEASE, excludeSystems: extra.excludeSystems, excludeFlows: extra.excludeFlows })
    const ids = (cs: readonly Claim[]) => cs.map((c) => c.delivery.id)
    const attempt = (status: number | null, code: string | null = status === null || status >= 300 ? 'SB_ERR_FLOW_TARGET_STATUS' : null): NewAttempt => ({
      startedAt: clock.now(),
      latencyMs: 12,
      status,
      errorCode: code,
      error: code === null ? null : `target answered ${String(status)}`,
      responseExcerpt: status === null ? null : `{"status":${status}}`,
      requestId: newId(),
    })
    const leaseLost = (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_BUS_LEASE_LOST'

    it('enqueue is transactional with the event: a rolled-back publish leaves nothing to claim', async () => {
      await assert.rejects(
        h.store.transaction(async (tx) => {
          const now = clock.now()
          await tx.events.insert({ id: 'ev-x', topic: 't', body: {}, headers: {}, createdAt: now })
          await h.bus.enqueue(tx, [{ id: 'd-x', eventId: 'ev-x', flowId: 'f', system: 's', orderingKey: null, nextAt: now, createdAt: now }])
          throw new Error('crash before commit')
        }),
        /crash before commit/,
      )
      assert.deepEqual(await claim(), [])
      assert.equal(await h.store.events.get('ev-x'), undefined)
    })

    it('claims due deliveries with their event, counting an attempt', async () => {
      const [id] = await enqueue({})
      const cs = await claim()
      assert.deepEqual(ids(cs), [id])
      const c = cs[0] as Claim
      assert.equal(c.delivery.status, 'in_flight')
      assert.equal(c.delivery.attempts, 1)
      assert.equal(c.delivery.leaseUntil, clock.now() + LEASE)
      assert.deepEqual(c.event.body, { n: 0 })
      assert.equal(c.event.id, c.delivery.eventId)
      assert.deepEqual(await claim(), [], 'a leased delivery is not claimed again')
    })

    it('redelivers after lease expiry, and the expired holder can no longer settle', async () => {
      const [id] = await enqueue({})
      const [first] = await claim(10, { leaseMs: 1000 })
      assert.ok(first)
      clock.advance(999)
      assert.deepEqual(await claim(), [], 'still leased')
      clock.advance(1)
      const [second] = await claim()
      assert.ok(second)
      assert.equal(second.delivery.id, id)
      assert.equal(second.delivery.attempts, 2, 'the attempt that lost its worker counts')
      await assert.rejects(h.bus.ack(first, { status: 'delivered' }), leaseLost)
      await assert.rejects(h.bus.nack(first, { delayMs: 0, consumeAttempt: true, errorCode: 'X', error: 'x' }), leaseLost)
      await assert.rejects(h.bus.deadLetter(first, { reason: 'non-retryable', errorCode: 'X', error: 'x' }), leaseLost)
      assert.deepEqual(await h.bus.extend([first], 1000), [first])
      await h.bus.ack(second, { status: 'delivered', attempt: attempt(200) })
      const d = await h.store.deliveries.get(id)
      assert.equal(d?.status, 'delivered')
      assert.equal(d?.lastStatus, 200)
    })

    it('extends a lease that is still held', async () => {
      await enqueue({})
      const [c] = await claim(10, { leaseMs: 1000 })
      assert.ok(c)
      clock.advance(900)
      assert.deepEqual(await h.bus.extend([c], 1000), [])
      clock.advance(900)
      assert.deepEqual(await claim(), [], 'the extended lease still holds')
      clock.advance(100)
      assert.equal((await claim()).length, 1)
    })

    it('honours nack delay', async () => {
      const [id] = await enqueue({})
      const [c] = await claim()
      assert.ok(c)
      await h.bus.nack(c, { delayMs: 5000, consumeAttempt: true, errorCode: 'SB_ERR_FLOW_TARGET_STATUS', error: 'target answered 503', attempt: attempt(503) })
      const d = await h.store.deliveries.get(id)
      assert.equal(d?.status, 'pending')
      assert.equal(d?.lastErrorCode, 'SB_ERR_FLOW_TARGET_STATUS')
      assert.equal(d?.lastStatus, 503)
      clock.advance(4999)
      assert.deepEqual(await claim(), [])
      clock.advance(1)
      const [again] = await claim()
      assert.equal(again?.delivery.attempts, 2)
    })

    it('a nack without consuming an attempt gives the claim’s attempt back', async () => {
      const [id] = await enqueue({})
      for (let i = 0; i < 3; i++) {
        const [c] = await claim()
        assert.ok(c)
        assert.equal(c.delivery.attempts, 1)
        await h.bus.nack(c, { delayMs: 10, consumeAttempt: false, errorCode: 'SB_ERR_SYSTEM_CIRCUIT_OPEN', error: 'open' })
        clock.advance(10)
      }
      assert.equal((await h.store.deliveries.get(id))?.attempts, 0)
      assert.deepEqual(await h.store.deliveries.attempts(id), [], 'no attempt was made, none is recorded')
    })

    it('release returns claims unworked: claimable at once, attempt not counted', async () => {
      await enqueue({}, {})
      const cs = await claim()
      assert.equal(cs.length, 2)
      await h.bus.release(cs)
      const again = await claim()
      assert.deepEqual(ids(again).sort(), ids(cs).sort())
      assert.ok(again.every((c) => c.delivery.attempts === 1))
    })

    it('keeps per-key order: one in flight per key, a waiting head blocks only its own key', async () => {
      const [k1, j1, k2, k3, free] = await enqueue({ key: 'k' }, { key: 'j' }, { key: 'k' }, { key: 'k' }, {})
      const first = await claim()
      assert.deepEqual(ids(first).sort(), [k1, j1, free].sort())
      const byId = new Map(first.map((c) => [c.delivery.id, c]))
      await h.bus.ack(byId.get(k1) as Claim, { status: 'delivered' })
      const second = await claim()
      assert.deepEqual(ids(second), [k2])
      // k2 fails and waits: k3 stays behind it, while key j moves on.
      await h.bus.nack(second[0] as Claim, { delayMs: 60_000, consumeAttempt: true, errorCode: 'X', error: 'x' })
      await h.bus.ack(byId.get(j1) as Claim, { status: 'delivered' })
      const [j2] = await enqueue({ key: 'j' })
      assert.deepEqual(ids(await claim()), [j2])
      // A dead head is final: its key moves on.
      clock.advance(60_000)
      const [k2again] = await claim()
      assert.equal(k2again?.delivery.id, k2)
      await h.bus.deadLetter(k2again as Claim, { reason: 'attempts', errorCode: 'X', error: 'gave up' })
      assert.deepEqual(ids(await claim()), [k3])
    })

    it('a key whose head was leased by a claimer that died moves on once the lease expires', async () => {
      const [head, next] = await enqueue({ key: 'k' }, { key: 'k' })
      const [dead] = await claim(10, { leaseMs: 1000 })
      assert.equal(dead?.delivery.id, head, 'the head is claimed; its successor waits')
      // The claimer dies: no settle, no extend.
      clock.advance(999)
      assert.deepEqual(await claim(), [], 'the head is still leased, the key still blocked')
      clock.advance(1)
      const [again] = await claim()
      assert.equal(again?.delivery.id, head, 'the head comes back first, not its successor')
      await h.bus.ack(again as Claim, { status: 'delivered' })
      assert.deepEqual(ids(await claim()), [next])
    })

    it('keys are per flow: the same key in two flows does not block across them', async () => {
      const [a, b] = await enqueue({ key: 'k', flow: 'f1' }, { key: 'k', flow: 'f2' })
      assert.deepEqual(ids(await claim()).sort(), [a, b].sort())
    })

    it('claims oldest due first and respects the limit', async () => {
      const all = await enqueue({}, {}, {}, {}, {})
      const firstTwo = await claim(2)
      assert.deepEqual(ids(firstTwo), all.slice(0, 2))
      assert.deepEqual(ids(await claim(10)), all.slice(2))
    })

    it('leaves excluded systems and flows alone without touching them', async () => {
      const [toOpen, toOk, flowFull, noSystem] = await enqueue({ system: 'broken' }, { system: 'ok' }, { system: 'ok', flow: 'busy' }, { system: null })
      const cs = await claim(10, { excludeSystems: ['broken'], excludeFlows: ['busy'] })
      assert.deepEqual(ids(cs).sort(), [toOk, noSystem].sort())
      const untouched = await h.store.deliveries.get(toOpen as string)
      assert.equal(untouched?.status, 'pending')
      assert.equal(untouched?.attempts, 0)
      assert.deepEqual(ids(await claim()).sort(), [toOpen, flowFull].sort())
    })

    it('never double-claims under concurrency', async () => {
      const all = await enqueue(...Array.from({ length: 120 }, (_, i): Spec => ({ key: i % 3 === 0 ? `k${i % 9}` : null })))
      const seen: string[] = []
      const worker = async () => {
        for (;;) {
          const cs = await claim(7)
          if (cs.length === 0) return
          seen.push(...ids(cs))
          // Settle half at once so keyed successors become claimable while others still claim.
          await Promise.all(cs.map((c) => h.bus.ack(c, { status: 'delivered' })))
        }
      }
      await Promise.all(Array.from({ length: 8 }, worker))
      // Keyed successors unblocked by the last acks may remain: drain them.
      for (let cs = await claim(); cs.length > 0; cs = await claim()) {
        seen.push(...ids(cs))
        await Promise.all(cs.map((c) => h.bus.ack(c, { status: 'delivered' })))
      }
      assert.equal(new Set(seen).size, seen.length, 'a delivery was claimed twice')
      assert.deepEqual([...seen].sort(), [...all].sort())
    })

    it('dead-letter keeps the delivery, its event and every attempt; replay and discard act on dead ones only', async () => {
      const [id] = await enqueue({})
      let [c] = await claim()
      await h.bus.nack(c as Claim, { delayMs: 0, consumeAttempt: true, errorCode: 'SB_ERR_SYSTEM_TIMEOUT', error: 'timeout', attempt: attempt(null, 'SB_ERR_SYSTEM_TIMEOUT') })
      ;[c] = await claim()
      await h.bus.nack(c as Claim, { delayMs: 0, consumeAttempt: true, errorCode: 'SB_ERR_FLOW_TARGET_STATUS', error: 'x', attempt: attempt(503), request: { method: 'POST', path: '/x', headers: {}, body: '{}' } })
      ;[c] = await claim()
      await h.bus.deadLetter(c as Claim, { reason: 'non-retryable', errorCode: 'SB_ERR_FLOW_TARGET_STATUS', error: 'target answered 422', attempt: attempt(422) })
      const d = await h.store.deliveries.get(id as string)
      assert.equal(d?.status, 'dead')
      assert.equal(d?.deadReason, 'non-retryable')
      assert.equal(d?.lastStatus, 422)
      assert.equal(d?.attempts, 3)
      assert.deepEqual(d?.request, { method: 'POST', path: '/x', headers: {}, body: '{}' })
      const attempts = await h.store.deliveries.attempts(id as string)
      assert.deepEqual(attempts.map((a) => [a.attempt, a.status, a.errorCode]), [
        [1, null, 'SB_ERR_SYSTEM_TIMEOUT'],
        [2, 503, 'SB_ERR_FLOW_TARGET_STATUS'],
        [3, 422, 'SB_ERR_FLOW_TARGET_STATUS'],
      ])
      assert.equal(attempts[2]?.responseExcerpt, '{"status":422}')
      assert.ok(await h.store.events.get(d?.eventId as string))
      assert.deepEqual(await claim(), [], 'dead is not claimable')
      assert.deepEqual((await h.store.deliveries.list({ status: 'dead' })).map((x) => x.id), [id])

      clock.advance(5)
      assert.deepEqual(await h.store.deliveries.replay([id as string, 'nope'], clock.now()), [id])
      assert.deepEqual(await h.store.deliveries.replay([id as string], clock.now()), [], 'not dead any more')
      const [replayed] = await claim()
      assert.equal(replayed?.delivery.attempts, 1, 'a replay starts a fresh schedule')
      assert.equal(replayed?.delivery.ageFrom, clock.now())
      await h.bus.deadLetter(replayed as Claim, { reason: 'attempts', errorCode: 'X', error: 'again' })
      assert.deepEqual(await h.store.deliveries.discard([id as string], clock.now()), [id])
      assert.equal((await h.store.deliveries.get(id as string))?.status, 'discarded')
      assert.equal((await h.store.deliveries.attempts(id as string)).length, 3, 'history survives replay and discard')
    })

    it('nothing lost across a restart', async (t) => {
      if (!h.reopen) {
        t.skip('in-memory backend: nothing survives a close by design')
        return
      }
      const [delivered, inFlight, waiting, untouched] = await enqueue({}, {}, {}, {})
      const cs = await claim(3, { leaseMs: 1000 })
      const byId = new Map(cs.map((c) => [c.delivery.id, c]))
      await h.bus.ack(byId.get(delivered as string) as Claim, { status: 'delivered' })
      await h.bus.nack(byId.get(waiting as string) as Claim, { delayMs: 2000, consumeAttempt: true, errorCode: 'X', error: 'x' })
      // The process "dies" holding `inFlight`'s lease.
      const reopened = await h.reopen()
      h.store = reopened.store
      h.bus = reopened.bus
      assert.deepEqual(ids(await claim()), [untouched])
      clock.advance(1000)
      assert.deepEqual(ids(await claim()), [inFlight], 'the dead worker’s lease ran out')
      clock.advance(1000)
      assert.deepEqual(ids(await claim()), [waiting])
      assert.equal((await h.store.deliveries.get(delivered as string))?.status, 'delivered')
    })

    it('stats and next due time reflect the queue', async () => {
      assert.equal(await h.store.deliveries.nextDueAt(), null)
      const t0 = clock.now()
      await enqueue({}, {}, {})
      const [a, b] = await claim(2, { leaseMs: 500 })
      await h.bus.nack(a as Claim, { delayMs: 100, consumeAttempt: true, errorCode: 'X', error: 'x' })
      await h.bus.deadLetter(b as Claim, { reason: 'gone', errorCode: 'SB_ERR_FLOW_TARGET_GONE', error: 'gone' })
      assert.equal(await h.store.deliveries.nextDueAt(), t0)
      const s = await h.store.deliveries.stats(clock.now())
      assert.deepEqual(s, { pending: 2, inFlight: 0, dead: 1, oldestDueAt: t0 })
      await claim()
      assert.equal(await h.store.deliveries.nextDueAt(), t0 + 100)
    })

    it('per-flow stats count each flow’s queue and dead letters, in flow order', async () => {
      assert.deepEqual(await h.store.deliveries.flowStats(clock.now()), [])
      const t0 = clock.now()
      await enqueue({ flow: 'b' }, { flow: 'a' }, { flow: 'a' }, { flow: 'a' })
      const claims = await claim(4)
      const byFlow = (f: string) => claims.filter((c) => c.delivery.flowId === f)
      const [a1, a2] = byFlow('a')
      await h.bus.deadLetter(a1 as Claim, { reason: 'non-retryable', errorCode: 'X', error: 'x' })
      await h.bus.nack(a2 as Claim, { delayMs: 5000, consumeAttempt: true, errorCode: 'X', error: 'x' })
      await h.bus.nack(byFlow('b')[0] as Claim, { delayMs: 0, consumeAttempt: true, errorCode: 'X', error: 'x' })
      clock.advance(1000)
      assert.deepEqual(await h.store.deliveries.flowStats(clock.now()), [
        // a: one in flight, one waiting out its backoff (not due: no queue age), one dead.
        { flowId: 'a', pending: 1, inFlight: 1, dead: 1, oldestDueAt: null },
        { flowId: 'b', pending: 1, inFlight: 0, dead: 0, oldestDueAt: t0 },
      ])
    })

    it('waitForWork returns on wake(), even one that came before it waited', async () => {
      const ac = new AbortController()
      const waiting = h.bus.waitForWork(60_000, ac.signal)
      setImmediate(() => h.bus.wake())
      await waiting
      h.bus.wake()
      await h.bus.waitForWork(60_000, ac.signal)
      const aborted = h.bus.waitForWork(60_000, ac.signal)
      ac.abort()
      await aborted
    })
  })
}
