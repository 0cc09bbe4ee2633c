/**
 * Traces through a running hub (SQLite store in a temp dir, real HTTP): one signed webhook
 * becomes one trace holding the gateway request, the publish and every delivery attempt, and the
 * target joins it as a child of the attempt that called it — across the durable queue and across
 * a restart, with sampling, and exported over OTLP/HTTP to a loopback collector. Spans are read
 * from the SDK's in-memory exporter, handed to the hub as an extra span processor.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { diag, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { signStandardWebhook } from '../../src/core/webhook-signature.js'
import { DELIVERY_TRACE_CHANNEL, GATEWAY_TRACE_CHANNEL, PUBLISH_TRACE_CHANNEL } from '../../src/observe/index.js'
import { startHub, type Hub, type StartHubOptions } from '../../src/runtime/hub.js'
import { startTracing, tracesUrl } from '../../src/runtime/tracing.js'
import { startSink, type Sink } from '../flows/helpers/sink.js'
import { waitFor } from '../flows/helpers/harness.js'
import { memoryLogger, tempConfig, type TempConfig } from './helpers.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const ADMIN_TOKEN = 'tracing-test-admin-token'
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'
const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/

const config = (sinkUrl: string, telemetry = '') => `
version: 1
store: sqlite:$DIR/hub.db
admin: { token: "\${env:ADMIN_TOKEN}" }
systems:
  sink: { baseUrl: ${sinkUrl} }
routes:
  - id: shop-webhook
    post: /hooks/shop
    auth: { webhook: { scheme: standard-webhooks, secret: "\${env:SHOP_SECRET}" } }
    publish: { topic: order.created, id: "headers.'webhook-id'" }
  - id: get-order
    get: /orders/:id
    proxy: { system: sink, path: '/orders/:id' }
topics:
  order.created: {}
flows:
  - id: to-sink
    on: order.created
    retry: { attempts: 3, initial: 20ms, max: 40ms, jitter: none }
    to: { system: sink, post: '/orders/{id}' }
${telemetry}`

const ENV = { SHOP_SECRET: SECRET, ADMIN_TOKEN }

/** The sink fails the first delivery of each order with 503, then accepts it. */
function failOnceThenAccept(sink: Sink): void {
  const seen = new Set<string>()
  sink.handler = (req) => {
    if (req.method !== 'POST') return { status: 200, body: '{"ok":true}' }
    if (seen.has(req.path)) return { status: 201, body: '{"ok":true}' }
    seen.add(req.path)
    return { status: 503, body: '{"error":"busy"}' }
  }
}

async function sendWebhook(hub: Hub, id: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { id: string } }> {
  const body = JSON.stringify({ id, total: 10 })
  const signed = signStandardWebhook(SECRET, `wh-${id}`, Date.now() / 1000, body)
  const res = await fetch(`${hub.gatewayUrl}/hooks/shop`, { method: 'POST', headers: { 'content-type': 'application/json', ...signed, ...headers }, body })
  return { status: res.status, body: (await res.json()) as { id: string } }
}

async function startTraced(cfg: TempConfig, exporter: InMemorySpanExporter, extra: Partial<StartHubOptions> = {}): Promise<Hub> {
  return startHub({ configFile: cfg.file, env: ENV, anyPort: true, logger: memoryLogger().logger, spanProcessors: [new SimpleSpanProcessor(exporter)], ...extra })
}

const traceIdOf = (s: ReadableSpan): string => s.spanContext().traceId
const spanIdOf = (s: ReadableSpan): string => s.spanContext().spanId

