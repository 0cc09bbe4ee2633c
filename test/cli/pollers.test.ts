/**
 * `GET /v1/pollers[/{id}]` and `switchboard pollers list|show` against a running hub whose
 * poller reads a loopback contacts API: cursor, last run, next run, failures and last error; a
 * gateway node on the same store (which runs no pollers) shows the same state.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLogger } from '../../src/observe/logger.js'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { waitFor } from '../flows/helpers/harness.js'
import { startSink, type Sink } from '../flows/helpers/sink.js'
import { runCli } from './run.js'

const CONFIG = (dir: string, crmUrl: string) => `
version: 1
store: sqlite:${join(dir, 'hub.db')}
systems:
  crm: { baseUrl: ${crmUrl} }
topics:
  contact.changed: {}
pollers:
  - id: crm-contacts
    system: crm
    every: 1h
    get: /contacts
    query: { after: "{cursor}" }
    items: data
    itemId: id
    cursor: next
    publish: { topic: contact.changed }
`

interface PollerView {
  id: string
  schedule: string
  topic: string
  cursor: unknown
  nextRunAt: string | null
  lastRunAt: string | null
  lastItems: number
  runs: number
  consecutiveFailures: number
  lastError: { code: string | null } | null
  tick: unknown
  runningHere: boolean
}

describe('pollers: admin API and CLI', () => {
  let dir: string
  let crm: Sink
  let hub: Hub
  let env: Record<string, string>
  let failing = false
  const api = async (path: string, adminUrl = hub.adminUrl) => {
    const res = await fetch(`${adminUrl}${path}`, { headers: { authorization: `Bearer ${env.SWITCHBOARD_ADMIN_TOKEN}` } })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  const start = async (role?: 'gateway') => {
    let banner = ''
    const h = await startHub({ configFile: join(dir, 'hub.yaml'), env: env ?? {}, anyPort: true, role, stderr: { write: (s: string) => (banner += s) }, logger: createLogger({ level: 'silent', env: {} }) })
    return { h, token: /sbadm_[A-Za-z0-9_-]+/.exec(banner)?.[0] }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-cli-pollers-'))
    crm = await startSink(() => (failing ? { status: 500, body: '{}' } : { status: 200, body: JSON.stringify({ data: [{ id: 'c1' }, { id: 'c2' }], next: 2 }) }))
    await writeFile(join(dir, 'hub.yaml'), CONFIG(dir, crm.url))
    const { h, token } = await start()
    hub = h
    env = { SWITCHBOARD_URL: hub.adminUrl, SWITCHBOARD_ADMIN_TOKEN: token ?? '' }
    // A new poller's first tick is due at once.
    await waitFor('the first tick', async () => (await hub.store.pollers.get('crm-contacts'))?.runs === 1)
  })
  after(async () => {
    await hub.stop()
    await crm.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('GET /v1/pollers lists each poller with its cursor, last run and next run', async () => {
    const { status, body } = await api('/v1/pollers')
    assert.equal(status, 200)
    const [p] = body.items as PollerView[]
    assert.equal(p?.id, 'crm-contacts')
    assert.equal(p.schedule, 'every 1h')
    assert.equal(p.topic, 'contact.changed')
    assert.equal(p.cursor, 2)
    assert.equal(p.runs, 1)
    assert.equal(p.lastItems, 2)
    assert.equal(p.consecutiveFailures, 0)
    assert.equal(p.lastError, null)
    assert.equal(p.tick, null)
    assert.ok(p.lastRunAt !== null && p.nextRunAt !== null)
    // Due one interval after the tick started, which was before it ended.
    const gap = Date.parse(p.nextRunAt) - Date.parse(p.lastRunAt)
    assert.ok(gap > 0 && gap <= 3_600_000, `next run ${gap} ms after the last`)
  })

  it('GET /v1/pollers/{id} answers one poller, 404 SB_ERR_POLLER_UNKNOWN for another id, 401 without the token', async () => {
    const one = await api('/v1/pollers/crm-contacts')
    assert.equal(one.status, 200)
    assert.equal(one.body.id, 'crm-contacts')
    const missing = await api('/v1/pollers/nope')
    assert.equal(missing.status, 404)
    assert.equal(missing.body.code, 'SB_ERR_POLLER_UNKNOWN')
    assert.equal((await fetch(`${hub.adminUrl}/v1/pollers`)).status, 401)
  })

  it('switchboard pollers lists them; pollers show prints one in full; an unknown id exits 1', async () => {
    const list = await runCli(['pollers'], env, dir)
    assert.equal(list.code, 0, list.err)
    assert.match(list.out, /^ID\s+SYSTEM\s+SCHEDULE\s+STATE\s+NEXT RUN\s+LAST RUN\s+LAST ERROR/)
    assert.match(list.out, /crm-contacts\s+crm\s+every 1h\s+ok\s/)
    const show = await runCli(['pollers', 'show', 'crm-contacts'], env, dir)
    assert.equal(show.code, 0, show.err)
    assert.match(show.out, /cursor\s+2\n/)
    assert.match(show.out, /last run\s+\S+ \(2 new events\)/)
    const json = await runCli(['pollers', 'list', '--json'], env, dir)
    assert.equal((JSON.parse(json.out) as { items: PollerView[] }).items[0]?.cursor, 2)
    const unknown = await runCli(['pollers', 'show', 'nope'], env, dir)
    assert.equal(unknown.code, 1)
    assert.match(unknown.err, /SB_ERR_POLLER_UNKNOWN/)
  })

  it('shows a failing poller with its consecutive failures and last error', async () => {
    failing = true
    try {
      const r = await hub.flows.pollers?.runOnce('crm-contacts')
      assert.equal(r?.ok, false)
    } finally {
      failing = false
    }
    const [p] = (await api('/v1/pollers')).body.items as PollerView[]
    assert.equal(p?.consecutiveFailures, 1)
    assert.equal(p.lastError?.code, 'SB_ERR_POLLER_STATUS')
    assert.equal(p.cursor, 2, 'the cursor did not move')
    const list = await runCli(['pollers'], env, dir)
    assert.match(list.out, /crm-contacts\s+crm\s+every 1h\s+failing \(1\)\s.*SB_ERR_POLLER_STATUS/)
  })

  it('a gateway node, which runs no pollers, shows the same state from the store', async () => {
    const { h } = await start('gateway')
    try {
      const { status, body } = await api('/v1/pollers', h.adminUrl)
      assert.equal(status, 200)
      const [p] = body.items as PollerView[]
      assert.deepEqual([p?.id, p?.cursor, p?.runningHere], ['crm-contacts', 2, false])
      assert.ok((p?.runs ?? 0) >= 2)
    } finally {
      await h.stop()
    }
  })
})
