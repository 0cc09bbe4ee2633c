/**
 * Observability overhead: `npm run bench -- observe [--duration 3] [--rounds 3] [--connections 50]`,
 * or directly `npx tsx bench/observe.ts …`.
 *
 * 1. Per-message cost of the subscribers, in process: a gateway-request message published with
 *    nobody listening, with the metrics registry, and with metrics + the health tracker; and
 *    the span helpers with the API's no-op tracer (no SDK registered).
 * 2. Gateway throughput, same run: one plain proxy route, observability off (nobody subscribed:
 *    the gateway does not even read the clock) vs on (metrics with process metrics + health
 *    tracker). Each gateway and the upstream run in their own process; rounds are interleaved so
 *    drift on a shared machine hits both alike; medians are reported.
 *
 * The goal is ≤ 10% throughput cost with tracing sampled at 10%. Spans are measured here
 * only as helpers (no SDK/exporter is installed yet, and the gateway does not start spans yet):
 * the end-to-end figure covers metrics + health.
 */
import { fork, type ChildProcess } from 'node:child_process'
import diagnostics from 'node:diagnostics_channel'
import { once } from 'node:events'
import { mkdtemp } from 'node:fs/promises'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { RawConfig } from '../src/config/spec/root.js'
import { GATEWAY_REQUEST_CHANNEL } from '../src/observe/channels.js'
import { HealthTracker } from '../src/observe/health.js'
import { installMetrics } from '../src/observe/metrics.js'
import { endGatewaySpan, startGatewaySpan } from '../src/observe/tracing.js'

interface AutocannonResult {
  requests: { average: number }
  errors: number
  timeouts: number
  non2xx: number
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>

interface Options {
  durationS: number
  rounds: number
  connections: number
}

function parseArgs(args: string[]): Options {
  const get = (name: string, fallback: number): number => {
    const i = args.indexOf(`--${name}`)
    const v = i === -1 ? undefined : Number(args[i + 1])
    return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback
  }
  return { durationS: get('duration', 3), rounds: get('rounds', 3), connections: get('connections', 50) }
}

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
  const headers = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }
  const span = nsPerOp(() => {
    const s = startGatewaySpan({ route: 'get-order', method: 'GET', requestId: 'r', headers })
    endGatewaySpan(s.span, 200)
  }, 100_000)
  return [
    '| per gateway request | ns |',
    '|---|---:|',
    `| message, no subscriber | ${none.toFixed(0)} |`,
    `| message → metrics | ${withMetrics.toFixed(0)} |`,
    `| message → metrics + health | ${withBoth.toFixed(0)} |`,
    `| gateway span start/end, no SDK (continuing a traceparent) | ${span.toFixed(0)} |`,
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

async function gatewayProcess(observe: boolean, upstreamUrl: string): Promise<void> {
  const { openStore } = await import('../src/store/open.js')
  const { Systems } = await import('../src/systems/index.js')
  const { createGateway } = await import('../src/gateway/index.js')
  const dir = await mkdtemp(join(tmpdir(), 'sb-bench-observe-'))
  const store = await openStore(`sqlite:${join(dir, 'bench.db')}`)
  await store.migrate()
  const systemsConfig = { erp: { baseUrl: upstreamUrl } }
  const config = { version: 1, systems: systemsConfig, routes: [{ id: 'get-order', get: '/orders/:id', proxy: { system: 'erp', path: '/orders/:id' } }] } as RawConfig
  if (observe) {
    installMetrics({ known: { routes: ['get-order'], systems: ['erp'] } })
    new HealthTracker({ known: { routes: ['get-order'], systems: ['erp'] } }).subscribe()
  }
  const gateway = await createGateway({ config, configDir: dir, systems: Systems.fromConfig(systemsConfig), store })
  const { port } = await gateway.listen(0)
  process.send?.({ port })
}

const SELF = fileURLToPath(import.meta.url)

async function start(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(SELF, ['--serve', ...args], { execArgv: ['--import', 'tsx'], env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
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

async function endToEnd(opts: Options): Promise<string[]> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon
  const children: ChildProcess[] = []
  try {
    const up = await start(['upstream'])
    children.push(up.child)
    const upstreamUrl = `http://127.0.0.1:${up.port}`
    const targets: Array<{ name: string; port: number }> = []
    for (const name of ['off', 'on']) {
      const g = await start(['gateway', name, upstreamUrl])
      children.push(g.child)
      targets.push({ name, port: g.port })
    }
    const results = new Map<string, number[]>(targets.map((t) => [t.name, []]))
    let errors = 0
    for (const t of targets) await autocannon({ url: `http://127.0.0.1:${t.port}/orders/1`, connections: opts.connections, duration: 1 })
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? targets : [...targets].reverse()
      for (const t of order) {
        const res = await autocannon({ url: `http://127.0.0.1:${t.port}/orders/1`, connections: opts.connections, duration: opts.durationS })
        results.get(t.name)?.push(res.requests.average)
        errors += res.errors + res.timeouts + res.non2xx
      }
    }
    const off = median(results.get('off') ?? [])
    const on = median(results.get('on') ?? [])
    const lines = [
      '| gateway, one proxy route | req/s (median) |',
      '|---|---:|',
      `| observability off | ${off.toFixed(0)} |`,
      `| metrics + health on | ${on.toFixed(0)} |`,
      '',
      `Throughput cost of metrics + health: ${(((off - on) / off) * 100).toFixed(1)}% (goal ≤ 10%, ${opts.rounds} interleaved rounds of ${opts.durationS}s, ${opts.connections} connections).`,
    ]
    if (errors > 0) lines.push(`WARNING: ${errors} failed requests during the measured runs.`)
    return lines
  } finally {
    await Promise.all(children.map((c) => stop(c)))
  }
}

export async function run(args: string[]): Promise<void> {
  const opts = parseArgs(args)
  console.log(['## Observability overhead', '', ...microBench(), '', ...(await endToEnd(opts))].join('\n'))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [flag, role = '', a = '', b = ''] = process.argv.slice(2)
  const main = flag === '--serve' ? (role === 'upstream' ? upstreamProcess() : gatewayProcess(a === 'on', b)) : run(process.argv.slice(2))
  main.catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
