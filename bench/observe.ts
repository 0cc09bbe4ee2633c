/**
 * Observability overhead: `npm run bench -- observe [--duration 3] [--rounds 3] [--connections 50] [--rate 0] [--breakdown] [--sequential] [--pin] [--pin-main] [--instructions] [--variants a,b,…] [--time-handlers] [--tsx]`,
 * or directly `npx tsx bench/observe.ts …`.
 *
 * 1. Per-request cost in process: a gateway-request message published with nobody listening,
 *    with the metrics registry, and with metrics + the health tracker; the tracing hook with
 *    tracing off (the `hasSubscribers` check the hot paths make); and a gateway span through the
 *    tracing channel with the SDK subscribed (sampled at 10 %, spans dropped by a no-op
 *    exporter, so this is the in-process span cost only).
 * 2. Gateway throughput, same run — the issue's measure: one plain proxy route, observability
 *    off (nobody subscribed: the gateway does not even read the clock) vs metrics + health vs
 *    metrics + health + tracing (the runtime's tracing: parent-based 10 % sampling, the span
 *    worker, batch OTLP/HTTP export to a loopback collector). Each gateway, the upstream and the
 *    collector run in their own process, compiled first as in bench/gateway.ts (`--tsx` runs them
 *    from TypeScript). Runs come in mirrored blocks with fresh gateways per block (see
 *    sequentialBlocks); the cost is the median of the blocks' throughput ratios. `--sequential`
 *    runs only this; `--pin` gives each gateway CPUs of its own, the load the last one;
 *    `--pin-main` gives the gateway's main thread alone CPUs of its own, its other threads (span
 *    worker, V8's helpers) sharing the last one with the load.
 * 3. With wrk installed, first the same three gateways loaded at once (see pairedRounds): CPU
 *    time per request over the same seconds.
 * 4. Last, each gateway profiled alone under load (see profiledShares): the share of its busy
 *    CPU spent in observability code, by part — a ratio inside one process, which a noisy
 *    machine moves least.
 * 5. Only with `--instructions` (and then only it): instructions per request under valgrind's
 *    callgrind, by thread and by function (see instructionCounts).
 *
 * `--variants a,b,…` compares other gateways (the first is the baseline), e.g.
 * `--variants off,tracing-in-thread,tracing`: spans in the gateway's thread against the span worker.
 *
 * The issue's goal is ≤ 10% throughput cost with tracing sampled at 10%.
 */
import { execFile, execFileSync, fork, type ChildProcess } from 'node:child_process'
import diagnostics from 'node:diagnostics_channel'
import { once, type EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { Session } from 'node:inspector/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import type { RawConfig } from '../src/config/spec/root.js'
import { GATEWAY_REQUEST_CHANNEL } from '../src/observe/channels.js'
import { HealthTracker } from '../src/observe/health.js'
import { installMetrics } from '../src/observe/metrics.js'
import { subscribeTracing } from '../src/observe/trace-subscriber.js'
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, NoopSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base'
import { gatewayTraceContext, gatewayTracing } from '../src/gateway/diagnostics.js'
import { PresetIdGenerator } from '../src/observe/deferred-spans.js'
import { perfMapNames, selfCosts } from './callgrind.js'
import { compileForBench } from './compile.js'
import { findWrk, runWrk, which, type WrkResult } from './wrk.js'
import type { IncomingMessage } from 'node:http'

interface AutocannonResult {
  requests: { average: number; total: number }
  errors: number
  timeouts: number
  non2xx: number
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>

interface Options {
  durationS: number
  rounds: number
  connections: number
  /** Requests per second for all connections together (0: as fast as the gateway answers). */
  rate: number
  /** Only the paired rounds, over every step from off to full tracing, or over `--variants` (needs wrk). */
  breakdown: boolean
  /** The gateways compared, the first the baseline (`--variants off,tracing-in-thread,tracing`; default off,metrics,tracing). */
  variants: Variant[] | undefined
  /** Also time the tracer's handlers in place, on a fourth gateway. */
  timeHandlers: boolean
  /** Only the sequential blocks (the issue's measure). */
  sequential: boolean
  /** Only instruction counts under valgrind (see instructionCounts). */
  instructions: boolean
  /** Gateways on their own CPUs, the load generator, upstream and collector on the last one (Linux, taskset). */
  pin: boolean
  /** As `pin`, but only each gateway's main thread on its own CPUs; its other threads join the load on the last. */
  pinMain: boolean
}

function parseArgs(args: string[]): Options {
  const get = (name: string, fallback: number): number => {
    const i = args.indexOf(`--${name}`)
    const v = i === -1 ? undefined : Number(args[i + 1])
    return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback
  }
  return {
    durationS: get('duration', 3),
    rounds: get('rounds', 3),
    connections: get('connections', 50),
    rate: get('rate', 0),
    breakdown: args.includes('--breakdown'),
    variants: parseVariants(args),
    timeHandlers: args.includes('--time-handlers'),
    sequential: args.includes('--sequential'),
    instructions: args.includes('--instructions'),
    pin: args.includes('--pin'),
    pinMain: args.includes('--pin-main'),
  }
}

function parseVariants(args: string[]): Variant[] | undefined {
  const i = args.indexOf('--variants')
  if (i === -1) return undefined
  const names = (args[i + 1] ?? '').split(',').filter((v) => v !== '')
  const unknown = names.filter((v) => !(v in LABELS))
  if (unknown.length > 0 || names.length === 0) throw new Error(`--variants: expected some of ${Object.keys(LABELS).join(', ')}; got ${args[i + 1] ?? 'nothing'}`)
  return names as Variant[]
}

/** A ratio as a signed percentage: `+8.1%`, `-4.9%`. */
const signedPct = (r: number): string => `${r >= 0 ? '+' : ''}${(r * 100).toFixed(1)}%`

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}

/** ns per call of `fn`, median of 5 batches after a warm-up. */
function nsPerOp(fn: (i: number) => void, n = 200_000): number {
  for (let i = 0; i < n / 4; i++) fn(i)
  const runs: number[] = []
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) fn(i)
    runs.push(((performance.now() - t0) * 1e6) / n)
  }
  return median(runs)
}

