/**
 * Pollers when things go wrong: back-off and recovery, Retry-After, JSONata errors with the
 * expression's message, hostile responses, bad config — and the diagnostics channel.
 */
import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import { afterEach, describe, it } from 'node:test'
import { SwitchboardError } from '../../src/core/errors.js'
import { POLLER_RUN_CHANNEL, type PollerRunMessage } from '../../src/flows/diagnostics.js'
import { compilePollers, startPollers } from '../../src/flows/pollers/index.js'
import { pagePath } from '../../src/flows/pollers/fetch.js'
import { backoffDelay } from '../../src/flows/pollers/schedule.js'
import { contacts, contactsHandler, contactsPoller, pollerFixture, type PollerFixture } from './pollers-fixture.js'

describe('pollers: failures', () => {
  let f: PollerFixture | undefined
  afterEach(async () => {
    await f?.close()
    f = undefined
  })

  it('backs off after consecutive failures (doubling, capped), and a success resets', async () => {
    let down = true
    // 404 rather than 5xx keeps the system's breaker and passive health out of this test.
    f = await pollerFixture({
      pollers: [contactsPoller({ every: '10s', maxBackoff: '35s' })],
      handler: (req, i) => (down ? { status: 404, body: '{"error":"nope"}' } : contactsHandler(contacts(3))(req, i)),
    })
    const t0 = f.clock.now()
    const waits: number[] = []
    for (let n = 1; n <= 4; n++) {
      const r = await f.pollers.runOnce('crm-contacts', { force: false })
      assert.deepEqual([r.ran, r.ok, r.error?.code], [true, false, 'SB_ERR_POLLER_STATUS'])
      assert.match(r.error?.message ?? '', /^pollers\[0\]: system "crm" answered 404 to GET \/contacts\?limit=2$/)
      const st = await f.state()
      assert.deepEqual([st?.failures, st?.nextAt, st?.lastSuccessAt, st?.cursor], [n, r.nextAt, null, null])
      waits.push(r.nextAt - f.clock.now())
      const early = await f.pollers.runOnce('crm-contacts', { force: false })
      assert.deepEqual([early.ran, early.reason], [false, 'not-due'], 'nothing runs before the back-off ends')
      f.clock.advance(r.nextAt - f.clock.now())
    }
    assert.deepEqual(waits, [10_000, 20_000, 35_000, 35_000])
    assert.equal(f.api.requests.length, 4)
    down = false
    const ok = await f.pollers.runOnce('crm-contacts', { force: false })
    assert.deepEqual([ok.ok, ok.items, ok.nextAt - f.clock.now()], [true, 2, 10_000])
    const st = await f.state()
    assert.deepEqual([st?.failures, st?.lastSuccessAt, st?.lastErrorCode, st?.runs], [0, f.clock.now(), 'SB_ERR_POLLER_STATUS', 5], 'the last error stays visible')
    assert.ok(f.clock.now() > t0)
  })

  it('back-off never polls faster than the schedule, and stays within ten periods', () => {
    assert.equal(backoffDelay(1, 60_000, 5 * 60_000), 60_000)
    assert.equal(backoffDelay(9, 60_000, 5 * 60_000), 300_000)
    assert.equal(backoffDelay(3, 3_600_000, 5 * 60_000), 3_600_000, 'an hourly poller is never retried sooner than hourly')
    assert.equal(backoffDelay(20, 1000, 3_600_000), 10_000, 'at most ten periods')
    assert.equal(backoffDelay(10_000, 1000, 3_600_000), 10_000, 'no overflow')
  })

  it('honours Retry-After when it asks for longer than the back-off', async () => {
    f = await pollerFixture({ pollers: [contactsPoller()], handler: () => ({ status: 429, headers: { 'retry-after': '120' }, body: '{}' }) })
    const r = await f.pollers.runOnce('crm-contacts')
    assert.deepEqual([r.ok, r.error?.code, r.nextAt - f.clock.now()], [false, 'SB_ERR_POLLER_STATUS', 120_000])
  })

  it('reports an unreachable system with the systems layer’s code and backs off', async () => {
    f = await pollerFixture({ pollers: [contactsPoller()] })
    await f.api.close()
    const r = await f.pollers.runOnce('crm-contacts')
    assert.equal(r.ok, false)
    assert.match(r.error?.code ?? '', /^SB_ERR_SYSTEM_/)
    assert.equal((await f.state())?.failures, 1)
  })

  it('reports JSONata errors with the expression and JSONata’s message', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ items: '$error("the API changed shape")' }, /^pollers\[0\]\.items: the API changed shape/],
      [{ cursor: '$number("not a number") + $undefinedFn()' }, /^pollers\[0\]\.cursor: .*undefinedFn|^pollers\[0\]\.cursor: /],
      [{ itemId: 'id & $substring()' }, /^pollers\[0\]\.itemId: /],
      [{ publish: { topic: 'contact.changed', key: '$error("no key: " & id)' } }, /^pollers\[0\]\.publish\.key: no key: c1/],
    ]
    for (const [over, message] of cases) {
      const fx = await pollerFixture({ pollers: [contactsPoller(over)], contacts: contacts(2) })
      try {
        const r = await fx.pollers.runOnce('crm-contacts')
        assert.equal(r.error?.code, 'SB_ERR_POLLER_EXPRESSION', JSON.stringify(over))
        assert.match(r.error?.message ?? '', message)
        const st = await fx.state()
        assert.deepEqual([st?.lastErrorCode, st?.lastError, st?.cursor], ['SB_ERR_POLLER_EXPRESSION', r.error?.message, null])
        assert.equal((await fx.events()).length, 0)
      } finally {
        await fx.close()
      }
    }
  })

  it('refuses hostile or unusable answers: not JSON, too large, a huge cursor', async () => {
    const cases: Array<[Parameters<typeof pollerFixture>[0], RegExp]> = [
      [{ pollers: [contactsPoller()], handler: () => ({ status: 200, body: '<html>maintenance</html>' }) }, /is not JSON/],
      [
        { pollers: [contactsPoller()], service: { maxResponseBytes: 1000 }, handler: () => ({ status: 200, body: JSON.stringify({ data: [{ id: 'x', blob: 'y'.repeat(5000) }] }) }) },
        /larger than 1000 bytes/,
      ],
      [{ pollers: [contactsPoller({ cursor: "$pad('', 5000, 'z')" })], contacts: contacts(1) }, /next cursor is longer than 4096/],
    ]
    for (const [options, message] of cases) {
      const fx = await pollerFixture(options)
      try {
        const r = await fx.pollers.runOnce('crm-contacts')
        assert.equal(r.error?.code, 'SB_ERR_POLLER_RESPONSE')
        assert.match(r.error?.message ?? '', message)
        assert.equal((await fx.events()).length, 0)
      } finally {
        await fx.close()
      }
    }
  })

  it('encodes the cursor into the path and query (no escape into other endpoints)', async () => {
    f = await pollerFixture({
      pollers: [contactsPoller({ get: '/contacts/{cursor}/page', query: { since: '{cursor}', fixed: 'a b' }, initialCursor: '../admin?x=1&y=#' })],
      handler: () => ({ status: 200, body: '{"data": []}' }),
    })
    await f.pollers.runOnce('crm-contacts')
    assert.equal(f.api.requests[0]?.path, '/contacts/..%2Fadmin%3Fx%3D1%26y%3D%23/page?since=..%2Fadmin%3Fx%3D1%26y%3D%23&fixed=a+b')
    const [p] = compilePollers([contactsPoller({ get: '/c?x=1', query: { after: '{cursor}' } })])
    assert.ok(p)
    assert.equal(pagePath(p, null), '/c?x=1', 'no cursor yet: the parameter is left out')
    assert.equal(pagePath(p, 5), '/c?x=1&after=5')
    assert.equal(pagePath(p, { page: 2 }), '/c?x=1&after=%7B%22page%22%3A2%7D', 'other JSON values as JSON')
  })

  it('refuses a bad poller at start, naming the field', () => {
    const base = { store: {} as never, systems: { has: (n: string) => n === 'crm', get: () => ({}) as never }, publisher: {} as never, schedule: false }
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ itemId: 'id &' }, /^pollers\[0\]\.itemId: invalid JSONata expression/],
      [{ every: undefined, cron: 'not a cron' }, /^pollers\[0\]\.cron: invalid cron expression/],
      [{ every: undefined }, /^pollers\[0\]: give exactly one of `every` or `cron`/],
      [{ every: '0s' }, /^pollers\[0\]\.every: expected a duration longer than 0/],
      [{ system: 'billing' }, /^pollers\[0\]\.system: unknown system "billing"/],
    ]
    for (const [over, message] of bad) {
      assert.throws(
        () => startPollers({ ...base, config: { config: { pollers: [contactsPoller(over)] } } }),
        (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_CONFIG_INVALID' && message.test(err.message),
        JSON.stringify(over),
      )
    }
    assert.throws(
      () => startPollers({ ...base, config: { config: { pollers: [contactsPoller(), contactsPoller()] } } }),
      /pollers\[1\]\.id: duplicate poller id "crm-contacts"/,
    )
  })
})

