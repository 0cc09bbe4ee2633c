/**
 * Gateway test fixtures: a real loopback upstream that records (and counts) what reached it, a
 * gateway built from an inline config on a temporary SQLite store, and a raw-socket client for
 * input a well-behaved HTTP client refuses to send.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock, type Clock } from '../../src/core/clock.js'
import type { RawConfig } from '../../src/config/spec/root.js'
import { createGateway, type Gateway, type GatewayDeps } from '../../src/gateway/index.js'
import type { EventPublisher, PublishRequest, PublishResult } from '../../src/gateway/publish.js'
import type { Store } from '../../src/store/contract.js'
import { openStore } from '../../src/store/open.js'
import { Systems } from '../../src/systems/index.js'

export interface Hit {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: Buffer
}

export type UpstreamHandler = (hit: Hit, res: ServerResponse) => void

export interface Upstream {
  url: string
  hits: Hit[]
  close(): Promise<void>
}

/** Answers `{"ok":true,"url":…}` unless a handler says otherwise. */
export async function startUpstream(handler?: UpstreamHandler): Promise<Upstream> {
  const hits: Hit[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const hit: Hit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) }
      hits.push(hit)
      if (handler) return handler(hit, res)
      const body = JSON.stringify({ ok: true, url: hit.url })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A publisher that records events; `fail` makes the next calls reject. */
export class RecordingPublisher implements EventPublisher {
  readonly events: PublishRequest[] = []
  fail: Error | undefined
  readonly #seen = new Set<string>()
  async publish(e: PublishRequest): Promise<PublishResult> {
    if (this.fail) throw this.fail
    this.events.push(e)
    const id = e.id ?? `generated-${this.events.length}`
    const duplicate = this.#seen.has(id)
    this.#seen.add(id)
    return { id, duplicate }
  }
}

export interface TestGateway {
  gateway: Gateway
  store: Store
  systems: Systems
  clock: Clock
  dir: string
  close(): Promise<void>
}

export interface GatewayFixtureOptions {
  /** System name → base URL. */
  systems?: Record<string, string | Record<string, unknown>>
  publisher?: EventPublisher
  clock?: Clock
  /** Reuse a store directory (restart tests). */
  dir?: string
  configDir?: string
  extra?: Partial<GatewayDeps>
}

/** A gateway over `config` (routes, consumers…) with the given systems, on a fresh SQLite store. */
export async function gatewayFor(config: Partial<RawConfig>, options: GatewayFixtureOptions = {}): Promise<TestGateway> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sb-gw-')))
  const ownDir = options.dir === undefined
  const store = await openStore(`sqlite:${join(dir, 'store.db')}`)
  await store.migrate()
  const systemsConfig = Object.fromEntries(
    Object.entries(options.systems ?? {}).map(([name, v]) => [name, typeof v === 'string' ? { baseUrl: v } : v]),
  ) as RawConfig['systems']
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 0, 15, 12))
  const full = { version: 1, ...config, systems: { ...systemsConfig, ...(config.systems ?? {}) } } as RawConfig
  const systems = Systems.fromConfig(full.systems ?? {}, { clock })
  let gateway: Gateway
  try {
    gateway = await createGateway({
      config: full,
      configDir: options.configDir ?? dir,
      systems,
      store,
      clock,
      ...(options.publisher ? { publisher: options.publisher } : {}),
      ...options.extra,
    })
  } catch (err) {
    await systems.close()
    await store.close()
    if (ownDir) await rm(dir, { recursive: true, force: true })
    throw err
  }
  return {
    gateway,
    store,
    systems,
    clock,
    dir,
    close: async () => {
      await gateway.close()
      await systems.close()
      await store.close()
      if (ownDir) await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Writes `data` on a raw TCP connection and resolves with everything received until close. */
export function rawRequest(port: number, data: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let received = ''
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(received)
    }, timeoutMs)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (received += chunk))
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve(received)
      else reject(err)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(received)
    })
    socket.on('connect', () => socket.write(data))
  })
}

/** Status, headers (lower-case) and JSON body of the first response in a raw answer. */
export function parseRaw(raw: string): { status: number; headers: Record<string, string>; body: Record<string, unknown> | undefined } {
  const split = raw.indexOf('\r\n\r\n')
  const head = split === -1 ? raw : raw.slice(0, split)
  const rest = split === -1 ? '' : raw.slice(split + 4)
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers: Record<string, string> = {}
  for (const l of lines) {
    const i = l.indexOf(':')
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim()
  }
  const length = Number(headers['content-length'] ?? rest.length)
  let body: Record<string, unknown> | undefined
  try {
    body = JSON.parse(rest.slice(0, length)) as Record<string, unknown>
  } catch {
    body = undefined
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]), headers, body }
}

/** Port of a listening gateway. */
export async function listen(gateway: Gateway): Promise<number> {
  const addr = await gateway.listen(0)
  return addr.port
}