function microBench(): string[] {
  const ch = diagnostics.channel(GATEWAY_REQUEST_CHANNEL)
  const routes = ['get-order', 'list-orders', 'shop-webhook', 'create-invoice']
  const publish = (i: number): void => {
    // The publisher's own guard: no message is even built without a subscriber.
    if (!ch.hasSubscribers) return
    ch.publish({ route: routes[i & 3], method: 'GET', statusClass: i % 50 === 0 ? '5xx' : '2xx', consumer: 'acme', durationMs: (i % 97) * 0.3, errorCode: null })
  }
  const none = nsPerOp(publish)
  const metrics = installMetrics({ defaultMetrics: false })
  const withMetrics = nsPerOp(publish)
  const health = new HealthTracker()
  const unsubscribe = health.subscribe()
  const withBoth = nsPerOp(publish)
  unsubscribe()
  metrics.close()
  // The tracing hook of a request: what every hot path pays with tracing off.
  const hookOff = nsPerOp(() => {
    if (gatewayTracing.hasSubscribers) throw new Error('nobody should listen yet')
  })
  // With the SDK subscribed (10 % sampled, spans dropped): the in-process cost of one request
  // span, once with the SDK's sampler deciding every request, once with the subscriber deciding
  // up front (the runtime's set-up: unsampled requests never reach the SDK).
  const req = { method: 'GET', headers: { host: 'x' } } as unknown as IncomingMessage
  const { start, asyncEnd } = gatewayTracing
  const spanCost = (sampler: Sampler, sampling: { ratio: number } | undefined): number => {
    // With sampling decided here, as the runtime does: preset ids, spans handed over in batches.
    const ids = sampling === undefined ? undefined : new PresetIdGenerator()
    const provider = new BasicTracerProvider({
      sampler,
      ...(ids ? { idGenerator: ids } : {}),
      spanProcessors: [new SimpleSpanProcessor({ export: (_spans, done) => done({ code: 0 }), shutdown: () => Promise.resolve() })],
    })
    const unsubscribeTracing = subscribeTracing(provider.getTracer('bench'), { sampling, ids })
    const ns = nsPerOp(() => {
      const t = gatewayTraceContext('get-order', '/orders/:id', req, 'r')
      start.publish(t)
      t.status = 200
      asyncEnd.publish(t)
    }, 100_000)
    unsubscribeTracing()
    void provider.shutdown()
    return ns
  }
  const sdkSampled = spanCost(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }), undefined)
  const span = spanCost(new ParentBasedSampler({ root: new AlwaysOnSampler() }), { ratio: 0.1 })
  return [
    '| per gateway request | ns |',
    '|---|---:|',
    `| message, no subscriber | ${none.toFixed(0)} |`,
    `| message → metrics | ${withMetrics.toFixed(0)} |`,
    `| message → metrics + health | ${withBoth.toFixed(0)} |`,
    `| tracing hook, tracing off (\`hasSubscribers\`) | ${hookOff.toFixed(1)} |`,
    `| request span via the tracing channel, 10 %, SDK sampler decides every request (no export) | ${sdkSampled.toFixed(0)} |`,
    `| request span via the tracing channel, 10 %, decided before the SDK, recorded in batches — the runtime's (no export) | ${span.toFixed(0)} |`,
  ]
}

// ---- end to end ----

async function upstreamProcess(): Promise<void> {
  const body = JSON.stringify({ id: 'o1', status: 'paid', total: 1250, currency: 'EUR' })
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
  server.keepAliveTimeout = 72_000
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }))
}

/** A stand-in OTLP/HTTP collector: reads each export, counts the spans' bytes, answers 200 with an empty response. */
async function collectorProcess(): Promise<void> {
  let exports = 0
  let bytes = 0
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (bytes += c.length))
    req.on('end', () => {
      exports++
      // As a collector answers: an empty ExportTraceServiceResponse in the request's encoding
      // (a JSON body to a protobuf export fails its decoding, and the SDK then waits out its
      // export timeout, dropping spans meanwhile).
      const json = req.headers['content-type'] === 'application/json'
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
      res.end(json ? '{}' : '')
    })
  })
  process.on('SIGTERM', () => {
    console.error(`collector: ${exports} exports, ${(bytes / 1e6).toFixed(1)} MB of spans`)
    process.exit(0)
  })
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }))
}

/**
 * The gateways compared. `off`, `metrics` (+ health) and `tracing` (+ metrics + health, 10 %)
 * are the main comparison; `--breakdown` adds the steps in between, and `--time-handlers` a
 * tracing gateway that times the tracer's own handlers in place.
 */
type Variant = 'off' | 'metrics-core' | 'metrics-only' | 'metrics' | 'tracing-unsampled' | 'tracing-dropped' | 'tracing-in-thread' | 'tracing-only' | 'tracing' | 'tracing-timed'

const LABELS: Record<Variant, string> = {
  off: 'observability off',
  'metrics-core': 'metrics, without prom-client’s process metrics',
  'metrics-only': 'metrics',
  metrics: 'metrics + health',
  'tracing-unsampled': 'metrics + health + tracing at ratio 0 (ids and traceparent only)',
  'tracing-dropped': 'metrics + health + tracing (10 %, spans recorded in the gateway’s thread, the exporter drops them)',
  'tracing-only': 'tracing alone (10 %, span worker, no metrics or health)',
  'tracing-in-thread': 'metrics + health + tracing (10 %, spans recorded and exported in the gateway’s thread, OTLP/HTTP)',
  tracing: 'metrics + health + tracing (10 %, span worker, OTLP/HTTP to loopback)',
  'tracing-timed': 'as above, the tracer’s handlers timed',
}

