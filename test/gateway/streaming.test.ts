import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import { createHash } from 'node:crypto'
import { gatewayFor, listen, parseRaw, rawRequest, startUpstream, type TestGateway, type Upstream } from './helpers.js'

/** A GET through the gateway, read to the end (or to the cut). */
function get(port: number, path: string, method = 'GET'): Promise<{ res: IncomingMessage; body: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ res, body: Buffer.concat(chunks), complete: res.complete }))
      res.on('error', () => resolve({ res, body: Buffer.concat(chunks), complete: false }))
      res.on('aborted', () => resolve({ res, body: Buffer.concat(chunks), complete: false }))
    })
    req.on('error', reject)
    req.end()
  })
}

const BIG = Buffer.alloc(3 * 1024 * 1024, 'abcdefghij')
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe('streamed answers of transparent proxy routes', () => {
  let up: Upstream
  let t: TestGateway
  let port = 0
  /** The upstream response of the /hold request, so a test can watch it. */
  let held: ServerResponse | undefined
  before(async () => {
    up = await startUpstream((hit, res) => {
      if (hit.url === '/big') {
        // Many chunks, with a length: written as fast as the gateway reads.
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length })
        let at = 0
        const next = (): void => {
          while (at < BIG.length) {
            const chunk = BIG.subarray(at, at + 64 * 1024)
            at += chunk.length
            if (!res.write(chunk)) return void res.once('drain', next)
          }
          res.end()
        }
        next()
        return
      }
      if (hit.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write('one,')
        setImmediate(() => res.end('two'))
        return
      }
      if (hit.url === '/head') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '11', 'x-raw': Buffer.from('é', 'utf8').toString('latin1') })
        res.end(hit.method === 'HEAD' ? undefined : 'hello world')
        return
      }
      if (hit.url === '/hold') {
        held = res
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write('first ')
        return // the rest never comes
      }
      if (hit.url === '/cut') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
        res.write('partial')
        setImmediate(() => res.socket?.destroy())
        return
      }
      res.end('ok')
    })
    t = await gatewayFor(
      {
        routes: [
          { id: 'all', get: '/*', proxy: { system: 'up', path: '/*' } },
          { id: 'head', head: '/head', proxy: { system: 'up' } },
          { id: 'upload', post: '/upload', limits: { body: 100 }, proxy: { system: 'up' } },
        ],
      },
      { systems: { up: { baseUrl: up.url, timeout: '60s' } } },
    )
    port = await listen(t.gateway)
  })
  after(async () => {
    held?.destroy()
    await t.close()
    await up.close()
  })

  it('passes a large body through intact, chunk by chunk with back-pressure', async () => {
    const { res, body, complete } = await get(port, '/big')
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-length'], String(BIG.length))
    assert.ok(complete)
    assert.equal(sha(body), sha(BIG))
  })

  it('passes a body without a length through (chunked to the client)', async () => {
    const { res, body } = await get(port, '/chunked')
    assert.equal(res.headers['transfer-encoding'], 'chunked')
    assert.equal(body.toString(), 'one,two')
  })

  it('answers HEAD with the upstream length and no body; header bytes pass unchanged', async () => {
    const { res, body } = await get(port, '/head', 'HEAD')
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-length'], '11')
    assert.equal(body.length, 0)
    assert.equal(Buffer.from(String(res.headers['x-raw']), 'latin1').toString('utf8'), 'é')
  })

  it('releases the upstream connection as soon as the client leaves mid-answer', async () => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/hold', agent: false })
    req.on('error', () => undefined)
    req.end()
    const [res] = (await once(req, 'response')) as [IncomingMessage]
    await once(res, 'data')
    const upstreamClosed = once(held as ServerResponse, 'close')
    req.destroy()
    // The system's timeout is 60 s: only the gateway noticing the client left ends this early.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      upstreamClosed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the upstream request was not aborted')), 10_000)
      }),
    ])
    clearTimeout(timer)
  })

  it('cuts the client connection when the upstream fails mid-body, and keeps serving', async () => {
    const { res, body, complete } = await get(port, '/cut')
    assert.equal(res.statusCode, 200)
    assert.equal(complete, false)
    assert.ok(body.length < 100)
    const next = await get(port, '/ok')
    assert.equal(next.body.toString(), 'ok')
  })

  it('streams a chunked upload upstream but answers 413 once it passes the route limit', async () => {
    const chunk = 'x'.repeat(80)
    const small = parseRaw(await rawRequest(port, `POST /upload HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n50\r\n${chunk}\r\n0\r\n\r\n`))
    assert.equal(small.status, 200)
    assert.equal(up.hits.at(-1)?.body.length, 80)
    const hits = up.hits.length
    const big = parseRaw(await rawRequest(port, `POST /upload HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n${chunk}\r\n50\r\n${chunk}\r\n0\r\n\r\n`))
    assert.equal(big.status, 413)
    assert.equal(big.body?.code, 'SB_ERR_HTTP_BODY_TOO_LARGE')
    assert.equal(big.headers.connection, 'close')
    assert.equal(up.hits.length, hits, 'the system never got a complete request')
  })
})
