/**
 * `switchboard publish`, `deliveries list|show` and `dlq list|show|replay|discard` against a
 * running hub whose flow delivers to a loopback sink that refuses big orders.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { createLogger } from '../../src/observe/logger.js'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { waitFor } from '../flows/helpers/harness.js'
import { startSink, type Sink } from '../flows/helpers/sink.js'
import { runCli, type CliRun } from './run.js'

const CONFIG = (dir: string, sinkUrl: string) => `
version: 1
store: sqlite:${join(dir, 'hub.db')}
systems:
  sink: { baseUrl: ${sinkUrl}, retry: { attempts: 1 } }
topics:
  order.created:
    schema: { type: object, required: [id, total], properties: { id: { type: string }, total: { type: number } } }
flows:
  - id: to-sink
    on: order.created
    to: { system: sink, post: '/orders/{id}' }
`

describe('switchboard publish, deliveries and dlq', () => {
  let dir: string
  let hub: Hub
  let sink: Sink
  let env: Record<string, string>
  let refusing = true
  const run = (args: string[]) => runCli(args, env, dir)
  const ok = (r: CliRun) => {
    assert.equal(r.code, 0, r.err)
    return r
  }
  const deliveryOf = (eventId: string, status: string) =>
    waitFor(`delivery of ${eventId} to be ${status}`, async () => {
      const [d] = await hub.store.deliveries.list({ eventId })
      return d?.status === status ? d : undefined
    })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-cli-flows-'))
    sink = await startSink((req) => ((JSON.parse(req.body) as { total: number }).total > 1000 && refusing ? { status: 409, body: '{"error":"too big"}' } : { status: 200 }))
    await writeFile(join(dir, 'hub.yaml'), CONFIG(dir, sink.url))
    let banner = ''
    hub = await startHub({ configFile: join(dir, 'hub.yaml'), env: {}, anyPort: true, stderr: { write: (s: string) => (banner += s) }, logger: createLogger({ level: 'silent', env: {} }) })
    env = { SWITCHBOARD_URL: hub.adminUrl, SWITCHBOARD_ADMIN_TOKEN: /sbadm_[A-Za-z0-9_-]+/.exec(banner)?.[0] ?? '' }
    await writeFile(join(dir, 'small.json'), JSON.stringify({ id: 'o-1', total: 5 }))
    await writeFile(join(dir, 'big.json'), JSON.stringify({ id: 'o-big', total: 5000 }))
    await writeFile(join(dir, 'invalid.json'), JSON.stringify({ id: 7 }))
    await writeFile(join(dir, 'broken.json'), '{ "id": ')
  })
  after(async () => {
    await hub.stop()
    await sink.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('publish FILE prints the event id once stored; --id dedupes; --key sets the ordering key', async () => {
    const r = ok(await run(['publish', 'order.created', 'small.json', '--id', 'evt-1', '--key', 'cust-1']))
    const id = r.out.trim()
    assert.match(r.err, new RegExp(`accepted event ${id} on order.created`))
    const event = await hub.store.events.get(id)
    assert.deepEqual([event?.sourceId, event?.key, event?.body], ['evt-1', 'cust-1', { id: 'o-1', total: 5 }])
    const again = ok(await run(['publish', 'order.created', 'small.json', '--id', 'evt-1', '--json']))
    assert.deepEqual(JSON.parse(again.out), { id, topic: 'order.created', duplicate: true })
    await deliveryOf(id, 'delivered')
    assert.equal(sink.requests.filter((q) => q.path === '/orders/o-1').length, 1)
  })

  it('publish - reads the body from standard input', async () => {
    let out = ''
    const code = await main(['node', 'switchboard', 'publish', 'order.created', '-'], {
      out: (s) => void (out += s),
      err: () => undefined,
      env,
      cwd: dir,
      readStdin: async () => JSON.stringify({ id: 'o-stdin', total: 1 }),
    })
    assert.equal(code, 0)
    assert.deepEqual((await hub.store.events.get(out.trim()))?.body, { id: 'o-stdin', total: 1 })
  })

  it('publish refuses what it cannot send (exit 2) and prints the node’s refusals (exit 1)', async () => {
    const broken = await run(['publish', 'order.created', 'broken.json'])
    assert.equal(broken.code, 2)
    assert.match(broken.err, /broken\.json is not valid JSON/)
    const missing = await run(['publish', 'order.created', 'nope.json'])
    assert.equal(missing.code, 2)
    assert.match(missing.err, /cannot read nope\.json: no such file/)
    const invalid = await run(['publish', 'order.created', 'invalid.json'])
    assert.equal(invalid.code, 1)
    assert.match(invalid.err, /SB_ERR_EVENT_INVALID \(422/)
    assert.match(invalid.err, /\/id: must be string/)
    assert.match(invalid.err, /must have required property 'total'/)
    const unknown = await run(['publish', 'order.shipped', 'small.json'])
    assert.equal(unknown.code, 1)
    assert.match(unknown.err, /SB_ERR_EVENT_UNKNOWN_TOPIC/)
  })

  it('dlq list/show a refused delivery; deliveries list/show it too', async () => {
    const id = ok(await run(['publish', 'order.created', 'big.json'])).out.trim()
    const dead = await deliveryOf(id, 'dead')
    const list = ok(await run(['dlq', 'list', '--flow', 'to-sink']))
    assert.match(list.out, /^ID +FLOW +SYSTEM +STATUS +ATTEMPTS +LAST +ERROR +UPDATED\n/)
    assert.match(list.out, new RegExp(`${dead.id} +to-sink +sink +dead \\(non-retryable\\) +1 +409 +SB_ERR_FLOW_TARGET_STATUS`))
    const show = ok(await run(['dlq', 'show', dead.id]))
    assert.match(show.out, /status +dead \(non-retryable\), 1 attempt, last answer 409/)
    assert.match(show.out, /POST \/orders\/o-big/)
    assert.match(show.out, /idempotency-key: \S+:to-sink/)
    assert.match(show.out, /1 +\S+ +409 +\d+ms +SB_ERR_FLOW_TARGET_STATUS +\{"error":"too big"\}/)
    const json = JSON.parse(ok(await run(['deliveries', 'show', dead.id, '--json'])).out) as { delivery: { status: string }; attempts: unknown[] }
    assert.equal(json.delivery.status, 'dead')
    assert.equal(json.attempts.length, 1)
    const delivered = ok(await run(['deliveries', 'list', '--status', 'delivered', '--limit', '1']))
    assert.match(delivered.out, /delivered/)
    assert.match(delivered.out, /more: --before \d+/)
    assert.doesNotMatch(delivered.out, / dead /)
    const notDead = await run(['dlq', 'show', (await hub.store.deliveries.list({ status: 'delivered', limit: 1 }))[0]?.id ?? ''])
    assert.equal(notDead.code, 1)
    assert.match(notDead.err, /not in the dead-letter queue/)
  })

  it('dlq replay and discard refuse an empty or ambiguous selection (exit 2)', async () => {
    for (const args of [['dlq', 'replay'], ['dlq', 'discard'], ['dlq', 'replay', 'some-id', '--flow', 'to-sink'], ['dlq', 'discard', 'x', '--all'], ['dlq', 'replay', '..']]) {
      const r = await run(args)
      assert.equal(r.code, 2, args.join(' '))
    }
    assert.equal((await run(['dlq', 'list', '--since', 'soon'])).code, 2)
    assert.equal((await run(['deliveries', 'list', '--status', 'lost'])).code, 2)
  })

  it('dlq replay by id delivers once the target accepts; dlq discard --flow empties the queue', async () => {
    const [dead] = await hub.store.deliveries.list({ status: 'dead' })
    assert.ok(dead)
    refusing = false
    const replay = ok(await run(['dlq', 'replay', dead.id]))
    assert.equal(replay.out, 'replayed 1 of 1 dead delivery\n')
    await deliveryOf(dead.eventId, 'delivered')

    refusing = true
    const id = ok(await run(['publish', 'order.created', 'big.json', '--id', 'big-2'])).out.trim()
    await deliveryOf(id, 'dead')
    const discard = ok(await run(['dlq', 'discard', '--flow', 'to-sink', '--since', '1h']))
    assert.equal(discard.out, 'discarded 1 of 1 dead delivery\n')
    assert.equal(ok(await run(['dlq', 'list', '--json'])).out.includes('"items": []'), true)
    const audit = ok(await run(['audit', 'list', '--action', 'dlq.discard']))
    assert.match(audit.out, /admin-api +dlq\.discard +to-sink/)
  })

  it('dlq replay --all with nothing dead replays nothing', async () => {
    assert.equal(ok(await run(['dlq', 'replay', '--all'])).out, 'replayed 0 of 0 dead deliveries\n')
  })
})