async function gatewayProcess(variant: Variant, upstreamUrl: string, collectorUrl: string): Promise<void> {
  const { openStore } = await import('../src/store/open.js')
  const { Systems } = await import('../src/systems/index.js')
  const { createGateway } = await import('../src/gateway/index.js')
  const dir = await mkdtemp(join(tmpdir(), 'sb-bench-observe-'))
  const store = await openStore(`sqlite:${join(dir, 'bench.db')}`)
  await store.migrate()
  const systemsConfig = { erp: { baseUrl: upstreamUrl } }
  const config = { version: 1, systems: systemsConfig, routes: [{ id: 'get-order', get: '/orders/:id', proxy: { system: 'erp', path: '/orders/:id' } }] } as RawConfig
  const known = { routes: ['get-order'], systems: ['erp'] }
  if (variant !== 'off' && variant !== 'tracing-only') installMetrics({ known, defaultMetrics: variant !== 'metrics-core' })
  if (!['off', 'metrics-core', 'metrics-only', 'tracing-only'].includes(variant)) new HealthTracker({ known }).subscribe()
  const timed = variant === 'tracing-timed' ? timeTracerHandlers() : undefined
  if (variant.startsWith('tracing')) {
    // The runtime's own wiring, as `telemetry: { otlp: …, sampling: { ratio: 0.1 } }` sets it up;
    // `tracing-dropped` swaps the OTLP exporter for one that drops each batch (what export costs);
    // `tracing-in-thread` adds a span processor that does nothing, which keeps every span in the
    // gateway's thread (an in-process processor must see them all): the set-up before the span worker.
    const { startTracing } = await import('../src/runtime/tracing.js')
    const { createLogger } = await import('../src/observe/logger.js')
    const ratio = variant === 'tracing-unsampled' ? 0 : 0.1
    const dropped = variant === 'tracing-dropped'
    const drop = { export: (_spans: unknown, done: (r: { code: 0 }) => void) => done({ code: 0 }), shutdown: () => Promise.resolve() }
    const processors = dropped ? [new BatchSpanProcessor(drop)] : variant === 'tracing-in-thread' ? [new NoopSpanProcessor()] : []
    startTracing({
      telemetry: { ...(dropped ? {} : { otlp: { endpoint: collectorUrl } }), sampling: { ratio } },
      spanProcessors: processors,
      logger: createLogger({ level: 'warn', env: {} }),
    })
  }
  timed?.after()
  const gateway = await createGateway({ config, configDir: dir, systems: Systems.fromConfig(systemsConfig), store })
  const { port } = await gateway.listen(0)
  // Exit cleanly on SIGTERM (a --cpu-prof profile is written at exit).
  process.on('SIGTERM', () => process.exit(0))
  // CPU time spent so far, on request: CPU per request is steadier than req/s on a shared machine.
  process.on('message', (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage()
      process.send?.({ cpuUs: u.user + u.system, mainUs: mainThreadCpuUs() })
    }
    if (m === 'timed') process.send?.({ timed: timed?.result() })
    if (m === 'profile-start') void profiler.start().then(() => process.send?.({ profiling: true }))
    if (m === 'profile-stop') void profiler.stop().then((shares) => process.send?.({ shares }))
  })
  process.send?.({ port })
}

/** Where a gateway's CPU samples fall: observability code by part, garbage collection, the rest. */
interface CpuShares {
  /** Busy (not idle) profile time, ms. */
  busyMs: number
  /** Share of the busy time per part (0..1). */
  parts: Record<ProfilePart, number>
  gc: number
}

type ProfilePart = 'publishing' | 'metrics' | 'health' | 'tracing'

/**
 * What counts as each part, by the script a sampled frame runs in: a sample belongs to the part
 * of its innermost frame that matches (prom-client called from metrics.js is metrics; the clock
 * read by the gateway's diagnostics is publishing). Anything else is the gateway's own work.
 */
const PROFILE_PARTS: ReadonlyArray<[ProfilePart, RegExp]> = [
  ['tracing', /@opentelemetry|\/observe\/(trace-subscriber|deferred-spans|traceparent|tracing)\.js|\/runtime\/(tracing|span-worker-host|span-export)\.js/],
  ['metrics', /prom-client|\/observe\/(metrics|labels|series|metric-defs)\.js/],
  ['health', /\/observe\/(health|window|health-judge)\.js/],
  ['publishing', /\/observe\/channels\.js|diagnostics_channel|\/gateway\/diagnostics\.js/],
]

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
  children?: number[]
}

/** The V8 sampling profiler of this process, through the inspector; `stop()` attributes the samples. */
const profiler = (() => {
  let session: Session | undefined
  return {
    async start(): Promise<void> {
      session = new Session()
      session.connect()
      await session.post('Profiler.enable')
      await session.post('Profiler.setSamplingInterval', { interval: 200 })
      await session.post('Profiler.start')
    },
    async stop(): Promise<CpuShares> {
      if (session === undefined) throw new Error('the profiler was not started')
      const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } }
      session.disconnect()
      session = undefined
      const byId = new Map(profile.nodes.map((n) => [n.id, n]))
      const parent = new Map<number, number>()
      for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
      const time = new Map<number, number>()
      profile.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
      const parts: Record<ProfilePart, number> = { publishing: 0, metrics: 0, health: 0, tracing: 0 }
      let busy = 0
      let gc = 0
      for (const [id, t] of time) {
        const name = byId.get(id)?.callFrame.functionName
        if (name === '(idle)') continue
        busy += t
        if (name === '(garbage collector)') {
          gc += t
          continue
        }
        for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
          const url = byId.get(at)?.callFrame.url ?? ''
          const part = PROFILE_PARTS.find(([, re]) => re.test(url))
          if (part !== undefined) {
            parts[part[0]] += t
            break
          }
        }
      }
      for (const k of Object.keys(parts) as ProfilePart[]) parts[k] /= Math.max(1, busy)
      return { busyMs: busy / 1000, parts, gc: gc / Math.max(1, busy) }
    },
  }
})()

