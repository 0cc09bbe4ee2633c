/**
 * Gateway benchmark: `npm run bench -- gateway [--duration 5] [--rounds 5] [--connections 50]
 * [--latency-rounds 12] [--latency-duration 2] [--latency-load 0.5] [--wrk-latency-connections 2] [--profile] [--tsx]`, or directly `npx tsx bench/gateway.ts …`. The servers run compiled
 * (the project is built into node_modules/.cache/switchboard-bench first) unless `--tsx`.
 *
 * On loopback, every server in its own single process (bench/gateway-servers.ts) and the load
 * generator in this one:
 *   direct          the upstream itself (plain node:http, small JSON)
 *   fastify-proxy   @fastify/http-proxy, the bare-Node baseline
 *   sb-plain        a plain Switchboard proxy route
 *   sb-apikey       API key + rate limit + metrics subscriber
 *   sb-jwt          JWT verified against a cached JWKS
 * Throughput runs are interleaved (round-robin, order rotated each round) so drift on a shared
 * machine hits every target alike; medians across rounds are reported, and ratios to
 * @fastify/http-proxy are medians of per-round ratios. Max load uses wrk when
 * installed, else autocannon. Then latency at half of the plain route's max rate is measured
 * with a fixed-rate generator (µs resolution, latency counted from the scheduled send time so
 * queueing is not hidden) in many short rounds, each target loaded together with a sparse probe
 * of direct on one schedule — the added p99 of a target is the median over rounds of (its p99 −
 * the probe's p99 over the same seconds), so a stall of the shared machine hits both or spoils
 * one round, not the figure; the proxy processes also time, from inside, what they spend on each
 * request besides waiting for the upstream (gateway-servers.ts). With wrk installed, latency is
 * also taken under a light closed loop (`--wrk-latency-connections`, default 2): wrk's own tail
 * is far shorter than the JavaScript generator's, which on 2 cores decides the open-loop p99.
 * Last, RSS with 1,000 routes loaded. `--profile` writes V8 CPU
 * profiles of the Switchboard processes to ./profiles.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { compileForBench } from './compile.js'
import { findWrk, runWrk } from './wrk.js'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { Pool } from 'undici'

interface LoadResult {
  rps: number
  p50: number
  p99: number
  errors: number
  /** CPU time (user + system) the measured server spent per request, in µs; NaN when unknown. */
  cpuUsPerReq: number
  /** Time spent inside the proxy process per request (see gateway-servers.ts), ms; NaN when not measured. */
  innerP50?: number
  innerP99?: number
}

