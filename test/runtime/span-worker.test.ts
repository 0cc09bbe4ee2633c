/**
 * The span worker (src/runtime/span-worker.ts, span-worker-host.ts): gateway span records cross
 * to a real worker thread, which records them with the SDK and exports them over OTLP/HTTP (JSON)
 * to a loopback collector. What arrives must be exactly what the node's thread recorded.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { GatewaySpanRecord } from '../../src/observe/index.js'
import { MAX_IN_FLIGHT, SpanWorkerHost } from '../../src/runtime/span-worker-host.js'
import { waitFor } from '../flows/helpers/harness.js'

interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  traceState?: string
  name: string
  kind: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>
  status: { code?: number; message?: string }
}
interface OtlpDoc {
  resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }> }>
}

/** A loopback OTLP/HTTP collector that keeps every JSON export. */
async function collector(): Promise<{ url: string; docs: OtlpDoc[]; server: Server }> {
  const docs: OtlpDoc[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      docs.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpDoc)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, docs, server }
}

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'

function record(i: number, over: Partial<GatewaySpanRecord> = {}): GatewaySpanRecord {
  const start = Date.now() - 50 + i / 1000
  return {
    route: 'get-order',
    path: '/orders/:id',
    method: 'GET',
    requestId: `req-${i}`,
    parent: undefined,
    tracestate: undefined,
    traceId: `${String(i).padStart(4, '0')}${'a'.repeat(28)}`,
    spanId: `${String(i).padStart(4, '0')}${'b'.repeat(12)}`,
    startTime: start,
    endTime: start + 1.5,
    status: 200,
    errorCode: null,
    ...over,
  }
}

const attr = (s: OtlpSpan, key: string): string | number | undefined => {
  const v = s.attributes.find((a) => a.key === key)?.value
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : undefined)
}

describe('span worker', () => {
  it('records every batch in a worker thread with the ids, times and parent the node drew, and flushes at stop', async () => {
    const c = await collector()
    const warnings: string[] = []
    const host = new SpanWorkerHost(
      { export: { url: c.url, headers: { 'x-api-key': 'k-1' }, protocol: 'http/json', timeoutMs: 2_000 }, resource: { 'service.name': 'sb-worker-test' }, version: '9.9.9' },
      { warn: (m) => warnings.push(m) },
    )
    try {
      const first = [record(1), record(2, { status: 503, errorCode: 'SB_ERR_SYSTEM_UNREACHABLE' })]
      const child = record(3, { parent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: 'vendor=1', traceId: CALLER_TRACE })
      host.record(first)
      host.record([child])
      await host.stop(3_000)
      const spans = c.docs.flatMap((d) => d.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)))
      assert.equal(spans.length, 3, 'every record, flushed before the thread ended')
      const resource = c.docs[0]?.resourceSpans[0]?.resource.attributes ?? []
      assert.equal(resource.find((a) => a.key === 'service.name')?.value.stringValue, 'sb-worker-test')
      for (const r of [...first, child]) {
        const s = spans.find((x) => x.spanId === r.spanId)
        assert.ok(s, `span ${r.spanId}`)
        assert.equal(s.traceId, r.traceId)
        assert.equal(s.name, 'GET /orders/:id')
        assert.equal(s.kind, 2, 'SERVER')
        assert.equal(attr(s, 'switchboard.request_id'), r.requestId)
        assert.equal(attr(s, 'http.response.status_code'), r.status)
        // Epoch milliseconds from the node's thread, to the nanosecond within a microsecond.
        assert.ok(Math.abs(Number(BigInt(s.startTimeUnixNano) / 1000n) - r.startTime * 1000) < 2, 'start time as recorded')
        assert.ok(Math.abs(Number(BigInt(s.endTimeUnixNano) / 1000n) - r.endTime * 1000) < 2, 'end time as recorded')
      }
      const failed = spans.find((x) => x.spanId === first[1]?.spanId)
      assert.deepEqual(failed?.status, { code: 2, message: 'SB_ERR_SYSTEM_UNREACHABLE' })
      const continued = spans.find((x) => x.spanId === child.spanId)
      assert.equal(continued?.parentSpanId, CALLER_SPAN, 'the caller’s span is the parent')
      assert.equal(continued?.traceState, 'vendor=1')
      assert.equal(spans.find((x) => x.spanId === first[0]?.spanId)?.parentSpanId, undefined)
      const inFlight = host.inFlight
      host.record([record(4)])
      assert.equal(host.inFlight, inFlight, 'a record after stop is not posted')
      assert.deepEqual(warnings, [], 'a record after stop is dropped quietly')
    } finally {
      await host.stop(1_000)
      await new Promise<void>((resolve) => c.server.close(() => resolve()))
    }
  })

  it('drops batches, with one warning, while the worker is behind by more than its bound', async () => {
    const c = await collector()
    const warnings: string[] = []
    const host = new SpanWorkerHost({ export: { url: c.url, headers: {}, protocol: 'http/json', timeoutMs: 2_000 }, resource: {}, version: undefined }, { warn: (m) => warnings.push(m) })
    try {
      // Posted in one go, before the worker can answer: the bound is reached without waiting.
      const batch = Array.from({ length: 1024 }, (_, i) => record(i))
      const batches = MAX_IN_FLIGHT / batch.length + 3
      for (let i = 0; i < batches; i++) host.record(batch)
      assert.equal(warnings.length, 1, warnings.join('\n'))
      assert.match(warnings[0] ?? '', /behind by 8192 spans: dropping gateway spans/)
      // Once the worker has caught up, the next batch goes through, and the loss is told.
      await waitFor('the worker to catch up', () => host.inFlight === 0 || undefined, 20_000)
      host.record([record(99_999)])
      assert.match(warnings[1] ?? '', new RegExp(`caught up; ${(batches - MAX_IN_FLIGHT / batch.length) * batch.length} gateway spans were dropped`))
      await host.stop(5_000)
      const spans = c.docs.flatMap((d) => d.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)))
      // The worker's own batch processor keeps at most 2,048 queued spans (the SDK's default):
      // what matters here is that nothing beyond the bound was ever posted.
      assert.ok(spans.length > 0 && spans.length <= MAX_IN_FLIGHT, `${spans.length} spans exported`)
    } finally {
      await host.stop(1_000)
      await new Promise<void>((resolve) => c.server.close(() => resolve()))
    }
  })

  it('reports a worker that cannot export (collector down) as a warning, and still stops', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const warnings: string[] = []
    const host = new SpanWorkerHost(
      { export: { url: `http://127.0.0.1:${port}/v1/traces`, headers: {}, protocol: 'http/protobuf', timeoutMs: 500 }, resource: {}, version: undefined },
      { warn: (m) => warnings.push(m) },
    )
    host.record([record(1)])
    await host.stop(2_000)
    assert.ok(
      warnings.some((w) => /ECONNREFUSED/.test(w)),
      warnings.join('\n'),
    )
  })
})