describe('pollers: diagnostics channel', () => {
  it(`publishes one ${POLLER_RUN_CHANNEL} message per tick run here, none for ticks not run`, async () => {
    const seen: PollerRunMessage[] = []
    const listener = (m: unknown) => seen.push(m as PollerRunMessage)
    diagnostics.subscribe(POLLER_RUN_CHANNEL, listener)
    let fail = false
    const f = await pollerFixture({ pollers: [contactsPoller()], handler: (req, i) => (fail ? { status: 404 } : contactsHandler(contacts(3))(req, i)) })
    try {
      await f.pollers.runOnce('crm-contacts')
      fail = true
      await f.pollers.runOnce('crm-contacts')
      await f.pollers.runOnce('crm-contacts', { force: false }) // backing off: not run
      assert.deepEqual(
        seen.map((m) => ({ ...m, durationMs: typeof m.durationMs })),
        [
          { poller: 'crm-contacts', ok: true, items: 2, durationMs: 'number', errorCode: null },
          { poller: 'crm-contacts', ok: false, items: 0, durationMs: 'number', errorCode: 'SB_ERR_POLLER_STATUS' },
        ],
      )
    } finally {
      diagnostics.unsubscribe(POLLER_RUN_CHANNEL, listener)
      await f.close()
    }
  })
})
