import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { captureStderr, memoryLogger, tempConfig, type TempConfig } from './helpers.js'

const CONFIG = `
version: 1
store: sqlite:$DIR/data/hub.db
listen: { admin: 0, gateway: 0 }
server: { headersTimeout: 1s, requestTimeout: 2s, maxHeaderSize: 1024 }
`

/** Opens a raw socket, writes `data`, and resolves with everything received once the server closes it. */
function rawExchange(url: string, data: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) })
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (received += chunk))
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(received) : reject(err)))
    socket.on('close', () => resolve(received))
    socket.on('connect', () => socket.write(data))
  })
}

function problemOf(raw: string): { status: number; type: string; body: Record<string, unknown> } {
  const [head = '', body = ''] = raw.split('\r\n\r\n', 2)
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1])
  const type = /^content-type: *(.+)$/im.exec(head)?.[1]?.trim() ?? ''
  return { status, type, body: JSON.parse(body) as Record<string, unknown> }
}

describe('slow and malformed clients', () => {
  let cfg: TempConfig
  let hub: Hub
  before(async () => {
    cfg = await tempConfig(CONFIG)
    hub = await startHub({ configFile: cfg.file, env: {}, stderr: captureStderr().stderr, logger: memoryLogger().logger })
  })
  after(async () => {
    await hub.stop()
    await cfg.cleanup()
  })

  for (const server of ['admin', 'gateway'] as const) {
    const url = () => (server === 'admin' ? hub.adminUrl : (hub.gatewayUrl ?? ''))

    it(`${server}: a client that stalls mid-headers is cut off (408 problem or plain close)`, { timeout: 15_000 }, async () => {
      const raw = await rawExchange(url(), 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: a')
      // Closed by the server (the promise resolved). If it said something, it was a 408 problem.
      if (raw !== '') {
        const p = problemOf(raw)
        assert.equal(p.status, 408)
        assert.equal(p.type, 'application/problem+json')
        assert.equal(p.body.code, 'SB_ERR_HTTP_TIMEOUT')
      }
    })

    it(`${server}: a malformed request head gets a 400 problem+json from the parser`, { timeout: 15_000 }, async () => {
      const p = problemOf(await rawExchange(url(), 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header Line\r\n\r\n'))
      assert.equal(p.status, 400)
      assert.equal(p.type, 'application/problem+json')
      assert.equal(p.body.code, 'SB_ERR_HTTP_BAD_REQUEST')
    })

    it(`${server}: conflicting Content-Length and Transfer-Encoding (smuggling) is rejected with a problem`, { timeout: 15_000 }, async () => {
      const raw = await rawExchange(url(), 'POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')
      const p = problemOf(raw)
      assert.equal(p.status, 400)
      assert.equal(p.body.code, 'SB_ERR_HTTP_BAD_REQUEST')
    })

    it(`${server}: an oversized request head gets 431 problem+json`, { timeout: 15_000 }, async () => {
      const p = problemOf(await rawExchange(url(), `GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`))
      assert.equal(p.status, 431)
      assert.equal(p.type, 'application/problem+json')
      assert.equal(p.body.code, 'SB_ERR_HTTP_HEADERS_TOO_LARGE')
    })
  }
})
