import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import type { RateLimitStore } from '../../src/gateway/index.js'
import { gatewayFor, startUpstream } from './helpers.js'

describe('unexpected errors', () => {
  it('answer 500 problem without internals and are logged with the request id', async () => {
    const lines: Array<Record<string, unknown>> = []
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
        done()
      },
    })
    const broken: RateLimitStore = {
      take() {
        throw new Error('redis exploded at 10.0.0.7')
      },
      close() {},
    }
    const up = await startUpstream()
    const t = await gatewayFor(
      { routes: [{ id: 'limited', get: '/x', rateLimit: { perSecond: 5 }, proxy: { system: 'erp' } }] },
      { systems: { erp: up.url }, extra: { rateLimitStore: broken, logger: pino({ level: 'error' }, sink) } },
    )
    try {
      const res = await t.gateway.app.inject({ url: '/x', headers: { 'x-request-id': 'req-42' } })
      assert.equal(res.statusCode, 500)
      assert.equal(res.headers['content-type'], 'application/problem+json')
      assert.equal(res.json().code, 'SB_ERR_HTTP_INTERNAL')
      assert.doesNotMatch(res.body, /redis|10\.0\.0\.7/)
      assert.equal(up.hits.length, 0)
      assert.equal(lines.length, 1)
      assert.equal(lines[0]?.requestId, 'req-42')
      assert.equal(lines[0]?.route, 'limited')
    } finally {
      await t.close()
      await up.close()
    }
  })
})
