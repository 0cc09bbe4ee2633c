/**
 * Pollers against a real loopback HTTP system: cursor paging, stable ids and dedupe, the
 * cursor committed with the events (and only then), restarts, invalid items.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, it } from 'node:test'
import { SwitchboardError } from '../../src/core/errors.js'
import type { Store, StoreTx } from '../../src/store/contract.js'
import { contacts, contactsHandler, contactsPoller, pollerFixture, TOPIC, type PollerFixture } from './pollers-fixture.js'

describe('pollers: cursor, ids and dedupe', () => {
  let f: PollerFixture | undefined
  afterEach(async () => {
    await f?.close()
    f = undefined
  })

  it('publishes each item once as an event whose id is the item id, the cursor moving page by page', async () => {
    f = await pollerFixture({ pollers: [contactsPoller()], contacts: contacts(5) })
    const ticks = []
    for (let i = 0; i < 4; i++) ticks.push(await f.pollers.runOnce('crm-contacts'))
    assert.deepEqual(
      ticks.map((r) => [r.ran, r.ok, r.items, r.duplicates, r.cursor]),
      [
        [true, true, 2, 0, 2],
        [true, true, 2, 0, 4],
        [true, true, 1, 0, 5],
        [true, true, 0, 0, 5],
      ],
      'the last page is empty and its `next: null` keeps the cursor',
    )
    assert.deepEqual(
      f.api.requests.map((r) => r.path),
      ['/contacts?limit=2', '/contacts?after=2&limit=2', '/contacts?after=4&limit=2', '/contacts?after=5&limit=2'],
    )
    const events = await f.events()
    assert.deepEqual(
      events.map((e) => [e.topic, e.sourceId, e.key]),
      [1, 2, 3, 4, 5].map((i) => [TOPIC, `c${i}`, `c${i}@example.com`]),
    )
    assert.deepEqual(events[0]?.body, { id: 'c1', seq: 1, email: 'c1@example.com', name: 'Contact 1' })
    // Fan-out happened in the same commit: one delivery per event for the subscribed flow.
    assert.equal((await f.store.deliveries.list({ flowId: 'contacts-to-sink', limit: 100 })).length, 5)
    const st = await f.state()
    assert.deepEqual([st?.cursor, st?.runs, st?.failures, st?.lastItems, st?.owner], [5, 4, 0, 0, null])
    assert.equal(st?.lastSuccessAt, f.clock.now())
    // Each request carries the tick's id, which the events keep as their request id.
    assert.equal(f.api.requests[0]?.headers['x-request-id'], events[0]?.requestId)
  })

  it('one tick drains a backlog up to maxPages, committing each page', async () => {
    f = await pollerFixture({ pollers: [contactsPoller({ maxPages: 10 })], contacts: contacts(5) })
    const r = await f.pollers.runOnce('crm-contacts')
    assert.deepEqual([r.ok, r.pages, r.items, r.cursor], [true, 3, 5, 5])
    assert.equal(f.api.requests.length, 4, 'three pages with items, then an empty one ends the tick')
    const capped = await pollerFixture({ pollers: [contactsPoller({ maxPages: 2 })], contacts: contacts(9) })
    try {
      const c = await capped.pollers.runOnce('crm-contacts')
      assert.deepEqual([c.pages, c.items, c.cursor, capped.api.requests.length], [2, 4, 4, 2])
    } finally {
      await capped.close()
    }
  })

  it('re-reading the same items publishes nothing new (dedupe by item id)', async () => {
    // No cursor expression: every tick reads the same page.
    f = await pollerFixture({ pollers: [contactsPoller({ cursor: undefined, query: { limit: '3' } })], contacts: contacts(3) })
    const first = await f.pollers.runOnce('crm-contacts')
    const again = await f.pollers.runOnce('crm-contacts')
    assert.deepEqual([first.items, first.duplicates], [3, 0])
    assert.deepEqual([again.ok, again.items, again.duplicates], [true, 0, 3])
    assert.equal((await f.events()).length, 3)
    assert.equal((await f.store.deliveries.list({ limit: 100 })).length, 3, 'duplicates create no deliveries')
    assert.equal((await f.state())?.lastItems, 0)
  })

  it('re-reading after a cursor reset publishes nothing new', async () => {
    f = await pollerFixture({ pollers: [contactsPoller({ maxPages: 10 })], contacts: contacts(4) })
    await f.pollers.runOnce('crm-contacts')
    await f.pollers.setCursor('crm-contacts', null)
    const r = await f.pollers.runOnce('crm-contacts')
    assert.deepEqual([r.items, r.duplicates, r.cursor], [0, 4, 4])
    assert.equal((await f.events()).length, 4)
  })

  it('the cursor survives a restart (SQLite file reopened)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-pollers-'))
    try {
      const data = contacts(5)
      f = await pollerFixture({ pollers: [contactsPoller()], contacts: data, storeUrl: `sqlite:${join(dir, 'sb.db')}` })
      await f.pollers.runOnce('crm-contacts')
      await f.restart()
      assert.equal((await f.state())?.cursor, 2)
      const r = await f.pollers.runOnce('crm-contacts')
      assert.equal(f.api.requests.at(-1)?.path, '/contacts?after=2&limit=2', 'continues where it stopped')
      assert.deepEqual([r.items, r.cursor], [2, 4])
      assert.deepEqual((await f.events()).map((e) => e.sourceId), ['c1', 'c2', 'c3', 'c4'])
    } finally {
      await f?.close()
      f = undefined
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('the cursor does not move when the commit fails, and the page is read again', async () => {
    let failCommits = true
    // A commit that fails after everything was written (say, the disk filled up at COMMIT).
    const failing = (store: Store): Store => {
      const s = Object.create(store) as Store
      s.transaction = <T>(fn: (tx: StoreTx) => Promise<T>) =>
        store.transaction(async (tx) => {
          const v = await fn(tx)
          if (failCommits) throw new SwitchboardError('SB_ERR_STORE_UNAVAILABLE', 'disk full')
          return v
        })
      return s
    }
    f = await pollerFixture({ pollers: [contactsPoller()], contacts: contacts(3), wrapStore: failing })
    const r = await f.pollers.runOnce('crm-contacts')
    assert.deepEqual([r.ok, r.items, r.pages, r.error?.code], [false, 0, 0, 'SB_ERR_STORE_UNAVAILABLE'])
    let st = await f.state()
    assert.deepEqual([st?.cursor, st?.failures, st?.lastErrorCode, st?.owner], [null, 1, 'SB_ERR_STORE_UNAVAILABLE', null])
    assert.equal((await f.events()).length, 0)
    failCommits = false
    const ok = await f.pollers.runOnce('crm-contacts')
    assert.deepEqual([ok.ok, ok.items, ok.cursor], [true, 2, 2])
    assert.deepEqual(f.api.requests.map((q) => q.path), ['/contacts?limit=2', '/contacts?limit=2'], 'the same page again')
    st = await f.state()
    assert.deepEqual([st?.cursor, st?.failures], [2, 0])
  })

  it('a tick whose lease was taken over commits nothing (fenced)', async () => {
    let fx: PollerFixture | undefined
    f = fx = await pollerFixture({
      pollers: [contactsPoller()],
      service: { leaseMs: 1000 },
      handler: async (req, i) => {
        // While this node waits for the answer, its lease runs out and another node claims.
        if (fx && i === 0) {
          fx.clock.advance(1001)
          assert.ok(await fx.store.pollers.claim('crm-contacts', { token: 'node-b/t', now: fx.clock.now(), leaseMs: 60_000, force: true }))
        }
        return contactsHandler(contacts(3))(req, i)
      },
    })
    const r = await f.pollers.runOnce('crm-contacts')
    assert.deepEqual([r.ok, r.error?.code, r.items], [false, 'SB_ERR_POLLER_LEASE_LOST', 0])
    assert.equal((await f.events()).length, 0)
    const st = await f.state()
    assert.deepEqual([st?.cursor, st?.owner, st?.runs, st?.failures], [null, 'node-b/t', 0, 0], 'the new holder records the tick, not us')
  })

  it('a tick leased elsewhere is not run here and sends no request', async () => {
    f = await pollerFixture({ pollers: [contactsPoller()], contacts: contacts(3) })
    await f.store.pollers.ensure('crm-contacts', { firstAt: f.clock.now(), latestAt: f.clock.now(), now: f.clock.now() })
    await f.store.pollers.claim('crm-contacts', { token: 'node-b/t', now: f.clock.now(), leaseMs: 30_000 })
    const r = await f.pollers.runOnce('crm-contacts')
    assert.deepEqual([r.ran, r.reason, r.nextAt], [false, 'busy', f.clock.now() + 30_000])
    assert.equal(f.api.requests.length, 0)
    f.clock.advance(30_000)
    assert.equal((await f.pollers.runOnce('crm-contacts')).ran, true, 'taken over once that lease expired (its node died)')
  })

  it('a poller whose saved state was removed starts over (its items deduplicate)', async () => {
    f = await pollerFixture({ pollers: [contactsPoller()], contacts: contacts(3) })
    await f.pollers.runOnce('crm-contacts')
    assert.equal(await f.store.pollers.remove('crm-contacts'), true)
    const gone = await f.pollers.runOnce('crm-contacts', { force: false })
    assert.deepEqual([gone.ran, gone.reason], [false, 'not-due'])
    const again = await f.pollers.runOnce('crm-contacts', { force: false })
    assert.deepEqual([again.ran, again.items, again.duplicates, again.cursor], [true, 0, 2, 2])
  })

  it('rejects an unknown poller id with SB_ERR_POLLER_UNKNOWN', async () => {
    f = await pollerFixture({ pollers: [contactsPoller()] })
    await assert.rejects(f.pollers.runOnce('nope'), (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_POLLER_UNKNOWN' && err.status === 404)
    await assert.rejects(f.pollers.setCursor('nope', 1), (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_POLLER_UNKNOWN')
  })

  it('lists configured pollers with their saved state', async () => {
    f = await pollerFixture({ pollers: [contactsPoller(), contactsPoller({ id: 'nightly', every: undefined, cron: '0 2 * * *' })], contacts: contacts(2) })
    let list = await f.pollers.list()
    assert.deepEqual(
      list.map((p) => [p.id, p.system, p.topic, p.schedule, p.state, p.runningHere]),
      [
        ['crm-contacts', 'crm', TOPIC, 'every 10s', undefined, false],
        ['nightly', 'crm', TOPIC, 'cron 0 2 * * *', undefined, false],
      ],
    )
    await f.pollers.runOnce('crm-contacts')
    list = await f.pollers.list()
    assert.deepEqual([list[0]?.state?.cursor, list[0]?.state?.runs], [2, 1])
    assert.equal((await f.pollers.get('crm-contacts'))?.state?.lastItems, 2)
    assert.equal(await f.pollers.get('nope'), undefined)
  })
})

describe('pollers: items that do not fit the topic', () => {
  let f: PollerFixture | undefined
  afterEach(async () => {
    await f?.close()
    f = undefined
  })
  const data = () => [
    { id: 'c1', seq: 1, email: 'a@example.com' },
    { id: 'c2', seq: 2, email: 42 },
    { id: 'c3', seq: 3, email: 'c@example.com' },
  ]

  it('onInvalidItem skip (default): publishes the others, moves the cursor, records the item', async () => {
    f = await pollerFixture({ pollers: [contactsPoller({ query: { after: '{cursor}' }, publish: { topic: TOPIC } })], contacts: data() })
    const r = await f.pollers.runOnce('crm-contacts')
    assert.deepEqual([r.ok, r.items, r.skipped, r.cursor], [true, 2, 1, 3])
    assert.deepEqual((await f.events()).map((e) => e.sourceId), ['c1', 'c3'])
    const st = await f.state()
    assert.equal(st?.failures, 0)
    assert.equal(st?.lastErrorCode, 'SB_ERR_EVENT_INVALID')
    assert.match(st?.lastError ?? '', /^pollers\[0\]: item "c2" skipped: .*\/email/)
  })

  it('onInvalidItem fail: the tick fails, nothing of the page is published, the cursor stays', async () => {
    f = await pollerFixture({ pollers: [contactsPoller({ query: { after: '{cursor}' }, publish: { topic: TOPIC }, onInvalidItem: 'fail' })], contacts: data() })
    const r = await f.pollers.runOnce('crm-contacts')
    assert.deepEqual([r.ok, r.items, r.error?.code], [false, 0, 'SB_ERR_EVENT_INVALID'])
    assert.match(r.error?.message ?? '', /item "c2"/)
    assert.equal((await f.events()).length, 0)
    assert.deepEqual([(await f.state())?.cursor, (await f.state())?.failures], [null, 1])
  })

  it('an item without a usable id or key fails the page (never silently dropped)', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ itemId: 'missing' }, /item 0 has no usable id/],
      [{ itemId: '{"a": 1}' }, /item 0 has no usable id/],
      [{ itemId: "$pad('', 201, 'x')" }, /item 0 has no usable id/],
      [{ publish: { topic: TOPIC, key: '[1, 2]' } }, /item "c1" has no usable key/],
    ]
    for (const [over, message] of cases) {
      const fx = await pollerFixture({ pollers: [contactsPoller(over)], contacts: contacts(2) })
      try {
        const r = await fx.pollers.runOnce('crm-contacts')
        assert.equal(r.error?.code, 'SB_ERR_POLLER_RESPONSE', JSON.stringify(over))
        assert.match(r.error?.message ?? '', message)
        assert.equal((await fx.events()).length, 0)
        assert.equal((await fx.state())?.cursor, null)
      } finally {
        await fx.close()
      }
    }
  })

  it('numeric ids and keys are used as text', async () => {
    f = await pollerFixture({ pollers: [contactsPoller({ itemId: 'seq', publish: { topic: TOPIC, key: 'seq * 10' } })], contacts: contacts(2) })
    await f.pollers.runOnce('crm-contacts')
    assert.deepEqual((await f.events()).map((e) => [e.sourceId, e.key]), [['1', '10'], ['2', '20']])
  })
})
