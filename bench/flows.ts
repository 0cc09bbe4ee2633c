/**
 * Event-flows benchmark: `npm run bench -- flows [--store sqlite|postgres] [--duration 5]
 * [--concurrency 64] [--rate 500]`.
 *
 * In one process, on a file SQLite store (or a fresh PostgreSQL database), delivering to a
 * loopback sink that runs in its own process (bench/flows-servers.ts), so the hub never shares
 * its event loop with its target:
 *   ingest     publishes committed per second (validation + group commit; 202-equivalent),
 *              `concurrency` publishers in flight, no worker running
 *   drain      the worker delivering the ingest backlog (claim, transform, POST, ack)
 *   e2e        with the worker delivering to the sink (transform + POST): events delivered per
 *              second, from the first publish to the last delivery
 *   latency    publish at a fixed `rate` events/s; per event, time from its scheduled publish
 *              to the sink receiving it (so queueing is not hidden): p50 / p95 / p99
 * Drain and e2e also give the hub's CPU time per event (user + system, this process only): on a
 * shared machine it moves far less than the rates do.
 * Benchmarks never assert; record results in docs/benchmarks.md with the machine they ran on.
 */
import { randomBytes } from 'node:crypto'
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { FlowsService } from '../src/flows/service.js'
import type { Store } from '../src/store/contract.js'
import { openStore } from '../src/store/open.js'
import { Systems } from '../src/systems/registry.js'

interface Options {
  store: 'sqlite' | 'postgres'
  durationS: number
  concurrency: number
  rate: number
}

function parseArgs(args: string[]): Options {
  const get = (name: string, fallback: number): number => {
    const i = args.indexOf(`--${name}`)
    const v = i === -1 ? undefined : Number(args[i + 1])
    return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback
  }
  const i = args.indexOf('--store')
  return { store: args[i + 1] === 'postgres' ? 'postgres' : 'sqlite', durationS: get('duration', 5), concurrency: get('concurrency', 64), rate: get('rate', 500) }
}

interface Sink {
  url: string
  /** Distinct event numbers received so far. */
  count(): Promise<number>
  /** Arrival times (epoch ms) of the numbers in [from, to). */
  arrivals(from: number, to: number): Promise<Array<number | null>>
  close(): Promise<void>
}