/** The spans of one event, found by its id: its publish, the span above it, and `attempts` delivery attempts. */
async function spansOfEvent(exporter: InMemorySpanExporter, eventId: string, attempts: number): Promise<{ gateway?: ReadableSpan; publish: ReadableSpan; attempts: ReadableSpan[]; all: ReadableSpan[] }> {
  return waitFor(`the publish and ${attempts} attempts of event ${eventId}`, () => {
    const spans = exporter.getFinishedSpans()
    const publish = spans.find((s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.message.id'] === eventId)
    if (publish === undefined) return undefined
    const mine = spans
      .filter((s) => s.kind === SpanKind.CLIENT && s.attributes['messaging.message.id'] === eventId)
      .sort((a, b) => Number(a.attributes['switchboard.delivery.attempt']) - Number(b.attributes['switchboard.delivery.attempt']))
    if (mine.length < attempts) return undefined
    const gateway = spans.find((s) => s.kind === SpanKind.SERVER && spanIdOf(s) === publish.parentSpanContext?.spanId)
    return { ...(gateway ? { gateway } : {}), publish, attempts: mine, all: [...(gateway ? [gateway] : []), publish, ...mine] }
  })
}

const tracingSubscribed = (): boolean =>
  [GATEWAY_TRACE_CHANNEL, PUBLISH_TRACE_CHANNEL, DELIVERY_TRACE_CHANNEL].some((name) => diagnostics.tracingChannel(name).hasSubscribers)

describe('tracing through a hub', () => {
  let cfg: TempConfig
  let hub: Hub
  let sink: Sink
  const exporter = new InMemorySpanExporter()

  before(async () => {
    sink = await startSink()
    failOnceThenAccept(sink)
    cfg = await tempConfig(config(sink.url))
    hub = await startTraced(cfg, exporter)
  })
  after(async () => {
    await hub.stop()
    await sink.close()
    await cfg.cleanup()
  })

  it('one webhook → one trace: the gateway request, the publish and both attempts; the target is a child of each attempt', async () => {
    const answer = await sendWebhook(hub, 'o-1')
    assert.equal(answer.status, 202)
    const { gateway, publish, attempts, all } = await spansOfEvent(exporter, answer.body.id, 2)
    assert.ok(gateway, 'a gateway span above the publish')
    assert.ok(all.every((s) => traceIdOf(s) === traceIdOf(gateway)), 'one trace')
    assert.equal(exporter.getFinishedSpans().filter((s) => traceIdOf(s) === traceIdOf(gateway)).length, 4, 'nothing else in it')
    // Named as OpenTelemetry's HTTP conventions say: method and route template; the id is an attribute.
    assert.equal(gateway.name, 'POST /hooks/shop')
    assert.equal(gateway.attributes['http.route'], '/hooks/shop')
    assert.equal(gateway.attributes['switchboard.route'], 'shop-webhook')
    assert.equal(gateway.parentSpanContext, undefined, 'no caller trace: the gateway span is the root')
    assert.equal(gateway.attributes['http.response.status_code'], 202)
    assert.equal(publish.name, 'publish order.created')
    assert.equal(publish.parentSpanContext?.spanId, spanIdOf(gateway))
    assert.equal(attempts.length, 2)
    for (const [i, a] of attempts.entries()) {
      assert.equal(a.name, 'deliver to-sink')
      assert.equal(a.parentSpanContext?.spanId, spanIdOf(publish), 'child of the publish, read back from the store')
      assert.deepEqual(a.links.map((l) => l.context.spanId), [spanIdOf(publish)], 'linked to the publish')
      assert.equal(a.attributes['switchboard.delivery.attempt'], i + 1)
      assert.equal(a.attributes['messaging.message.id'], answer.body.id)
    }
    assert.equal(attempts[0]?.attributes['switchboard.delivery.outcome'], 'retry')
    assert.equal(attempts[0]?.attributes['http.response.status_code'], 503)
    assert.equal(attempts[0]?.status.code, SpanStatusCode.ERROR)
    assert.equal(attempts[1]?.attributes['switchboard.delivery.outcome'], 'delivered')
    assert.equal(attempts[1]?.status.code, SpanStatusCode.UNSET)

    // The target received each attempt's own span as its parent, in the same trace.
    const received = sink.requests.filter((r) => r.path === '/orders/o-1').map((r) => r.headers.traceparent)
    assert.deepEqual(received, attempts.map((a) => `00-${traceIdOf(a)}-${spanIdOf(a)}-01`))
    // The event stores the publish span's context: that is what survives the queue and restarts.
    const stored = await hub.store.events.get(answer.body.id)
    assert.equal(stored?.traceparent, `00-${traceIdOf(publish)}-${spanIdOf(publish)}-01`)
  })

  it('continues the caller’s traceparent', async () => {
    const answer = await sendWebhook(hub, 'o-2', { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` })
    const { gateway, attempts, all } = await spansOfEvent(exporter, answer.body.id, 2)
    assert.ok(all.every((s) => traceIdOf(s) === CALLER_TRACE), 'every span in the caller’s trace')
    assert.equal(gateway?.parentSpanContext?.spanId, CALLER_SPAN)
    assert.equal(gateway?.parentSpanContext?.isRemote, true)
    const received = sink.requests.filter((r) => r.path === '/orders/o-2').map((r) => r.headers.traceparent)
    assert.deepEqual(received, attempts.map((a) => `00-${CALLER_TRACE}-${spanIdOf(a)}-01`))
  })

  it('a proxy route sends the request span’s traceparent upstream, not the caller’s', async () => {
    const res = await fetch(`${hub.gatewayUrl}/orders/p-1`, { headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } })
    assert.equal(res.status, 200)
    await res.arrayBuffer()
    const gateway = await waitFor('the proxy request span', () => exporter.getFinishedSpans().find((s) => s.name === 'GET /orders/:id'))
    assert.equal(traceIdOf(gateway), CALLER_TRACE)
    assert.equal(gateway.parentSpanContext?.spanId, CALLER_SPAN)
    const upstream = sink.requests.find((r) => r.path === '/orders/p-1')
    assert.equal(upstream?.headers.traceparent, `00-${CALLER_TRACE}-${spanIdOf(gateway)}-01`)
  })

  it('an admin publish continues its caller’s trace, and the attempts follow', async () => {
    const res = await fetch(`${hub.adminUrl}/v1/topics/order.created/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
      body: JSON.stringify({ id: 'o-3', total: 1 }),
    })
    assert.equal(res.status, 202)
    const { id } = (await res.json()) as { id: string }
    const { publish, attempts } = await spansOfEvent(exporter, id, 2)
    assert.equal(traceIdOf(publish), CALLER_TRACE)
    assert.equal(publish.parentSpanContext?.spanId, CALLER_SPAN)
    assert.equal(attempts.length, 2)
    assert.ok(attempts.every((a) => a.parentSpanContext?.spanId === spanIdOf(publish)))
  })

  it('a refused publish ends its span as an error with the refusal’s code', async () => {
    const res = await fetch(`${hub.adminUrl}/v1/topics/order.created/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'x'.repeat(201) },
      body: JSON.stringify({ id: 'o-4' }),
    })
    assert.equal(res.status, 422)
    const failed = await waitFor('the failed publish span', () => exporter.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER && s.status.code === SpanStatusCode.ERROR))
    assert.equal(failed.attributes['switchboard.error_code'], 'SB_ERR_EVENT_INVALID')
  })
})

describe('tracing across a restart', () => {
  it('a delivery after a restart joins the trace of its publish (the context comes from the store)', async () => {
    const sink = await startSink()
    const cfg = await tempConfig(config(sink.url))
    try {
      const before = new InMemorySpanExporter()
      // A gateway node accepts the event and delivers nothing; it stops before any attempt.
      const gatewayNode = await startTraced(cfg, before, { role: 'gateway' })
      const answer = await sendWebhook(gatewayNode, 'r-1')
      // Read before the stop: shutting the provider down empties the in-memory exporter.
      const publish = before.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER)
      await gatewayNode.stop()
      assert.equal(sink.requests.length, 0)
      assert.ok(publish, 'the publish span ended before the 202')

      const afterRestart = new InMemorySpanExporter()
      const node = await startTraced(cfg, afterRestart)
      try {
        const attempt = await waitFor('the attempt after the restart', () => afterRestart.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT))
        assert.equal(traceIdOf(attempt), traceIdOf(publish))
        assert.equal(attempt.parentSpanContext?.spanId, spanIdOf(publish))
        assert.deepEqual(attempt.links.map((l) => l.context.spanId), [spanIdOf(publish)])
        assert.equal(attempt.attributes['messaging.message.id'], answer.body.id)
        assert.equal(sink.requests[0]?.headers.traceparent, `00-${traceIdOf(publish)}-${spanIdOf(attempt)}-01`)
      } finally {
        await node.stop()
      }
    } finally {
      await sink.close()
      await cfg.cleanup()
    }
  })
})

describe('sampling', () => {
  it('ratio 0 records nothing, yet the target still receives a traceparent continuing the stored one', async () => {
    const sink = await startSink()
    const cfg = await tempConfig(config(sink.url, 'telemetry: { sampling: { ratio: 0 } }'))
    const exporter = new InMemorySpanExporter()
    const hub = await startTraced(cfg, exporter)
    try {
      const answer = await sendWebhook(hub, 's-1')
      assert.equal(answer.status, 202)
      const received = await waitFor('the delivery', () => sink.requests[0]?.headers.traceparent)
      const m = TRACEPARENT_RE.exec(String(received))
      assert.ok(m, `a valid traceparent: ${String(received)}`)
      assert.equal(m[3], '00', 'not sampled')
      const stored = await hub.store.events.get(answer.body.id)
      const s = TRACEPARENT_RE.exec(stored?.traceparent ?? '')
      assert.equal(s?.[1], m[1], 'same trace as the stored publish context')
      assert.notEqual(s?.[2], m[2], 'the attempt has its own span id')
      // A caller’s sampled flag still wins (parent-based).
      const continued = await sendWebhook(hub, 's-2', { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` })
      await spansOfEvent(exporter, continued.body.id, 1)
      assert.ok(exporter.getFinishedSpans().every((sp) => traceIdOf(sp) === CALLER_TRACE), 'only the caller’s sampled trace is recorded')
    } finally {
      await hub.stop()
      await sink.close()
      await cfg.cleanup()
    }
  })
})

