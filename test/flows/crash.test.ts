/**
 * The crash test: a child hub receives thousands of events while the target fails now and then;
 * it is killed with SIGKILL at random moments and restarted each time. Afterwards every event
 * that was answered 202 has been delivered, every request for one event carried the same
 * Idempotency-Key, and nothing is left pending, in flight or dead. SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { setMaxListeners } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { Pool } from 'undici'
import { openStore } from '../../src/store/open.js'
import { requireService } from '../helpers/services.js'
import { createTestDatabase, type TestDatabase } from '../store/pg-database.js'
import { describeUndelivered } from './helpers/crash-diagnostics.js'
import { startSink, type Sink } from './helpers/sink.js'

const HUB = fileURLToPath(new URL('./fixtures/crash-hub.ts', import.meta.url))

interface Hub {
  child: ChildProcess
  url: string
}

async function startHub(storeUrl: string, sinkUrl: string): Promise<Hub> {
  const child = spawn(process.execPath, ['--import', 'tsx', HUB], { env: { ...process.env, STORE_URL: storeUrl, SINK_URL: sinkUrl }, stdio: ['ignore', 'pipe', 'inherit'] })
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    rl.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`hub exited before listening (${String(code)})`)))
  })
  const { port } = JSON.parse(line) as { port: number }
  return { child, url: `http://127.0.0.1:${port}` }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()))
}

/**
 * Sends events numbered from `next.n` until `stop` aborts; records the numbers answered 202.
 * Now and then it re-sends an accepted event: dedupe must keep it from being delivered twice.
 */
async function load(url: string, next: { n: number }, accepted: Set<number>, stop: AbortSignal, resend: number[]): Promise<void> {
  const pool = new Pool(url, { connections: 16 })
  const one = async (n: number) => {
    try {
      const res = await pool.request({ path: '/events', method: 'POST', headers: { 'content-type': 'application/json', 'x-event-id': `evt-${n}` }, body: JSON.stringify({ n }), signal: stop })
      await res.body.dump()
      if (res.statusCode === 202) accepted.add(n)
    } catch {
      // Killed mid-request: not accepted (it may still have been committed; that is allowed).
    }
  }
  const worker = async () => {
    while (!stop.aborted) {
      const again = resend.length > 0 && Math.random() < 0.05 ? resend[Math.floor(Math.random() * resend.length)] : undefined
      await one(again ?? next.n++)
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  await pool.destroy()
}

/** Resolves once `accepted` has grown by `count` (or after `maxMs`, whichever first). */
async function acceptedGrows(accepted: Set<number>, count: number, maxMs: number): Promise<void> {
  const target = accepted.size + count
  const deadline = Date.now() + maxMs
  while (accepted.size < target && Date.now() < deadline) await sleep(5)
}

function crashSuite(name: string, storeUrl: () => Promise<string>, crashes: number): void {
  it(`${name}: every accepted event is delivered across ${crashes} kill -9 restarts`, { timeout: 300_000 }, async () => {
    const url = await storeUrl()
    const sink: Sink = await startSink(() => {
      const r = Math.random()
      return r < 0.15 ? { status: 503 } : r < 0.2 ? { status: 200, delayMs: 30 } : { status: 200 }
    })
    const accepted = new Set<number>()
    const next = { n: 0 }
    let hub: Hub | undefined
    try {
      for (let round = 0; round < crashes; round++) {
        hub = await startHub(url, sink.url)
        const stop = new AbortController()
        // The 16 concurrent requests of `load` all listen on it (Node warns past 10).
        setMaxListeners(32, stop.signal)
        const running = load(hub.url, next, accepted, stop.signal, [...accepted])
        // A random moment: after a random number of acceptances, plus a random instant.
        await acceptedGrows(accepted, 300 + Math.floor(Math.random() * 300), 15_000)
        await sleep(Math.random() * 100)
        hub.child.kill('SIGKILL')
        await exited(hub.child)
        stop.abort()
        await running
      }
      assert.ok(accepted.size >= crashes * 50, `only ${accepted.size} events were accepted`)

      // Last life: no load, deliver everything, then a graceful stop.
      hub = await startHub(url, sink.url)
      const deliveredOk = () => {
        const ok = new Set<number>()
        sink.requests.forEach((r, i) => {
          if (sink.answers[i] === 200) ok.add(Number(r.path.split('/').pop()))
        })
        return ok
      }
      const deadline = Date.now() + 120_000
      for (;;) {
        const ok = deliveredOk()
        const missing = [...accepted].filter((n) => !ok.has(n))
        if (missing.length === 0) break
        if (Date.now() >= deadline) assert.fail(`undelivered after 120 s:\n${await describeUndelivered(url, sink, missing.slice(0, 20))}`)
        await sleep(100)
      }
      // Drain what was committed without a 202 too, so nothing is left in flight at the stop.
      const store0 = await openStore(url)
      try {
        for (;;) {
          const s = await store0.deliveries.stats(Date.now())
          if (s.pending === 0 && s.inFlight === 0) break
          assert.ok(Date.now() < deadline, `still queued: ${JSON.stringify(s)}`)
          await sleep(100)
        }
      } finally {
        await store0.close()
      }
      hub.child.kill('SIGTERM')
      await exited(hub.child)
      hub = undefined

      const keys = new Map<number, Set<string>>()
      for (const r of sink.requests) {
        const n = Number(r.path.split('/').pop())
        keys.set(n, (keys.get(n) ?? new Set()).add(String(r.headers['idempotency-key'])))
      }
      for (const [n, k] of keys) assert.equal(k.size, 1, `event ${n} was sent with ${k.size} different Idempotency-Keys`)

      const store = await openStore(url)
      try {
        assert.deepEqual(await store.deliveries.stats(Date.now()), { pending: 0, inFlight: 0, dead: 0, oldestDueAt: null })
        const stored = await store.events.list({ limit: 1 })
        assert.ok(stored.length === 1)
      } finally {
        await store.close()
      }
    } finally {
      if (hub) {
        hub.child.kill('SIGKILL')
        await exited(hub.child)
      }
      await sink.close()
    }
  })
}

describe('crash test: sqlite', () => {
  let dir: string | undefined
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })
  crashSuite('sqlite', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-crash-'))
    return `sqlite:${join(dir, 'hub.db')}`
  }, 3)
})

describe('crash test: postgres', { skip: await requireService('postgres') }, () => {
  let db: TestDatabase | undefined
  after(async () => {
    await db?.drop()
  })
  crashSuite('postgres', async () => {
    db = await createTestDatabase()
    return db.url
  }, 3)
})
