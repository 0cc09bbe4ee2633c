/**
 * Real loopback HTTP servers for the systems tests: they record what they received and count
 * the TCP connections they accepted (to prove keep-alive reuse).
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface Received {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export interface TestServer {
  url: string
  port: number
  server: Server
  /** Every request received, in order. */
  received: Received[]
  /** TCP connections accepted so far. */
  connections: number
  close(): Promise<void>
}

export type Handler = (req: Received, res: ServerResponse) => unknown

export async function startServer(handler: Handler = (_req, res) => res.end('ok')): Promise<TestServer> {
  const sockets = new Set<Socket>()
  const state: TestServer = {
    url: '',
    port: 0,
    server: undefined as unknown as Server,
    received: [],
    connections: 0,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const received: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      state.received.push(received)
      Promise.resolve(handler(received, res)).catch((err: unknown) => {
        res.statusCode = 599
        res.end(String(err))
      })
    })
  })
  server.on('connection', (s: Socket) => {
    state.connections++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  state.server = server
  state.port = (server.address() as AddressInfo).port
  state.url = `http://127.0.0.1:${state.port}`
  return state
}

/** A loopback port with nothing listening (connections are refused). */
export async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Answers with a JSON body. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}
