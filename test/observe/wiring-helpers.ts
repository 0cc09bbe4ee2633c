/**
 * Loopback stand-ins for the wiring tests: an upstream system that fails on demand, and an
 * alert channel receiver that records what it is sent. Plus a bounded wait (a deadline keeps a
 * test from hanging; no test asserts how long anything took).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function shut(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
}

export interface FlakySystem {
  url: string
  /** While true every request gets a 500. */
  failing: boolean
  requests: number
  close(): Promise<void>
}

export async function flakySystem(): Promise<FlakySystem> {
  const state = { failing: false, requests: 0 }
  const server = createServer((req, res) => {
    state.requests++
    req.resume()
    res.setHeader('content-type', 'application/json')
    if (state.failing) {
      res.statusCode = 500
      res.end('{"error":"down"}')
    } else res.end(JSON.stringify({ id: req.url?.split('/').pop() ?? null }))
  })
  const url = await listen(server)
  return Object.assign(state, { url, close: () => shut(server) })
}

export interface Received {
  path: string
  headers: IncomingHttpHeaders
  /** The raw body (signatures are over these bytes). */
  text: string
  body: { type: string; data: { id: string; key: string; status: string; alert: string; summary: string } }
  /** What the receiver answered. */
  answered: number
}

export interface Receiver {
  url: string
  /** Every request, whatever it was answered. */
  received: Received[]
  /** The requests answered 2xx: the notifications the channel took. */
  accepted(): Received[]
  /** Status answered to the next requests (default 204). */
  status: number
  /** Stop listening: connections to the channel are refused until {@link Receiver.up}. */
  down(): Promise<void>
  /** Listen again, on the same port. */
  up(): Promise<void>
  close(): Promise<void>
}

/** An alert channel: records every POST (JSON, or text when it is not JSON) and answers `status`. */
export async function receiver(): Promise<Receiver> {
  const received: Received[] = []
  const state = { status: 204 }
  const server = createServer((req, res) => {
    let text = ''
    req.on('data', (c: Buffer) => (text += c.toString()))
    req.on('end', () => {
      let body: Received['body']
      try {
        body = JSON.parse(text) as Received['body']
      } catch {
        body = text as unknown as Received['body']
      }
      received.push({ path: req.url ?? '', headers: req.headers, text, body, answered: state.status })
      res.statusCode = state.status
      res.end()
    })
  })
  const url = await listen(server)
  const port = Number(new URL(url).port)
  return Object.assign(state, {
    url,
    received,
    accepted: () => received.filter((r) => r.answered >= 200 && r.answered < 300),
    down: () => shut(server),
    up: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: async () => {
      if (server.listening) await shut(server)
    },
  })
}

/** Polls `check` until it returns a value other than undefined/false; fails after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await sleep(50)
  }
}

/**
 * The head of a hub config shared by the failure drills: the admin token, fast health and alert
 * loops, and one `flaky` system (a tripping breaker) behind a proxy route. Tests append their
 * `channels:` and `alerts:`.
 */
export function flakyHubConfig(o: { store: string; token: string; flaky: string; alerts?: string }): string {
  return `
version: 1
store: ${o.store}
listen: { admin: 0, gateway: 0 }
admin: { token: "${o.token}" }
observe:
  health: { window: 2s }
  alerts: ${o.alerts ?? '{ interval: 100ms, startDelay: 0s }'}
systems:
  flaky:
    baseUrl: ${o.flaky}
    timeout: 2s
    circuitBreaker: { failureRate: 0.5, minRequests: 4, window: 10s, cooldown: 300ms }
routes:
  - { id: get-thing, get: /things/:id, proxy: { system: flaky, path: /things/:id } }
`
}