/**
 * Each gateway profiled under load on its own (wrk, else autocannon): the share of its busy CPU
 * spent in observability code. A ratio taken inside one process over the same seconds, so a
 * slower or faster machine moves both sides alike — the steadiest of these measurements. It
 * counts the code's own time; what it costs indirectly (more garbage collection, caches) shows
 * in the GC column and in the CPU per request above.
 */
async function profiledShares(targets: ReadonlyArray<{ name: Variant; port: number; child: ChildProcess }>, opts: Options, load: (url: string, seconds: number) => Promise<unknown>): Promise<string[]> {
  const rows: string[] = []
  for (const t of targets) {
    const url = `http://127.0.0.1:${t.port}/orders/1`
    await load(url, 1)
    const started = once(t.child, 'message')
    t.child.send('profile-start')
    await started
    await load(url, opts.durationS * 2)
    const reply = once(t.child, 'message') as Promise<[{ shares: CpuShares }]>
    t.child.send('profile-stop')
    const { shares } = (await reply)[0]
    const p = shares.parts
    const pct = (x: number): string => `${(x * 100).toFixed(1)}%`
    const total = p.publishing + p.metrics + p.health + p.tracing
    rows.push(`| ${LABELS[t.name]} | **${pct(total)}** | ${pct(p.publishing)} | ${pct(p.metrics)} | ${pct(p.health)} | ${pct(p.tracing)} | ${pct(shares.gc)} | ${shares.busyMs.toFixed(0)} |`)
  }
  return [
    `Profiled: each gateway alone under load for ${opts.durationS * 2}s, V8's sampling profiler on; shares of its busy CPU (main thread):`,
    '',
    '| gateway, one proxy route | observability code | publishing (diagnostics) | metrics | health | tracing | garbage collection | busy ms sampled |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ]
}

interface HandlerTimes {
  requests: number
  sampled: number
  /** ns per request spent in the tracer's `start` and `asyncEnd` handlers, in place. */
  startNs: number
  endNs: number
}

/**
 * Times the tracer's gateway handlers where they run: a subscriber before the tracer's takes the
 * time, one after it adds the difference (diagnostics_channel calls subscribers in order). Call
 * before tracing starts, and `after()` once it has. The gateway spans' deferred recording (a
 * batch per event-loop turn) is not inside these handlers: it shows in the CPU per request.
 */
function timeTracerHandlers(): { after(): void; result(): HandlerTimes } {
  let t0 = 0n
  let start = 0n
  let end = 0n
  let requests = 0
  let sampled = 0
  const mark = (): void => {
    t0 = process.hrtime.bigint()
  }
  diagnostics.subscribe('tracing:switchboard:gateway:request:start', mark)
  diagnostics.subscribe('tracing:switchboard:gateway:request:asyncEnd', mark)
  return {
    after() {
      diagnostics.subscribe('tracing:switchboard:gateway:request:start', (m) => {
        start += process.hrtime.bigint() - t0
        requests++
        if ((m as { traceparent?: string }).traceparent?.endsWith('-01')) sampled++
      })
      diagnostics.subscribe('tracing:switchboard:gateway:request:asyncEnd', () => {
        end += process.hrtime.bigint() - t0
      })
    },
    result: () => ({ requests, sampled, startNs: Number(start) / Math.max(1, requests), endNs: Number(end) / Math.max(1, requests) }),
  }
}

/**
 * CPU time of this process's main thread so far (µs), from Linux's per-thread accounting (10 ms
 * ticks; NaN elsewhere): `process.cpuUsage()` also counts the span worker and V8's helper threads.
 */
function mainThreadCpuUs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return NaN
  }
}

/** The child's CPU time so far (µs): the whole process's and its main thread's. */
async function cpuOf(child: ChildProcess): Promise<{ cpuUs: number; mainUs: number }> {
  const reply = once(child, 'message') as Promise<[{ cpuUs: number; mainUs: number }]>
  child.send('cpu')
  return (await reply)[0]
}

const SELF = fileURLToPath(import.meta.url)
/** What the servers run: this file under tsx, or its compiled twin. */
let serverEntry = SELF