/** The sink process: answers 200 and notes when each event number first arrived. */
async function startSink(): Promise<Sink> {
  const entry = fileURLToPath(new URL('./flows-servers.ts', import.meta.url))
  const child: ChildProcess = fork(entry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [ready] = (await once(child, 'message')) as [{ port: number }]
  // One question at a time: the next message is the answer.
  const ask = async <T>(m: object): Promise<T> => {
    const answer = once(child, 'message')
    child.send(m)
    return ((await answer) as [T])[0]
  }
  return {
    url: `http://127.0.0.1:${ready.port}`,
    count: async () => (await ask<{ count: number }>({ cmd: 'count' })).count,
    arrivals: async (from, to) => (await ask<{ times: Array<number | null> }>({ cmd: 'arrivals', from, to })).times,
    close: async () => {
      const exited = once(child, 'exit')
      child.disconnect()
      await exited
    },
  }
}

async function untilDelivered(sink: Sink, n: number, pollMs: number): Promise<void> {
  while ((await sink.count()) < n) await sleep(pollMs)
}

/** CPU time (user + system, µs) of this process since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from)
  return u.user + u.system
}

interface Env {
  url: string
  cleanup(): Promise<void>
}

async function storeEnv(kind: Options['store']): Promise<Env> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'sb-bench-flows-'))
    return { url: `sqlite:${join(dir, 'bench.db')}`, cleanup: () => rm(dir, { recursive: true, force: true }) }
  }
  const admin = process.env.SWITCHBOARD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const name = `sb_bench_${randomBytes(4).toString('hex')}`
  const run = async (q: string) => {
    const c = new pg.Client({ connectionString: admin })
    await c.connect()
    await c.query(q).finally(() => c.end())
  }
  await run(`CREATE DATABASE ${name}`)
  const u = new URL(admin)
  u.pathname = `/${name}`
  return { url: u.toString(), cleanup: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

async function service(store: Store, storeUrl: string, sinkUrl: string, deliver: boolean): Promise<{ flows: FlowsService; systems: Systems }> {
  const systemsConfig = { sink: { baseUrl: sinkUrl, circuitBreaker: { minRequests: 1_000_000 } } }
  const systems = Systems.fromConfig(systemsConfig)
  const flows = await FlowsService.start({
    store,
    storeUrl,
    systems,
    deliver,
    config: {
      dir: process.cwd(),
      config: {
        topics: { 'order.created': { schema: { type: 'object', required: ['n', 'total'], properties: { n: { type: 'integer' }, total: { type: 'number' } } } } },
        systems: systemsConfig,
        flows: [{ id: 'invoice', on: 'order.created', transform: "{ 'n': n, 'amount': total, 'currency': 'EUR' }", concurrency: 256, to: { system: 'sink', post: '/invoices/{n}' } }],
      },
    },
    worker: { maxInFlight: 256, batch: 128, pollMs: 200 },
    retentionIntervalMs: 0,
  })
  return { flows, systems }
}

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number)
}

export async function run(args: string[]): Promise<void> {
  const o = parseArgs(args)
  console.log(`flows benchmark — store ${o.store}, ${o.durationS}s per phase, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`)
  const env = await storeEnv(o.store)
  const sink = await startSink()
  let n = 0
  try {
    const store = await openStore(env.url, { maxConnections: 20 })
    await store.migrate()

    // 1. ingest: committed publishes per second, no worker.
    {
      const { flows, systems } = await service(store, env.url, sink.url, false)
      const end = performance.now() + o.durationS * 1000
      const t0 = performance.now()
      let done = 0
      await Promise.all(
        Array.from({ length: o.concurrency }, async () => {
          while (performance.now() < end) {
            await flows.publish({ topic: 'order.created', body: { n: n++, total: 10 } })
            done++
          }
        }),
      )
      const s = (performance.now() - t0) / 1000
      console.log(`ingest: ${Math.round(done / s)} events/s committed (${done} in ${s.toFixed(1)}s, ${o.concurrency} in flight)`)
      await flows.stop()
      await systems.close()
    }

    // 2. end to end: drain the ingest backlog first, then publish and deliver together.
    {
      const { flows, systems } = await service(store, env.url, sink.url, true)
      const backlogT0 = performance.now()
      const cpu0 = process.cpuUsage()
      const backlog = n
      await untilDelivered(sink, backlog, 20)
      const bs = (performance.now() - backlogT0) / 1000
      console.log(`drain: ${Math.round(backlog / bs)} events/s delivered (backlog of ${backlog} in ${bs.toFixed(1)}s; hub CPU ${(cpuSince(cpu0) / backlog).toFixed(0)} µs/event)`)
      const first = n
      const t0 = performance.now()
      const cpu1 = process.cpuUsage()
      const end = t0 + o.durationS * 1000
      await Promise.all(
        Array.from({ length: o.concurrency }, async () => {
          while (performance.now() < end) await flows.publish({ topic: 'order.created', body: { n: n++, total: 10 } })
        }),
      )
      await untilDelivered(sink, n, 5)
      const s = (performance.now() - t0) / 1000
      console.log(`e2e: ${Math.round((n - first) / s)} events/s published and delivered (${n - first} in ${s.toFixed(1)}s; hub CPU ${(cpuSince(cpu1) / (n - first)).toFixed(0)} µs/event)`)

      // 3. latency at a fixed rate.
      const scheduled: number[] = []
      const start = performance.now()
      const total = Math.round(o.rate * o.durationS)
      const firstFixed = n
      const pending: Array<Promise<unknown>> = []
      for (let i = 0; i < total; i++) {
        const at = start + (i * 1000) / o.rate
        const wait = at - performance.now()
        if (wait > 1) await sleep(wait)
        const id = n++
        scheduled.push(performance.timeOrigin + at)
        pending.push(flows.publish({ topic: 'order.created', body: { n: id, total: 1 } }))
      }
      await Promise.all(pending)
      await untilDelivered(sink, n, 5)
      const arrived = await sink.arrivals(firstFixed, n)
      const lat = arrived.map((t, i) => (t as number) - (scheduled[i] as number)).sort((a, b) => a - b)
      console.log(`latency at ${o.rate}/s (${total} events): p50 ${pct(lat, 50).toFixed(1)} ms, p95 ${pct(lat, 95).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms`)
      await flows.stop()
      await systems.close()
    }
    await store.close()
  } finally {
    await sink.close()
    await env.cleanup()
  }
}
