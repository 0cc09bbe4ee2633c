/**
 * The processes of the gateway benchmark, one per server so the load generator never shares an
 * event loop with what it measures. Started by bench/gateway.ts with `fork()`; each reports
 * `{ ready, port, … }` over IPC and answers `{ cmd: 'rss' }` with its resident set size.
 *
 *   upstream            plain node:http answering a small JSON (and /jwks.json for the JWT case)
 *   fastify-proxy       fastify + @fastify/http-proxy in front of the upstream (the baseline)
 *   sb-plain            Switchboard: one plain proxy route
 *   sb-apikey           Switchboard: API key + rate limit + metrics subscriber (prom-client)
 *   sb-jwt              Switchboard: JWT verified against a cached JWKS
 *   sb-1000             Switchboard: 1,000 routes loaded (for RSS), plus the plain route
 */
import diagnostics from 'node:diagnostics_channel'
import { createServer, type IncomingMessage } from 'node:http'
import { performance } from 'node:perf_hooks'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RawConfig } from '../src/config/spec/root.js'
import { createApiKey } from '../src/gateway/auth/keys.js'
import { createGateway } from '../src/gateway/index.js'
import { installMetrics } from '../src/observe/index.js'
import { openStore } from '../src/store/open.js'
import { Systems } from '../src/systems/index.js'

const UPSTREAM_BODY = JSON.stringify({ id: 'o1', status: 'paid', total: 1250, currency: 'EUR' })

function send(message: Record<string, unknown>): void {
  process.send?.(message)
}

// A clean exit (not death by signal) lets --cpu-prof write its profile.
process.on('SIGINT', () => process.exit(0))
let profiler: Session | undefined
async function profile(cmd: string, file: string | undefined): Promise<void> {
  if (cmd === 'profile-start') {
    profiler = new Session()
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.start')
  } else if (profiler) {
    const { profile: result } = await profiler.post('Profiler.stop')
    await writeFile(file ?? `profiles/${process.pid}.cpuprofile`, JSON.stringify(result))
    profiler.disconnect()
    profiler = undefined
  }
  send({ profiled: cmd })
}

/**
 * The time the gateway itself spends on each request, from inside its process: from the parsed
 * request head to the upstream call being made, plus from the upstream's response head to the
 * answer finished — the upstream's own time and the network are left out, and so is anything
 * that delays the load generator. Requests are matched by the X-Request-Id the load generator
 * sends (the gateway forwards it upstream). Only Node's and undici's diagnostics channels are
 * used, and only while measuring.
 */
const overhead = (() => {
  interface Timing {
    start: number
    sent: number
    head: number
  }
  const open = new Map<string, Timing>()
  const samples: number[] = []
  const idOf = (headers: unknown): string | undefined => {
    if (!Array.isArray(headers)) return undefined
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'x-request-id') return String(headers[i + 1])
    return undefined
  }
  const onStart = (m: unknown): void => {
    const id = (m as { request: IncomingMessage }).request.headers['x-request-id']
    if (typeof id === 'string') open.set(id, { start: performance.now(), sent: 0, head: 0 })
  }
  const onCreate = (m: unknown): void => {
    const t = open.get(idOf((m as { request: { headers: unknown } }).request.headers) ?? '')
    if (t) t.sent = performance.now()
  }
  const onHeaders = (m: unknown): void => {
    const t = open.get(idOf((m as { request: { headers: unknown } }).request.headers) ?? '')
    if (t) t.head = performance.now()
  }
  const onFinish = (m: unknown): void => {
    const id = (m as { request: IncomingMessage }).request.headers['x-request-id']
    const t = typeof id === 'string' ? open.get(id) : undefined
    if (t === undefined || t.sent === 0 || t.head === 0) return
    open.delete(id as string)
    samples.push(t.sent - t.start + (performance.now() - t.head))
  }
  const channels: Array<[string, (m: unknown) => void]> = [
    ['http.server.request.start', onStart],
    ['undici:request:create', onCreate],
    ['undici:request:headers', onHeaders],
    ['http.server.response.finish', onFinish],
  ]
  return {
    start(): void {
      open.clear()
      samples.length = 0
      for (const [name, fn] of channels) diagnostics.subscribe(name, fn)
    },
    stop(): { n: number; p50: number; p99: number } {
      for (const [name, fn] of channels) diagnostics.unsubscribe(name, fn)
      const sorted = samples.sort((a, b) => a - b)
      const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
      return { n: sorted.length, p50: at(0.5), p99: at(0.99) }
    },
  }
})()

