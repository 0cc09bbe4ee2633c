/**
 * The delivery path built for each alert channel (internal topic, flow and system) and the
 * outbox that publishes notifications onto it: URL split into system origin and flow path,
 * credentials and headers, the alert retry schedule, the redacted recorded path; one event per
 * (notification, channel) with the notification id as dedupe id, never through the channel the
 * notification is about.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { RawConfig } from '../../src/config/spec/root.js'
import { ManualClock } from '../../src/core/clock.js'
import { compileFlowSet } from '../../src/flows/flow-set.js'
import type { PublishInput } from '../../src/flows/publisher.js'
import type { AlertNotification } from '../../src/observe/index.js'
import { alertChannelPaths, withAlertChannels } from '../../src/runtime/alert-channels.js'
import { FlowsAlertOutbox } from '../../src/runtime/alert-outbox.js'
import type { StoreTx } from '../../src/store/contract.js'

const SECRET = 'whsec_' + Buffer.from('channel-secret-0123456789abcdef').toString('base64')

describe('alert channel delivery paths', () => {
  const paths = alertChannelPaths({
    pager: {
      webhook: {
        url: 'https://bot:p%40ss@alerts.example:8443/hooks/in?code={abc}&x=1',
        secret: SECRET,
        headers: { 'X-Team': 'ops', 'Content-Type': 'text/plain', 'Webhook-Signature': 'v1,forged', 'idempotency-key': 'mine' },
        retry: { attempts: 3 },
      },
    },
    chat: { slack: { url: 'https://hooks.slack.com/services/T0/B0/token' } },
  })

  it('names topic, flow and system `switchboard.alerts.<channel>` and wires them together', () => {
    assert.deepEqual(Object.keys(paths.topics), ['switchboard.alerts.pager', 'switchboard.alerts.chat'])
    assert.deepEqual(Object.keys(paths.systems), ['switchboard.alerts.pager', 'switchboard.alerts.chat'])
    assert.deepEqual(paths.flows.map((f) => [f.id, f.on, f.to?.system, f.ordering]), [
      ['switchboard.alerts.pager', 'switchboard.alerts.pager', 'switchboard.alerts.pager', 'key'],
      ['switchboard.alerts.chat', 'switchboard.alerts.chat', 'switchboard.alerts.chat', 'key'],
    ])
  })

  it('splits the URL: origin to the system (credentials as Basic auth), path and query to the flow', () => {
    const system = paths.systems['switchboard.alerts.pager']
    assert.equal(system?.baseUrl, 'https://alerts.example:8443')
    assert.deepEqual(system?.auth, { type: 'basic', username: 'bot', password: 'p@ss' })
    const [pager, chat] = paths.flows
    assert.equal(pager?.to?.post, '/hooks/in?code=%7Babc%7D&x=1', 'braces would read as placeholders')
    assert.equal(chat?.to?.post, '/services/T0/B0/token')
    assert.equal(paths.systems['switchboard.alerts.chat']?.auth, undefined)
  })

  it('signs webhooks with the channel secret, keeps only the channel’s own headers, and records no path', () => {
    const [pager, chat] = paths.flows
    assert.deepEqual(pager?.to?.sign, { secret: SECRET })
    assert.equal(chat?.to?.sign, undefined)
    assert.deepEqual(paths.systems['switchboard.alerts.pager']?.headers, { 'X-Team': 'ops' })
    const set = compileFlowSet({ config: { topics: paths.topics, flows: paths.flows, systems: paths.systems }, dir: '.' })
    const request = set.flows.get('switchboard.alerts.chat')?.target?.build({ eventId: 'e1', flowId: 'switchboard.alerts.chat', eventBody: {}, payload: { text: 'x' }, now: 0 })
    assert.equal(request?.path, '/services/T0/B0/token')
    assert.equal(request?.recordedPath, '[redacted]')
  })

  it('retries on the alert schedule, a channel’s `retry` winning field by field', () => {
    const [pager, chat] = paths.flows
    assert.deepEqual(chat?.retry, { attempts: 12, initial: '5s', max: '10m', factor: 2, maxAge: '2h', jitter: 'full' })
    assert.equal(pager?.retry?.attempts, 3)
    assert.equal(pager?.retry?.maxAge, '2h')
  })

  it('adds them after the user’s own entries, leaving a config without channels as it is', () => {
    const user = { version: 1, flows: [{ id: 'f', on: 't', to: { system: 's', post: '/' } }], topics: { t: {} }, systems: { s: { baseUrl: 'http://127.0.0.1:1' } } } as unknown as RawConfig
    assert.equal(withAlertChannels(user), user)
    const running = withAlertChannels({ ...user, channels: { ops: { webhook: { url: 'http://127.0.0.1:2/h' } } } })
    assert.deepEqual(running.flows?.map((f) => f.id), ['f', 'switchboard.alerts.ops'])
    assert.deepEqual(Object.keys(running.topics ?? {}), ['t', 'switchboard.alerts.ops'])
    assert.deepEqual(Object.keys(running.systems ?? {}), ['s', 'switchboard.alerts.ops'])
    assert.equal(user.flows?.length, 1, 'the user config is not changed')
  })
})

describe('FlowsAlertOutbox', () => {
  const n = (over: Partial<AlertNotification> = {}): AlertNotification => ({
    id: 'dlq/flow:to-invoice@2026-03-01T11:55:00.000Z:firing',
    key: 'dlq/flow:to-invoice',
    alert: 'dlq',
    status: 'firing',
    severity: 'warning',
    condition: 'dlqDepth',
    subject: { kind: 'flow', name: 'to-invoice' },
    summary: 'flow to-invoice: 1 deliveries in the dead-letter queue, threshold 0',
    description: null,
    value: 1,
    threshold: 0,
    activeSince: '2026-03-01T11:55:00.000Z',
    firingSince: '2026-03-01T11:55:00.000Z',
    resolvedAt: null,
    channels: ['ops', 'chat'],
    ...over,
  })
  const setup = () => {
    const committed: PublishInput[][] = []
    const tx = {} as StoreTx
    const outbox = new FlowsAlertOutbox({
      flows: {
        commitWith: async (events, alongside) => {
          committed.push([...events])
          return { results: [], value: await alongside(tx, []) }
        },
      },
      channels: { ops: { webhook: { url: 'http://127.0.0.1:1/h' } }, chat: { slack: { url: 'http://127.0.0.1:1/s' } } },
      clock: new ManualClock(Date.parse('2026-03-01T12:00:00.000Z')),
    })
    return { committed, tx, outbox }
  }

  it('publishes one event per channel, with the notification id as dedupe id and the instance as ordering key, in the caller’s transaction', async () => {
    const { committed, tx, outbox } = setup()
    let wrote: StoreTx | undefined
    await outbox.commit([n()], async (t) => void (wrote = t))
    assert.equal(wrote, tx)
    const [events] = committed
    assert.deepEqual(events?.map((e) => [e.topic, e.id, e.key]), [
      ['switchboard.alerts.ops', n().id, n().key],
      ['switchboard.alerts.chat', n().id, n().key],
    ])
    assert.deepEqual((events?.[0]?.body as { type: string; timestamp: string }).type, 'alert.firing')
    assert.equal((events?.[0]?.body as { timestamp: string }).timestamp, '2026-03-01T12:00:00.000Z')
    assert.match(JSON.stringify(events?.[1]?.body), /"blocks"/)
  })

  it('commits the state alone when there is nothing to send', async () => {
    const { committed, outbox } = setup()
    let wrote = false
    await outbox.commit([], async () => void (wrote = true))
    assert.equal(wrote, true)
    assert.deepEqual(committed, [[]])
  })

  it('never sends a notification through the channel whose own flow or system it is about', async () => {
    const { committed, outbox } = setup()
    await outbox.commit(
      [
        n({ id: 'a', subject: { kind: 'flow', name: 'switchboard.alerts.ops' } }),
        n({ id: 'b', subject: { kind: 'system', name: 'switchboard.alerts.chat' } }),
        n({ id: 'c', subject: { kind: 'flow', name: 'switchboard.alerts.ops' }, channels: ['ops'] }),
      ],
      async () => undefined,
    )
    assert.deepEqual(committed[0]?.map((e) => [e.id, e.topic]), [
      ['a', 'switchboard.alerts.chat'],
      ['b', 'switchboard.alerts.ops'],
    ])
  })

  it('refuses a notification for a channel it does not know (nothing committed)', async () => {
    const { committed, outbox } = setup()
    await assert.rejects(outbox.commit([n({ channels: ['pager'] })], async () => undefined), /no channel "pager"/)
    assert.deepEqual(committed, [])
  })
})