interface AutocannonResult {
  requests: { average: number }
  latency: { p50: number; p99: number }
  errors: number
  timeouts: number
  non2xx: number
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

interface Target {
  name: string
  url: string
  headers: Record<string, string>
  child: ChildProcess | undefined
}

interface Options {
  durationS: number
  rounds: number
  /** Rounds and seconds per target of the fixed-rate latency phase. */
  latencyRounds: number
  latencyDurationS: number
  /** Offered rate of the latency phase as a share of sb-plain's max req/s (the issue's goal: 0.5). */
  latencyLoad: number
  /** Connections of the wrk closed-loop latency phase (few: the load stays well under max). */
  wrkLatencyConnections: number
  connections: number
  profile: boolean
  /** Run the servers from TypeScript through tsx instead of compiled JavaScript. */
  tsx: boolean
}

function parseArgs(args: string[]): Options {
  const get = (name: string, fallback: number): number => {
    const i = args.indexOf(`--${name}`)
    const v = i === -1 ? undefined : Number(args[i + 1])
    return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback
  }
  return {
    durationS: get('duration', 5),
    rounds: get('rounds', 5),
    latencyRounds: get('latency-rounds', 12),
    latencyDurationS: get('latency-duration', 2),
    latencyLoad: Math.min(1, get('latency-load', 0.5)),
    wrkLatencyConnections: get('wrk-latency-connections', 2),
    connections: get('connections', 50),
    profile: args.includes('--profile'),
    tsx: args.includes('--tsx'),
  }
}

let serversEntry = fileURLToPath(new URL('./gateway-servers.ts', import.meta.url))

async function start(mode: string, arg: string, opts: Options, env: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number; apiKey?: string }> {
  const execArgv = opts.tsx ? ['--import', 'tsx'] : []
  if (opts.profile && mode.startsWith('sb-')) execArgv.push('--cpu-prof', '--cpu-prof-dir=profiles')
  const child = fork(serversEntry, [mode, arg], { execArgv, env: { ...process.env, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${mode} exited with ${String(code)} before it was ready`)
    }),
  ])) as [{ port: number; apiKey?: string }]
  return { child, port: message.port, ...(message.apiKey ? { apiKey: message.apiKey } : {}) }
}

async function cpuUs(child: ChildProcess): Promise<number> {
  child.send({ cmd: 'cpu' })
  const [m] = (await once(child, 'message')) as [{ cpuUs: number }]
  return m.cpuUs
}

async function rss(child: ChildProcess): Promise<number> {
  child.send({ cmd: 'rss' })
  const [m] = (await once(child, 'message')) as [{ rss: number }]
  return m.rss
}

async function overheadStart(child: ChildProcess): Promise<void> {
  child.send({ cmd: 'overhead-start' })
  await once(child, 'message')
}

async function overheadStop(child: ChildProcess): Promise<{ n: number; p50: number; p99: number }> {
  child.send({ cmd: 'overhead-stop' })
  const [m] = (await once(child, 'message')) as [{ overhead: { n: number; p50: number; p99: number } }]
  return m.overhead
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return
  const exited = once(child, 'exit')
  // SIGINT lets --cpu-prof write its profile; exit on our command otherwise.
  child.kill('SIGINT')
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
  if (child.exitCode === null) child.kill('SIGKILL')
}

/**
 * Closed-loop max load, with the CPU time the server spent per request — on a shared machine
 * that figure is steadier than req/s, which also depends on what else gets the cores.
 */
async function maxLoad(t: Target, opts: Options, durationS = opts.durationS): Promise<LoadResult> {
  const before = t.child ? await cpuUs(t.child) : NaN
  const r = await closedLoop(t, opts, durationS)
  const after = t.child ? await cpuUs(t.child) : NaN
  r.cpuUsPerReq = (after - before) / (r.rps * durationS)
  return r
}

/** wrk when installed, else autocannon. Latencies in ms. */
async function closedLoop(t: Target, opts: Options, durationS: number, connections = opts.connections): Promise<LoadResult> {
  const wrk = await findWrk()
  if (wrk) {
    const r = await runWrk(wrk, t.url, connections, durationS, t.headers)
    return { rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors, cpuUsPerReq: NaN }
  }
  const r = await autocannon({ url: t.url, connections: opts.connections, duration: durationS, headers: t.headers })
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx, cpuUsPerReq: NaN }
}

/**
 * Open-loop load at a fixed rate on one schedule for several targets: target i gets every
 * `every[i]`-th send (1: all of them). Running a target together with a sparse probe of direct
 * means a stall of the load generator or of the shared machine hits both alike, and the
 * difference between them is what the target adds, while the probe adds little load. Latency
 * is counted from the scheduled send time (queueing is not hidden), in ms with µs resolution.
 */
async function fixedRate(targets: readonly Target[], every: readonly number[], rate: number, durationS: number): Promise<LoadResult[]> {
  const streams = targets.map((t, i) => {
    const u = new URL(t.url)
    return { every: every[i] ?? 1, path: u.pathname, headers: t.headers, pool: new Pool(u.origin, { connections: 64 }), latencies: [] as number[], errors: 0 }
  })
  const total = Math.floor(rate * durationS)
  const intervalMs = 1000 / rate
  const pending: Array<Promise<void>> = []
  const start = performance.now()
  let sent = 0
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now()
      while (sent < total && start + sent * intervalMs <= now) {
        const scheduled = start + sent * intervalMs
        const n = sent++
        for (const s of streams) {
          if (n % s.every !== 0) continue
          pending.push(
            // A unique request id lets the proxy's process time each request (gateway-servers.ts).
            s.pool.request({ path: s.path, method: 'GET', headers: { ...s.headers, 'x-request-id': `bench-${n}` } }).then(
              async (res) => {
                await res.body.dump()
                if (res.statusCode !== 200) s.errors++
                s.latencies.push(performance.now() - scheduled)
              },
              () => {
                s.errors++
              },
            ),
          )
        }
      }
      // Sleep until the next send is due (a busy loop here would steal a core from the servers).
      if (sent >= total) resolve()
      else setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()))
    }
    tick()
  })
  await Promise.all(pending)
  const elapsedS = (performance.now() - start) / 1000
  await Promise.all(streams.map((s) => s.pool.close()))
  return streams.map((s) => {
    const l = s.latencies.sort((a, b) => a - b)
    const at = (q: number): number => l[Math.min(l.length - 1, Math.floor(q * l.length))] ?? NaN
    return { rps: l.length / elapsedS, p50: at(0.5), p99: at(0.99), errors: s.errors, cpuUsPerReq: NaN }
  })
}

/** The direct probe of the latency phase gets every this-many-th send of the schedule. */
const DIRECT_PROBE_EVERY = 4

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/**
 * `name`'s figure over the baseline's, round by round (both measured within the same round, so
 * drift of a shared machine between rounds cancels out), as the median and the per-round list.
 */
function pairedRatio(results: Map<string, LoadResult[]>, name: string, pick: (r: LoadResult) => number): { median: number; rounds: number[] } {
  return paired(results, name, 'fastify-proxy', (a, b) => pick(a) / pick(b))
}

/** `combine(name's result, baseline's result)` for each round, and its median. */
function paired(results: Map<string, LoadResult[]>, name: string, baseline: string, combine: (a: LoadResult, b: LoadResult) => number): { median: number; rounds: number[] } {
  const mine = results.get(name) ?? []
  const base = results.get(baseline) ?? []
  const rounds = mine.map((r, i) => combine(r, base[i] as LoadResult))
  return { median: median(rounds), rounds }
}

function summarise(results: Map<string, LoadResult[]>): Map<string, LoadResult> {
  const out = new Map<string, LoadResult>()
  for (const [name, list] of results) {
    out.set(name, {
      rps: median(list.map((r) => r.rps)),
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      errors: list.reduce((a, r) => a + r.errors, 0),
      cpuUsPerReq: median(list.map((r) => r.cpuUsPerReq)),
      innerP50: median(list.map((r) => r.innerP50 ?? NaN)),
      innerP99: median(list.map((r) => r.innerP99 ?? NaN)),
    })
  }
  return out
}

/** Runs the gateway benchmark and prints the results (a Markdown table for docs/benchmarks.md). */
export async function run(args: string[]): Promise<void> {
  const opts = parseArgs(args)
  if (!opts.tsx) serversEntry = await compileForBench('switchboard-bench', 'bench/gateway-servers.ts')
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'ES256', use: 'sig' }
  const token = await new SignJWT({ scope: 'orders:read' })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench-1' })
    .setIssuer('bench')
    .setAudience('gateway')
    .setSubject('bench-client')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey)

  const children: ChildProcess[] = []
  try {
    const up = await start('upstream', '', opts, { BENCH_JWKS: JSON.stringify({ keys: [jwk] }) })
    children.push(up.child)
    const upstreamUrl = `http://127.0.0.1:${up.port}`
    const targets: Target[] = [{ name: 'direct', url: `${upstreamUrl}/orders/1`, headers: {}, child: up.child }]
    for (const mode of ['fastify-proxy', 'sb-plain', 'sb-apikey', 'sb-jwt']) {
      const s = await start(mode, upstreamUrl, opts)
      children.push(s.child)
      const headers: Record<string, string> = s.apiKey ? { 'x-api-key': s.apiKey } : mode === 'sb-jwt' ? { authorization: `Bearer ${token}` } : {}
      targets.push({ name: mode, url: `http://127.0.0.1:${s.port}/orders/1`, headers, child: s.child })
    }

    console.log(
      `gateway benchmark: ${opts.rounds} interleaved rounds × ${opts.durationS}s, ${opts.connections} connections, load by ${(await findWrk()) ? 'wrk' : 'autocannon'}, servers ${opts.tsx ? 'via tsx' : 'compiled'}`,
    )
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
    for (const t of targets) {
      const warm = await maxLoad(t, opts, 2)
      if (warm.errors > 0) throw new Error(`${t.name}: ${warm.errors} failed requests during warm-up (check its setup)`)
    }
    const results = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]))
    for (let round = 0; round < opts.rounds; round++) {
      for (let i = 0; i < targets.length; i++) {
        const t = targets[(i + round) % targets.length] as Target
        const r = await maxLoad(t, opts)
        results.get(t.name)?.push(r)
        console.log(
          `  round ${round + 1} ${t.name.padEnd(14)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ${r.cpuUsPerReq.toFixed(0)} µs CPU/req${r.errors ? `  errors ${r.errors}` : ''}`,
        )
      }
    }
    const max = summarise(results)

    // Latency at half (--latency-load) of the plain route's max rate: each target together with a probe of direct
    // at a quarter of that rate, on one schedule (see fixedRate); `direct+<name>` holds the
    // probe's figures from those runs.
    const half = Math.floor((max.get('sb-plain')?.rps ?? 0) * opts.latencyLoad)
    const direct = targets.find((t) => t.name === 'direct') as Target
    const halfTargets = targets.filter((t) => ['fastify-proxy', 'sb-plain', 'sb-apikey'].includes(t.name))
    const halfResults = new Map<string, LoadResult[]>(halfTargets.flatMap((t) => [[t.name, []], [`direct+${t.name}`, []]]))
    for (let round = 0; round < opts.latencyRounds; round++) {
      for (let i = 0; i < halfTargets.length; i++) {
        const t = halfTargets[(i + round) % halfTargets.length] as Target
        if (t.child) await overheadStart(t.child)
        const [d, r] = (await fixedRate([direct, t], [DIRECT_PROBE_EVERY, 1], half, opts.latencyDurationS)) as [LoadResult, LoadResult]
        if (t.child) {
          const inner = await overheadStop(t.child)
          r.innerP50 = inner.p50
          r.innerP99 = inner.p99
        }
        halfResults.get(t.name)?.push(r)
        halfResults.get(`direct+${t.name}`)?.push(d)
      }
    }
    const atHalf = summarise(halfResults)

    // With wrk: latency under a light closed loop (a C generator has a far shorter tail of its
    // own than the JavaScript open loop above). Each round measures direct, then each proxy, back
    // to back; the added p99 is the median over rounds of (proxy − that round's direct).
    const wrkNames = ['direct', 'fastify-proxy', 'sb-plain', 'sb-apikey']
    const wrkResults = new Map<string, LoadResult[]>(wrkNames.map((n) => [n, []]))
    if (await findWrk()) {
      for (let round = 0; round < 5; round++) {
        for (const name of wrkNames) {
          const t = targets.find((x) => x.name === name) as Target
          wrkResults.get(name)?.push(await closedLoop(t, opts, 3, opts.wrkLatencyConnections))
        }
      }
    }

    const many = await start('sb-1000', upstreamUrl, opts)
    children.push(many.child)
    const manyTarget: Target = { name: 'sb-1000', url: `http://127.0.0.1:${many.port}/orders/1`, headers: {}, child: many.child }
    await maxLoad(manyTarget, opts, 2)
    const rss1000 = await rss(many.child)
    const plainChild = targets.find((t) => t.name === 'sb-plain')?.child
    const rssPlain = plainChild ? await rss(plainChild) : NaN

    const mb = (n: number): string => `${(n / 1048576).toFixed(0)} MB`
    const lines = [
      '',
      `| target | req/s (median) | × @fastify/http-proxy req/s | server CPU µs/req | CPU vs @fastify/http-proxy | p50 ms | p99 ms | p50 / p99 at ${half} req/s | added p50 / p99 vs direct | in-proxy p50 / p99 |`,
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    const perRound: string[] = []
    for (const t of targets) {
      const m = max.get(t.name) as LoadResult
      const h = atHalf.get(t.name === 'direct' ? 'direct+sb-plain' : t.name)
      // Added latency per round (the target and direct measured at the same time), then the median.
      const addedP50 = paired(halfResults, t.name, `direct+${t.name}`, (a, b) => a.p50 - b.p50).median
      const addedP99 = paired(halfResults, t.name, `direct+${t.name}`, (a, b) => a.p99 - b.p99).median
      const added = h ? `${addedP50.toFixed(3)} / ${addedP99.toFixed(3)} ms` : '—'
      const rpsRatio = pairedRatio(results, t.name, (r) => r.rps)
      const cpuRatio = pairedRatio(results, t.name, (r) => r.cpuUsPerReq)
      const inner = h?.innerP50 !== undefined && !Number.isNaN(h.innerP50) ? `${h.innerP50.toFixed(3)} / ${(h.innerP99 ?? NaN).toFixed(3)} ms` : '—'
      lines.push(
        `| ${t.name} | ${m.rps.toFixed(0)} | ${rpsRatio.median.toFixed(2)} | ${m.cpuUsPerReq.toFixed(0)} | ${cpuRatio.median.toFixed(2)} | ${m.p50} | ${m.p99} | ${h ? `${h.p50.toFixed(3)} / ${h.p99.toFixed(3)} ms` : '—'} | ${t.name === 'direct' ? '—' : added} | ${t.name === 'direct' ? '—' : inner} |`,
      )
      if (t.name.startsWith('sb-')) perRound.push(`${t.name} ${rpsRatio.rounds.map((r) => r.toFixed(2)).join(' ')}`)
    }
    lines.push('', `Ratios are medians of per-round ratios (both targets measured in the same round); req/s ratio per round: ${perRound.join('; ')}.`)
    const addedRounds = ['fastify-proxy', 'sb-plain', 'sb-apikey'].map(
      (name) => `${name} ${paired(halfResults, name, `direct+${name}`, (a, b) => a.p99 - b.p99).rounds.map((r) => r.toFixed(2)).join(' ')}`,
    )
    lines.push('', `Added p99 at ${half} req/s per round (${opts.latencyRounds} rounds × ${opts.latencyDurationS} s, ms): ${addedRounds.join('; ')}.`)
    if ((wrkResults.get('direct') ?? []).length > 0) {
      const wrkMax = summarise(wrkResults)
      const cells = wrkNames.map((name) => {
        const r = wrkMax.get(name) as LoadResult
        const share = ((r.rps / ((max.get(name) as LoadResult).rps || NaN)) * 100).toFixed(0)
        if (name === 'direct') return `direct ${r.rps.toFixed(0)} req/s (${share} % of its max), p50 / p99 ${r.p50.toFixed(3)} / ${r.p99.toFixed(3)} ms`
        const added = paired(wrkResults, name, 'direct', (a, b) => a.p99 - b.p99)
        return `${name} ${r.rps.toFixed(0)} req/s (${share} % of its max), p50 / p99 ${r.p50.toFixed(3)} / ${r.p99.toFixed(3)} ms, added p99 ${added.median.toFixed(3)} ms (rounds ${added.rounds.map((x) => x.toFixed(2)).join(' ')})`
      })
      lines.push('', `wrk closed loop, ${opts.wrkLatencyConnections} connections, 5 rounds × 3 s: ${cells.join('; ')}.`)
    }
    lines.push('', `RSS: ${mb(rss1000)} with 1,000 routes loaded (one-route gateway after the run: ${mb(rssPlain)}).`)
    const errors = [...max.values(), ...atHalf.values()].reduce((a, r) => a + r.errors, 0)
    if (errors > 0) lines.push(`WARNING: ${errors} failed requests during the measured runs.`)
    lines.push(`Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`)
    console.log(lines.join('\n'))
  } finally {
    await Promise.all(children.map((c) => stop(c)))
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