process.on('message', (m: { cmd?: string; file?: string }) => {
  if (m.cmd === 'overhead-start') {
    overhead.start()
    send({ overhead: 'started' })
  }
  if (m.cmd === 'overhead-stop') send({ overhead: overhead.stop() })
  if (m.cmd === 'profile-start' || m.cmd === 'profile-stop') void profile(m.cmd, m.file)
  if (m.cmd === 'rss') send({ rss: process.memoryUsage().rss })
  if (m.cmd === 'cpu') {
    const { user, system } = process.cpuUsage()
    send({ cpuUs: user + system })
  }
  if (m.cmd === 'exit') process.exit(0)
})

async function upstream(): Promise<void> {
  const jwks = process.env.BENCH_JWKS ?? '{"keys":[]}'
  const server = createServer((req, res) => {
    if (req.url === '/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(jwks) })
      res.end(jwks)
      return
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(UPSTREAM_BODY) })
    res.end(UPSTREAM_BODY)
  })
  server.keepAliveTimeout = 72_000
  server.listen(0, '127.0.0.1', () => send({ ready: true, port: (server.address() as AddressInfo).port }))
}

async function fastifyProxy(upstreamUrl: string): Promise<void> {
  const { default: Fastify } = await import('fastify')
  const { default: proxy } = await import('@fastify/http-proxy')
  const app = Fastify({ logger: false })
  await app.register(proxy, { upstream: upstreamUrl, prefix: '/' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  send({ ready: true, port: (app.server.address() as AddressInfo).port })
}

function switchboardConfig(variant: string, upstreamUrl: string): Partial<RawConfig> {
  const plain = { id: 'get-order', get: '/orders/:id', proxy: { system: 'erp', path: '/orders/:id' } }
  if (variant === 'sb-apikey') {
    return {
      consumers: { bench: { scopes: ['orders:read'] } },
      routes: [{ ...plain, auth: 'apiKey', scopes: ['orders:read'], rateLimit: { perSecond: 10_000_000 } }],
    }
  }
  if (variant === 'sb-jwt') {
    return {
      routes: [{ ...plain, auth: { jwt: { jwksUrl: `${upstreamUrl}/jwks.json`, issuer: 'bench', audience: 'gateway', algorithms: ['ES256'] } } }],
    }
  }
  if (variant === 'sb-1000') {
    const many = Array.from({ length: 1000 }, (_, i) => ({ id: `svc-${i}`, get: `/svc${i}/items/:id`, proxy: { system: 'erp', path: '/items/:id' } }))
    return { routes: [plain, ...many] }
  }
  return { routes: [plain] }
}

async function switchboard(variant: string, upstreamUrl: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-bench-'))
  const store = await openStore(`sqlite:${join(dir, 'bench.db')}`)
  await store.migrate()
  const systemsConfig = { erp: { baseUrl: upstreamUrl } }
  const config = { version: 1, systems: systemsConfig, ...switchboardConfig(variant, upstreamUrl) } as RawConfig
  const systems = Systems.fromConfig(systemsConfig)
  if (variant === 'sb-apikey') installMetrics({ defaultMetrics: false })
  const gateway = await createGateway({ config, configDir: dir, systems, store })
  let apiKey: string | undefined
  if (variant === 'sb-apikey') {
    await store.consumers.upsert({ name: 'bench', source: 'config', scopes: ['orders:read'] })
    apiKey = (await createApiKey(store, 'bench')).key
  }
  const { port } = await gateway.listen(0)
  send({ ready: true, port, apiKey })
}

const [mode = '', upstreamUrl = ''] = process.argv.slice(2)
if (mode === 'upstream') await upstream()
else if (mode === 'fastify-proxy') await fastifyProxy(upstreamUrl)
else await switchboard(mode, upstreamUrl)
