/** A loopback HTTP target for delivery tests: records every request and answers as told. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SinkRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

export interface SinkAnswer {
  status: number
  headers?: Record<string, string>
  body?: string
  /** Hold the answer this long (ms). */
  delayMs?: number
}

export type SinkHandler = (req: SinkRequest, index: number) => SinkAnswer | Promise<SinkAnswer>

export interface Sink {
  url: string
  requests: SinkRequest[]
  /** Status answered to each request (same index; undefined while pending). */
  answers: number[]
  /** Most requests in progress at once so far. */
  maxConcurrent: number
  handler: SinkHandler
  close(): Promise<void>
}

export async function startSink(handler: SinkHandler = () => ({ status: 200 })): Promise<Sink> {
  let current = 0
  const sink: Sink = { url: '', requests: [], answers: [], maxConcurrent: 0, handler, close: async () => undefined }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r: SinkRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      const index = sink.requests.push(r) - 1
      current++
      sink.maxConcurrent = Math.max(sink.maxConcurrent, current)
      void Promise.resolve(sink.handler(r, index)).then(async (a) => {
        if (a.delayMs) await new Promise((resolve) => setTimeout(resolve, a.delayMs).unref())
        current--
        if (res.destroyed) return
        sink.answers[index] = a.status
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers })
        res.end(a.body ?? '')
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return sink
}