describe('tracing off', () => {
  it('subscribes nothing without telemetry, and a stopped traced hub unsubscribes', async () => {
    const sink = await startSink()
    const cfg = await tempConfig(config(sink.url))
    try {
      const plain = await startHub({ configFile: cfg.file, env: ENV, anyPort: true, logger: memoryLogger().logger })
      try {
        assert.equal(tracingSubscribed(), false, 'the hot paths build no trace context')
        // The caller's trace context still flows: stored, and continued towards the target.
        const answer = await sendWebhook(plain, 'n-1', { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` })
        assert.equal((await plain.store.events.get(answer.body.id))?.traceparent, `00-${CALLER_TRACE}-${CALLER_SPAN}-01`)
        const received = await waitFor('the delivery', () => sink.requests[0]?.headers.traceparent)
        assert.equal(TRACEPARENT_RE.exec(String(received))?.[1], CALLER_TRACE)
      } finally {
        await plain.stop()
      }
      const traced = await startTraced(cfg, new InMemorySpanExporter())
      assert.equal(tracingSubscribed(), true)
      await traced.stop()
      assert.equal(tracingSubscribed(), false)
    } finally {
      await sink.close()
      await cfg.cleanup()
    }
  })
})

describe('OTLP/HTTP export', () => {
  interface Received {
    path: string
    headers: IncomingHttpHeaders
    body: Buffer
  }

  /**
   * One webhook through a hub exporting to a loopback collector with `otlp` (YAML flow mapping
   * fields after the endpoint); returns what the collector received after the hub stopped, and
   * the trace id stored with the event.
   */
  async function exportOnce(otlpFields: string): Promise<{ posts: Received[]; traceId: string }> {
    const posts: Received[] = []
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        posts.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) })
        res.writeHead(200, { 'content-type': String(req.headers['content-type']) })
        res.end(req.headers['content-type'] === 'application/json' ? '{}' : '')
      })
    })
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`
    const sink = await startSink()
    const telemetry = `telemetry:
  serviceName: sb-orders
  otlp: { endpoint: "${endpoint}", headers: { x-api-key: "\${env:OTLP_KEY}" }, timeout: 2s${otlpFields} }
`
    const cfg = await tempConfig(config(sink.url, telemetry))
    try {
      const hub = await startHub({ configFile: cfg.file, env: { ...ENV, OTLP_KEY: 'collector-key-1234' }, anyPort: true, logger: memoryLogger().logger })
      let traceId = ''
      try {
        const answer = await sendWebhook(hub, 'x-1')
        await waitFor('the delivery', () => sink.answers[0])
        traceId = TRACEPARENT_RE.exec((await hub.store.events.get(answer.body.id))?.traceparent ?? '')?.[1] ?? ''
      } finally {
        // Stopping flushes the batch processor (bounded by the export timeout).
        await hub.stop()
      }
      await waitFor('a POST to the collector', () => posts[0], 5_000)
      assert.match(traceId, /^[0-9a-f]{32}$/, 'the event stored its trace context')
      return { posts, traceId }
    } finally {
      await sink.close()
      await cfg.cleanup()
      await new Promise<void>((resolve) => collector.close(() => resolve()))
    }
  }

  const SPAN_NAMES = ['POST /hooks/shop', 'publish order.created', 'deliver to-sink']

  it('posts the spans as OTLP JSON to <endpoint>/v1/traces with the configured headers, flushed at stop', async () => {
    const { posts, traceId } = await exportOnce(', protocol: http/json')
    const post = posts[0] as Received
    assert.equal(post.path, '/v1/traces')
    assert.equal(post.headers['content-type'], 'application/json')
    assert.equal(post.headers['x-api-key'], 'collector-key-1234')
    type Doc = {
      resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ name: string; traceId: string; spanId: string; parentSpanId?: string }> }> }>
    }
    const docs = posts.map((p) => JSON.parse(p.body.toString('utf8')) as Doc)
    const spans = docs.flatMap((d) => d.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((sc) => sc.spans)))
    const resource = docs[0]?.resourceSpans[0]?.resource.attributes ?? []
    assert.equal(resource.find((a) => a.key === 'service.name')?.value.stringValue, 'sb-orders')
    assert.deepEqual(new Set(spans.map((sp) => sp.name)), new Set(SPAN_NAMES))
    assert.deepEqual(new Set(spans.map((sp) => sp.traceId)), new Set([traceId]), 'one trace, the stored one')
    // The gateway span comes from the span worker, the publish from the node's thread: the ids
    // drawn for the request on the node's thread are the ones the worker exported.
    const gateway = spans.find((sp) => sp.name === 'POST /hooks/shop')
    assert.equal(spans.find((sp) => sp.name === 'publish order.created')?.parentSpanId, gateway?.spanId)
  })

  it('posts protobuf by default (OTLP’s own default encoding)', async () => {
    const { posts, traceId } = await exportOnce('')
    const post = posts[0] as Received
    assert.equal(post.path, '/v1/traces')
    assert.equal(post.headers['content-type'], 'application/x-protobuf')
    assert.equal(post.headers['x-api-key'], 'collector-key-1234')
    // Protobuf keeps strings as UTF-8 and ids as raw bytes: every span's name is there, and the
    // stored trace id once per span plus once in the attempt's link to the publish (16 raw bytes
    // that never occur by chance).
    const body = Buffer.concat(posts.map((p) => p.body))
    assert.ok(body.includes('sb-orders'), 'the service name')
    for (const name of SPAN_NAMES) assert.ok(body.includes(name), `span ${name}`)
    const id = Buffer.from(traceId, 'hex')
    let count = 0
    for (let at = body.indexOf(id); at !== -1; at = body.indexOf(id, at + 1)) count++
    assert.equal(count, SPAN_NAMES.length + 1, 'every span (and the link) carries the stored trace id')
    assert.equal(body.includes(traceId), false, 'ids are bytes, not hex text (this is not JSON)')
  })

  it('logs a warning when the collector cannot be reached, and still stops', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const sink = await startSink()
    const cfg = await tempConfig(config(sink.url, `telemetry: { otlp: { endpoint: "http://127.0.0.1:${port}", timeout: 1s } }`))
    const log = memoryLogger()
    try {
      const hub = await startHub({ configFile: cfg.file, env: ENV, anyPort: true, logger: log.logger })
      const res = await fetch(`${hub.gatewayUrl}/orders/1`)
      assert.equal(res.status, 200, 'requests are unaffected')
      await res.arrayBuffer()
      await hub.stop()
      const warning = log.lines().find((l) => l.component === 'tracing' && l.level === 40)
      assert.match(JSON.stringify(warning), /ECONNREFUSED/)
    } finally {
      await sink.close()
      await cfg.cleanup()
    }
  })

  it('logs OpenTelemetry’s own errors (a failed periodic export) as warnings, once a minute per message', async () => {
    const log = memoryLogger()
    const tracing = startTracing({ telemetry: undefined, logger: log.logger, spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] })
    try {
      diag.error('Export failed: connect ECONNREFUSED')
      diag.error('Export failed: connect ECONNREFUSED')
      diag.info('not worth a line')
      const lines = log.lines().filter((l) => l.component === 'tracing' && l.level === 40)
      assert.deepEqual(lines.map((l) => l.msg), ['tracing: Export failed: connect ECONNREFUSED'])
    } finally {
      await tracing.stop()
    }
  })

  it('appends /v1/traces to the endpoint unless it is already there', () => {
    assert.equal(tracesUrl('http://collector:4318'), 'http://collector:4318/v1/traces')
    assert.equal(tracesUrl('http://collector:4318/'), 'http://collector:4318/v1/traces')
    assert.equal(tracesUrl('https://otlp.example.com/api/'), 'https://otlp.example.com/api/v1/traces')
    assert.equal(tracesUrl('https://otlp.example.com/v1/traces'), 'https://otlp.example.com/v1/traces')
  })
})