async function start(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const execArgv = serverEntry.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child = fork(serverEntry, ['--serve', ...args], { execArgv, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${args.join(' ')} exited with ${String(code)} before it was ready`)
    }),
  ])) as [{ port: number }]
  return { child, port: message.port }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
  if (child.exitCode === null) child.kill('SIGKILL')
}

/**
 * The three gateways loaded at the same time, each by its own wrk, for `rounds` rounds, each
 * round on fresh gateways warmed up under the same load: each gateway's CPU time per request is
 * taken over the same seconds, so a
 * slower or faster spell of a shared machine hits all three alike — far steadier than rounds
 * taken one after the other. The cores are shared (three gateways, three load generators, the
 * upstream and the collector on 2 vCPUs), so each gateway gets about a third of a core: figures
 * are per request, and code that runs cold (evicted between requests) costs more here than on a
 * gateway that has a core to itself. Empty without wrk.
 */
async function pairedRounds(
  names: readonly Variant[],
  fresh: (names: readonly Variant[]) => Promise<Array<{ name: Variant; port: number; child: ChildProcess }>>,
  opts: Options,
): Promise<string[]> {
  const wrk = await findWrk()
  if (wrk === undefined) return []
  // Per position, not per name: the same gateway twice (`--variants off,off`) shows the spread
  // of the instrument itself.
  const cpu: number[][] = names.map(() => [])
  const main: number[][] = names.map(() => [])
  const reqs: number[][] = names.map(() => [])
  let errors = 0
  for (let r = 0; r < opts.rounds; r++) {
    // Fresh gateways every round: two processes of one gateway differ by several % for life
    // (see sequentialBlocks), so one set for the whole run would measure that, not the variants.
    const targets = await fresh(names)
    const load = (): Promise<WrkResult[]> => Promise.all(targets.map((t) => runWrk(wrk, `http://127.0.0.1:${t.port}/orders/1`, opts.connections, opts.durationS)))
    await load() // warm-up: every gateway's code is compiled under this load first
    const before = await Promise.all(targets.map((t) => cpuOf(t.child)))
    const runs = await load()
    const after = await Promise.all(targets.map((t) => cpuOf(t.child)))
    await Promise.all(targets.map((t) => stop(t.child)))
    targets.forEach((_, i) => {
      const run = runs[i] as WrkResult
      const b = before[i] as { cpuUs: number; mainUs: number }
      const a = after[i] as { cpuUs: number; mainUs: number }
      cpu[i]?.push((a.cpuUs - b.cpuUs) / Math.max(1, run.total))
      main[i]?.push((a.mainUs - b.mainUs) / Math.max(1, run.total))
      reqs[i]?.push(run.total)
      errors += run.errors
    })
  }
  // Costs are against the first gateway (`off`, unless --variants names another first), round by
  // round (the same seconds, the same load), then the median over rounds.
  const base = names[0] as Variant
  const costVs = (xs: number[][], i: number): number => median((xs[i] ?? []).map((x, r) => x / ((xs[0] ?? [])[r] ?? NaN) - 1))
  const row = (v: Variant, i: number): string => {
    const us = median(cpu[i] ?? [])
    const mainUs = median(main[i] ?? [])
    const cost = i === 0 ? '—' : signedPct(costVs(cpu, i))
    const mainCost = i === 0 || !Number.isFinite(mainUs) ? '—' : signedPct(costVs(main, i))
    const tput = i === 0 ? '—' : signedPct(costVs(reqs, i))
    return `| ${LABELS[v]} | ${us.toFixed(1)} | ${cost} | ${mainUs.toFixed(1)} | ${mainCost} | ${tput} | ${(cpu[i] ?? []).map((x) => x.toFixed(0)).join(', ')} |`
  }
  const lines = [
    `Paired: the ${names.length} gateways loaded at once by wrk (${opts.rounds} rounds of ${opts.durationS}s, fresh gateways warmed up for ${opts.durationS}s before each, ${opts.connections} connections each); costs are medians of each round's ratio to ${base}:`,
    '',
    `| gateway, one proxy route | CPU µs/request (median) | CPU cost vs ${base} | main thread µs/request | main thread cost | requests vs ${base} | CPU µs/request, every round |`,
    '|---|---:|---:|---:|---:|---:|---|',
    ...names.map((v, i) => row(v, i)),
  ]
  if (errors > 0) lines.push(`WARNING: ${errors} failed requests during the paired rounds.`)
  return lines
}

/**
 * The issue's own measure: each gateway alone at full load (wrk when installed, else autocannon),
 * one after another. Two things move throughput as much as the cost measured, and each block of
 * rounds is built against one of them:
 * - A shared machine's speed drifts by ±20 % over tens of seconds. So a block's runs are
 *   **mirrored** — baseline, the others, then the same in reverse (A B C C B A) — and each gateway
 *   gets a ratio to the baseline in that block (the mean of its two runs over the baseline's two):
 *   a drift steady over a block's seconds hits both sides alike.
 * - Two processes of the *same* gateway differ by up to ±7 % for their whole life (where V8 and
 *   the loader happened to place code, what the JIT inlined): one process per variant for a whole
 *   run measures that lottery, not the variant. So every block starts **fresh gateways**, warms
 *   them up, and stops them after.
 * The cost is the median of the blocks' ratios; their spread is printed with it. Gateway CPU per
 * request is the process's (every thread: the span worker's and V8's helpers too) and its main
 * thread's, which is what bounds throughput while the other threads find a free core.
 */
async function sequentialBlocks(
  names: readonly Variant[],
  fresh: (names: readonly Variant[]) => Promise<Array<{ name: Variant; port: number; child: ChildProcess }>>,
  opts: Options,
): Promise<string[]> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon
  const wrk = opts.rate > 0 ? undefined : await findWrk()
  const loadOnce = async (port: number): Promise<{ rps: number; total: number; errors: number }> => {
    const url = `http://127.0.0.1:${port}/orders/1`
    if (wrk !== undefined) return runWrk(wrk, url, opts.connections, opts.durationS)
    const res = await autocannon({ url, connections: opts.connections, duration: opts.durationS, ...(opts.rate > 0 ? { overallRate: opts.rate } : {}) })
    return { rps: res.requests.average, total: res.requests.total, errors: res.errors + res.timeouts + res.non2xx }
  }
  // Per position, as in the paired rounds: the same gateway twice shows the method's own spread.
  const rps: number[][] = names.map(() => [])
  const cpu: number[][] = names.map(() => [])
  const main: number[][] = names.map(() => [])
  // Per block, each gateway against the baseline: req/s, process and main-thread CPU per request.
  const ratios = { rps: names.map((): number[] => []), cpu: names.map((): number[] => []), main: names.map((): number[] => []) }
  let errors = 0
  const mirrored = [...names.keys(), ...[...names.keys()].reverse()]
  for (let b = 0; b < opts.rounds; b++) {
    const targets = await fresh(names)
    for (const t of targets) await loadOnce(t.port) // warm-up: every gateway's code compiled under load first
    const sum = names.map(() => ({ rps: 0, requests: 0, cpuUs: 0, mainUs: 0 }))
    for (const i of mirrored) {
      const t = targets[i] as (typeof targets)[number]
      const before = await cpuOf(t.child)
      const res = await loadOnce(t.port)
      const after = await cpuOf(t.child)
      const s = sum[i] as (typeof sum)[number]
      s.rps += res.rps
      s.requests += res.total
      s.cpuUs += after.cpuUs - before.cpuUs
      s.mainUs += after.mainUs - before.mainUs
      rps[i]?.push(res.rps)
      cpu[i]?.push((after.cpuUs - before.cpuUs) / Math.max(1, res.total))
      main[i]?.push((after.mainUs - before.mainUs) / Math.max(1, res.total))
      errors += res.errors
    }
    const base = sum[0] as (typeof sum)[number]
    sum.forEach((s, i) => {
      ratios.rps[i]?.push(s.rps / base.rps)
      ratios.cpu[i]?.push(s.cpuUs / Math.max(1, s.requests) / (base.cpuUs / Math.max(1, base.requests)))
      ratios.main[i]?.push(s.mainUs / Math.max(1, s.requests) / (base.mainUs / Math.max(1, base.requests)))
    })
    await Promise.all(targets.map((t) => stop(t.child)))
  }
  const base = names[0] as Variant
  const costOf = (i: number): number => 1 - median(ratios.rps[i] ?? [])
  const spread = (i: number): string => {
    const costs = (ratios.rps[i] ?? []).map((r) => 1 - r).sort((a, b) => a - b)
    return `${pct1(costs[0] ?? NaN)} … ${pct1(costs[costs.length - 1] ?? NaN)}`
  }
  const us = (xs: number[][], i: number): string => median(xs[i] ?? []).toFixed(1)
  const vsBase = (xs: number[][], i: number): string => signedPct(median(xs[i] ?? []) - 1)
  const row = (name: Variant, i: number): string =>
    i === 0
      ? `| ${LABELS[name]} | ${median(rps[i] ?? []).toFixed(0)} | — | — | ${us(cpu, i)} | — | ${us(main, i)} | — |`
      : `| ${LABELS[name]} | ${median(rps[i] ?? []).toFixed(0)} | **${pct1(costOf(i))}** | ${spread(i)} | ${us(cpu, i)} | ${vsBase(ratios.cpu, i)} | ${us(main, i)} | ${vsBase(ratios.main, i)} |`
  const last = names.length - 1
  const letters = names.map((_, i) => String.fromCharCode(65 + i))
  const lines = [
    `Sequential: each gateway alone under load by ${wrk !== undefined ? 'wrk' : 'autocannon'}, ${opts.rounds} mirrored blocks (${[...letters, ...letters.reverse()].join(' ')}) of ${opts.durationS}s runs, fresh gateways in every block, ${opts.connections} connections${opts.rate > 0 ? `, ${opts.rate} req/s offered` : ''}:`,
    '',
    `| gateway, one proxy route | req/s (median of runs) | throughput cost vs ${base} (median of blocks) | cost, block by block (lowest … highest) | gateway CPU µs/request (median of runs) | CPU cost (median of blocks) | main thread µs/request | main thread cost (median of blocks) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...names.map(row),
    '',
    `Cost of ${LABELS[names[last] as Variant]}: ${pct1(costOf(last))} throughput against ${LABELS[base]} (goal ≤ 10 %).`,
  ]
  if (errors > 0) lines.push(`WARNING: ${errors} failed requests during the measured runs.`)
  return lines
}

/** A signed whole number: `+795`, `-40`. */
const signedInt = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(0)}`

/** A fraction as a percentage with one decimal: `8.6%`. */
const pct1 = (r: number): string => `${(r * 100).toFixed(1)}%`

const WARM_REQUESTS = 10_000
const COUNTED_REQUESTS = 5_000

/**
 * Instructions per request, counted by valgrind's callgrind: a count of what the CPU executed,
 * not of time, so what else the machine is doing does not move it (off counted twice in one run
 * agreed within 0.6 %). Each gateway runs under callgrind (~50× slower), two at a time; one continuous
 * load of 10 connections (autocannon) warms it up for 10,000 requests, then the counters are
 * zeroed, and dumped 5,000 requests later — within the same load, because ending a load and
 * starting another closes connections, and the deoptimisations and recompilation that follow
 * would land in the counted window. The main thread is reported apart from the other threads
 * (the span worker, V8's compiler and GC helpers).
 *
 * What it cannot see: cache misses and the like (an instruction is an instruction), and under
 * valgrind's slowness anything driven by a clock is out of proportion — spans reach the worker
 * in batches of a few instead of dozens, exports carry a fraction of their usual spans — so the
 * span worker's count is an upper bound. Needs valgrind (Debian package `valgrind`).
 */
async function instructionCounts(names: readonly Variant[], upstreamUrl: string, collectorUrl: string): Promise<string[]> {
  const valgrind = await which('valgrind')
  const control = await which('callgrind_control')
  if (valgrind === undefined || control === undefined) return ['--instructions needs valgrind (apt install valgrind).']
  const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => EventEmitter & PromiseLike<AutocannonResult>
  const dir = await mkdtemp(join(tmpdir(), 'sb-bench-callgrind-'))
  const count = async (variant: Variant): Promise<{ main: number; other: number; functions: Map<string, number> }> => {
    // V8 grows its young generation by the allocation rate it measures per millisecond; at
    // valgrind's speed it would stay small and collect several times as often as it does at
    // full speed (16 MB semi-spaces under this load), a fixed cost per collection that varies
    // from process to process. Start it at the size it reaches natively.
    // --perf-basic-prof: V8 lists the code it compiles in /tmp/perf-<pid>.map, which names the
    // JavaScript callgrind only sees as addresses (bench/callgrind.ts).
    const node = [process.execPath, '--min-semi-space-size=16', '--perf-basic-prof', ...(serverEntry.endsWith('.ts') ? ['--import', 'tsx'] : [])]
    const execArgv = ['-q', '--tool=callgrind', `--callgrind-out-file=${join(dir, 'cg.%p')}`, '--separate-threads=yes', ...node]
    // Run in the output directory: V8 writes its own logs (`isolate-*-v8.log`) into the working directory.
    const child = fork(serverEntry, ['--serve', 'gateway', variant, upstreamUrl, collectorUrl], { cwd: dir, execPath: valgrind, execArgv, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    try {
      const [{ port }] = (await once(child, 'message')) as [{ port: number }]
      const pid = String(child.pid)
      let responses = 0
      let zeroed = false
      let dumped = false
      const run = autocannon({ url: `http://127.0.0.1:${port}/orders/1`, connections: 10, amount: WARM_REQUESTS + COUNTED_REQUESTS + 500 })
      run.on('response', () => {
        responses++
        if (!zeroed && responses === WARM_REQUESTS) {
          zeroed = true
          execFileSync(control, ['-z', pid], { stdio: 'ignore' })
        } else if (!dumped && responses === WARM_REQUESTS + COUNTED_REQUESTS) {
          dumped = true
          execFileSync(control, ['-d', pid], { stdio: 'ignore' })
        }
      })
      await run
      // callgrind writes one file per thread for the dump: <out>.1-01 is the main thread.
      let main = 0
      let other = 0
      for (const f of await readdir(dir)) {
        const m = new RegExp(`^cg\\.${pid}\\.1-(\\d+)$`).exec(f)
        if (m === null) continue
        const total = Number(/^totals: (\d+)/m.exec(await readFile(join(dir, f), 'utf8'))?.[1] ?? 0)
        if (m[1] === '01') main += total
        else other += total
      }
      if (main === 0) throw new Error(`callgrind wrote no counts for ${variant} (did the load fail?)`)
      const perfMap = `/tmp/perf-${pid}.map`
      const functions = await selfCosts(join(dir, `cg.${pid}.1-01`), await perfMapNames(perfMap))
      // Kept with callgrind's files, so the JavaScript in them can be named again later.
      await rename(perfMap, join(dir, `perf-${pid}.map`)).catch(() => rm(perfMap, { force: true }))
      for (const [fn, ir] of functions) functions.set(fn, ir / COUNTED_REQUESTS)
      return { main: main / COUNTED_REQUESTS, other: other / COUNTED_REQUESTS, functions }
    } finally {
      child.kill('SIGKILL')
    }
  }
  const results: Array<{ main: number; other: number; functions: Map<string, number> }> = []
  // Two at a time: valgrind runs each process's threads one at a time, on one core.
  for (let i = 0; i < names.length; i += 2) results.push(...(await Promise.all(names.slice(i, i + 2).map(count))))
  const base = results[0] as (typeof results)[number]
  const last = results[results.length - 1] as (typeof results)[number]
  const k = (n: number): string => `${(n / 1000).toFixed(1)}k`
  // Where the last gateway's extra main-thread instructions go: self instructions per function.
  const fns = [...new Set([...base.functions.keys(), ...last.functions.keys()])]
  const delta = (fn: string): number => (last.functions.get(fn) ?? 0) - (base.functions.get(fn) ?? 0)
  const top = fns.sort((a, b) => delta(b) - delta(a)).slice(0, 15)
  // Every function's count per gateway, for a closer look than the top of the table.
  const rows = [...new Set(results.flatMap((r) => [...r.functions.keys()]))].map((fn) => [fn, ...results.map((r) => (r.functions.get(fn) ?? 0).toFixed(1))].join('\t'))
  await writeFile(join(dir, 'functions.tsv'), [['function', ...names].join('\t'), ...rows].join('\n') + '\n')
  const shorten = (fn: string): string => fn.replace(/file:\/\/\S*\/(src|node_modules)\//, '$1/').replace(/\(v8::internal::.*$/, '(…)').replace(/\|/g, '\\|')
  return [
    `Instructions per request under callgrind (${COUNTED_REQUESTS.toLocaleString('en')} requests counted after ${WARM_REQUESTS.toLocaleString('en')}, one continuous load of 10 connections):`,
    '',
    `| gateway, one proxy route | main thread | vs ${names[0] as Variant} | other threads (span worker, V8 helpers) | whole process | vs ${names[0] as Variant} |`,
    '|---|---:|---:|---:|---:|---:|',
    ...names.map((v, i) => {
      const r = results[i] as { main: number; other: number }
      const cost = (x: number, b: number): string => (i === 0 ? '—' : signedPct(x / b - 1))
      return `| ${LABELS[v]} | ${k(r.main)} | ${cost(r.main, base.main)} | ${k(r.other)} | ${k(r.main + r.other)} | ${cost(r.main + r.other, base.main + base.other)} |`
    }),
    '',
    `Main thread, ${LABELS[names[names.length - 1] as Variant]} against ${LABELS[names[0] as Variant]}: the functions whose own instructions per request grew most (\`JS\` = compiled JavaScript, named from V8's perf map):`,
    '',
    `| function | ${names[0] as Variant} | ${names[names.length - 1] as Variant} | difference |`,
    '|---|---:|---:|---:|',
    ...top.map((fn) => `| ${shorten(fn)} | ${(base.functions.get(fn) ?? 0).toFixed(0)} | ${(last.functions.get(fn) ?? 0).toFixed(0)} | ${signedInt(delta(fn))} |`),
    '',
    `callgrind's files (one per thread; \`callgrind_annotate <file>\` lists functions), V8's perf maps and every function's instructions per request by gateway (functions.tsv) are kept in ${dir}.`,
  ]
}

/** Pins every thread of process `pid` to `cpus` (`taskset -a -p -c`, util-linux). */
async function pinTo(pid: number | undefined, cpus: string): Promise<void> {
  if (pid === undefined) return
  await promisify(execFile)('taskset', ['-a', '-p', '-c', cpus, String(pid)])
}

/**
 * Pins process `pid`'s main thread alone to `main` and its other threads to `others` (Linux: the
 * main thread's id is the process id; without `-a`, taskset sets one thread). The gateway has
 * started every thread it runs (V8's helpers, the span worker) before it reports its port.
 */
async function pinMainThread(pid: number | undefined, main: string, others: string): Promise<void> {
  if (pid === undefined) return
  await pinTo(pid, others)
  await promisify(execFile)('taskset', ['-p', '-c', main, String(pid)])
}

async function endToEnd(opts: Options): Promise<string[]> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon
  const children: ChildProcess[] = []
  try {
    const up = await start(['upstream'])
    children.push(up.child)
    const collector = await start(['collector'])
    children.push(collector.child)
    // Counted before this process is pinned: afterwards it would see only the CPU it is pinned to.
    const cpus = availableParallelism()
    const last = String(cpus - 1)
    const own = `0-${Math.max(0, cpus - 2)}`
    if (opts.pin || opts.pinMain) {
      // Everything but the gateways on the last CPU (wrk, started later, inherits this process's).
      for (const pid of [process.pid, up.child.pid, collector.child.pid]) await pinTo(pid, last)
    }
    const upstreamUrl = `http://127.0.0.1:${up.port}`
    const collectorUrl = `http://127.0.0.1:${collector.port}`
    const gateways = async (names: readonly Variant[]): Promise<Array<{ name: Variant; port: number; child: ChildProcess }>> => {
      const out = []
      for (const name of names) {
        const g = await start(['gateway', name, upstreamUrl, collectorUrl])
        // Every thread of a pinned gateway — its span worker and V8's helpers too — on the others.
        if (opts.pin) await pinTo(g.child.pid, own)
        // Or only its main thread: its span worker and V8's helpers find CPU time beside the load,
        // as on a machine with a core to spare for them.
        else if (opts.pinMain) await pinMainThread(g.child.pid, own, last)
        children.push(g.child)
        out.push({ name, port: g.port, child: g.child })
      }
      return out
    }
    if (opts.breakdown) {
      // Each step on its own gateway, all loaded at once: where the cost comes from.
      const steps = opts.variants ?? ['off', 'metrics-core', 'metrics-only', 'metrics', 'tracing-unsampled', 'tracing']
      const lines = await pairedRounds(steps, gateways, opts)
      return lines.length > 0 ? lines : ['--breakdown needs wrk (apt install wrk).']
    }
    // The first is the baseline of every comparison; the last is the one the goal is about.
    const names = opts.variants ?? ['off', 'metrics', 'tracing']
    if (opts.sequential) return await sequentialBlocks(names, gateways, opts)
    if (opts.instructions) return await instructionCounts(names, upstreamUrl, collectorUrl)
    const paired = opts.rate === 0 ? await pairedRounds(names, gateways, opts) : []
    const lines = await sequentialBlocks(names, gateways, opts)
    if (opts.timeHandlers) {
      const [t] = await gateways(['tracing-timed'])
      if (t === undefined) throw new Error('no timed gateway')
      const url = `http://127.0.0.1:${t.port}/orders/1`
      await autocannon({ url, connections: opts.connections, duration: 1 })
      await autocannon({ url, connections: opts.connections, duration: opts.durationS * 2 })
      const reply = once(t.child, 'message') as Promise<[{ timed: HandlerTimes }]>
      t.child.send('timed')
      const { timed } = (await reply)[0]
      lines.push(
        '',
        `Tracer handlers in place (one gateway, 10 %, ${timed.requests} requests, ${timed.sampled} sampled): start ${timed.startNs.toFixed(0)} ns/request, asyncEnd ${timed.endNs.toFixed(0)} ns/request (timer calls included).`,
      )
    }
    const wrk = await findWrk()
    const load = (url: string, seconds: number): Promise<unknown> =>
      wrk !== undefined ? runWrk(wrk, url, opts.connections, seconds) : autocannon({ url, connections: opts.connections, duration: seconds })
    const profiled = await profiledShares(await gateways(names), opts, load)
    return [...paired, ...(paired.length > 0 ? [''] : []), ...lines, '', ...profiled]
  } finally {
    await Promise.all(children.map((c) => stop(c)))
  }
}

export async function run(args: string[]): Promise<void> {
  const opts = parseArgs(args)
  if (!args.includes('--tsx')) serverEntry = await compileForBench('switchboard-bench-observe', 'bench/observe.ts')
  console.log(['## Observability overhead', '', ...microBench(), '', ...(await endToEnd(opts))].join('\n'))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [flag, role = '', a = '', b = '', c = ''] = process.argv.slice(2)
  const serve = (): Promise<void> => (role === 'upstream' ? upstreamProcess() : role === 'collector' ? collectorProcess() : gatewayProcess(a as Variant, b, c))
  const main = flag === '--serve' ? serve() : run(process.argv.slice(2))
  main.catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
