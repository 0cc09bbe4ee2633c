import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  SpanKind,
  TraceFlags,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
} from '@opentelemetry/api'
import {
  carrierOf,
  contextFromCarrier,
  extractTraceparent,
  formatTraceparent,
  injectTraceparent,
  parseTraceparent,
  randomSpanId,
  randomTraceId,
  randomUnsampledTraceparent,
  traceLogFields,
  unsampledChildTraceparent,
} from '../../src/observe/traceparent.js'
import { endDeliverySpan, endGatewaySpan, startDeliverySpan, startGatewaySpan, startPublishSpan } from '../../src/observe/tracing.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN_ID = '00f067aa0ba902b7'
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`

/** What an in-memory exporter would hold: every span with its parent, links and attributes. */
interface Recorded {
  name: string
  kind: SpanKind | undefined
  context: SpanContext
  parentSpanId: string | undefined
  links: Link[]
  attributes: Attributes
  status: SpanStatus | undefined
  ended: boolean
}

/** A recording tracer: the helpers' span shapes without the SDK (which trace-subscriber.test.ts and test/runtime/tracing.test.ts use). */
class RecordingTracer implements Tracer {
  readonly spans: Recorded[] = []
  startSpan(name: string, options: SpanOptions = {}, ctx: Context = ROOT_CONTEXT): Span {
    const parent = trace.getSpanContext(ctx)
    const rec: Recorded = {
      name,
      kind: options.kind,
      context: { traceId: parent?.traceId ?? randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED },
      parentSpanId: parent?.spanId,
      links: options.links ?? [],
      attributes: { ...options.attributes },
      status: undefined,
      ended: false,
    }
    this.spans.push(rec)
    const span: Span = {
      spanContext: () => rec.context,
      setAttribute: (k: string, v: AttributeValue) => ((rec.attributes[k] = v), span),
      setAttributes: (a: Attributes) => (Object.assign(rec.attributes, a), span),
      addEvent: () => span,
      addLink: () => span,
      addLinks: () => span,
      setStatus: (s: SpanStatus) => ((rec.status = s), span),
      updateName: () => span,
      end: () => {
        rec.ended = true
      },
      isRecording: () => true,
      recordException: () => undefined,
    }
    return span
  }
  startActiveSpan(): never {
    throw new Error('not used')
  }
}

describe('traceparent', () => {
  it('parses a valid header and formats it back', () => {
    const sc = parseTraceparent(VALID)
    assert.deepEqual(sc && { t: sc.traceId, s: sc.spanId, f: sc.traceFlags, r: sc.isRemote }, { t: TRACE_ID, s: SPAN_ID, f: 1, r: true })
    assert.equal(sc && formatTraceparent(sc), VALID)
    assert.equal(formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0 }), `00-${TRACE_ID}-${SPAN_ID}-00`)
  })

  it('accepts a future version with extra fields, keeping only the sampled flag', () => {
    const sc = parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-ff-extra`)
    assert.equal(sc?.traceFlags, TraceFlags.SAMPLED)
  })

  it('refuses malformed, forbidden and all-zero values', () => {
    const bad = [
      undefined,
      '',
      'garbage',
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`, // version 00 has exactly four fields
      `ff-${TRACE_ID}-${SPAN_ID}-01`, // version ff is forbidden
      `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`, // upper-case hex is not allowed
      `00-${TRACE_ID}-${SPAN_ID}`,
      `00-${TRACE_ID}0-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-01${'x'.repeat(600)}`,
    ]
    for (const v of bad) assert.equal(parseTraceparent(v), undefined, String(v))
  })

  it('extracts from incoming headers, ignoring ambiguous repeated headers', () => {
    const ctx = extractTraceparent({ traceparent: VALID, tracestate: 'vendor=abc' })
    assert.equal(trace.getSpanContext(ctx)?.traceId, TRACE_ID)
    assert.equal(trace.getSpanContext(ctx)?.traceState?.get('vendor'), 'abc')
    assert.equal(extractTraceparent({ traceparent: [VALID, VALID] }), ROOT_CONTEXT)
    assert.equal(extractTraceparent({ traceparent: 'nope' }), ROOT_CONTEXT)
    assert.equal(extractTraceparent({}), ROOT_CONTEXT)
  })

  it('injects and carries the context through storage', () => {
    const ctx = extractTraceparent({ traceparent: VALID, tracestate: 'a=1' })
    assert.deepEqual(injectTraceparent(ctx), { traceparent: VALID, tracestate: 'a=1' })
    assert.deepEqual(injectTraceparent(ROOT_CONTEXT, { x: 'y' }), { x: 'y' })
    const stored = JSON.parse(JSON.stringify(carrierOf(ctx)))
    assert.equal(trace.getSpanContext(contextFromCarrier(stored))?.spanId, SPAN_ID)
    assert.equal(contextFromCarrier(null), ROOT_CONTEXT)
    assert.equal(contextFromCarrier({ traceparent: 'corrupted' }), ROOT_CONTEXT)
    assert.equal(carrierOf(ROOT_CONTEXT), null)
    assert.deepEqual(traceLogFields(ctx), { trace_id: TRACE_ID, span_id: SPAN_ID })
    assert.deepEqual(traceLogFields(ROOT_CONTEXT), {})
  })

  it('draws valid, distinct ids and unsampled traceparents across many refills of the pool', () => {
    const seen = new Set<string>()
    // 2,000 rounds use the pool's 128 entries dozens of times over, across refills.
    for (let i = 0; i < 2000; i++) {
      const tp = randomUnsampledTraceparent()
      const sc = parseTraceparent(tp)
      assert.ok(sc !== undefined, `not a valid traceparent: ${tp}`)
      assert.equal(sc.traceFlags, TraceFlags.NONE)
      assert.equal(tp, `00-${sc.traceId}-${sc.spanId}-00`)
      const traceId = randomTraceId()
      const spanId = randomSpanId()
      assert.match(traceId, /^[0-9a-f]{32}$/)
      assert.match(spanId, /^[0-9a-f]{16}$/)
      assert.notEqual(traceId, '0'.repeat(32))
      assert.notEqual(spanId, '0'.repeat(16))
      const child = parseTraceparent(unsampledChildTraceparent(traceId))
      assert.equal(child?.traceId, traceId, 'an unsampled child stays in its trace')
      assert.equal(child?.traceFlags, TraceFlags.NONE)
      for (const id of [sc.traceId, sc.spanId, traceId, spanId, child?.spanId as string]) {
        assert.ok(!seen.has(id), `id drawn twice: ${id}`)
        seen.add(id)
      }
    }
  })
})

describe('spans of an event’s life', () => {
  it('one webhook → one trace holding the gateway span, the publish and every attempt, each attempt linked to the publish', () => {
    const tracer = new RecordingTracer()
    const gw = startGatewaySpan({ route: 'shop-webhook', path: '/hooks/shop', method: 'POST', requestId: 'req-1', headers: { traceparent: VALID } }, tracer)
    const pub = startPublishSpan(contextFromCarrier(gw.traceparent), { topic: 'order.created', eventId: 'evt-1', source: 'shop-webhook' }, tracer)
    pub.span.end()
    endGatewaySpan(gw.span, 202)
    // The event store keeps the bare traceparent string (and survives a restart).
    const stored: string | undefined = pub.carrier?.traceparent
    const attempts = [1, 2, 3].map((attempt) => {
      const d = startDeliverySpan({ carrier: stored, flow: 'to-invoice', system: 'invoicing', eventId: 'evt-1', deliveryId: 'dlv-1', attempt }, tracer)
      endDeliverySpan(d.span, attempt < 3 ? { outcome: 'retry', statusCode: 503, errorCode: 'SB_ERR_FLOW_TARGET_STATUS' } : { outcome: 'delivered', statusCode: 201, errorCode: null })
      return d
    })

    const [g, p, ...a] = tracer.spans
    assert.equal(tracer.spans.length, 5)
    assert.ok(tracer.spans.every((s) => s.context.traceId === TRACE_ID && s.ended), 'one trace, continuing the caller’s')
    assert.equal(g?.parentSpanId, SPAN_ID)
    assert.equal(gw.traceparent, `00-${TRACE_ID}-${g?.context.spanId}-01`, 'the gateway passes its own span on')
    assert.equal(g?.kind, SpanKind.SERVER)
    assert.equal(g?.name, 'POST /hooks/shop')
    assert.equal(g?.attributes['http.route'], '/hooks/shop', 'the template, as the HTTP conventions say')
    assert.equal(g?.attributes['switchboard.route'], 'shop-webhook')
    assert.equal(g?.attributes['http.response.status_code'], 202)
    assert.equal(p?.parentSpanId, g?.context.spanId)
    assert.equal(p?.kind, SpanKind.PRODUCER)
    assert.equal(p?.attributes['messaging.message.id'], 'evt-1')
    for (const [i, s] of a.entries()) {
      assert.equal(s.parentSpanId, p?.context.spanId)
      assert.equal(s.kind, SpanKind.CLIENT)
      assert.deepEqual(s.links.map((l) => l.context.spanId), [p?.context.spanId], 'linked to the publish')
      assert.equal(s.attributes['switchboard.delivery.attempt'], i + 1)
      // The target receives the attempt's own span as parent.
      assert.equal(attempts[i]?.headers.traceparent, `00-${TRACE_ID}-${s.context.spanId}-01`)
    }
    assert.equal(a[0]?.status?.code, SpanStatusCode.ERROR)
    assert.equal(a[2]?.status, undefined)
  })

  it('starts a new trace when the caller sent no valid traceparent', () => {
    const tracer = new RecordingTracer()
    const gw = startGatewaySpan({ route: 'r', method: 'GET', requestId: 'x', headers: { traceparent: '00-bogus' } }, tracer)
    assert.equal(tracer.spans[0]?.parentSpanId, undefined)
    const fresh = parseTraceparent(gw.traceparent)
    assert.ok(fresh, 'a new, valid trace')
    assert.notEqual(fresh.traceId, TRACE_ID)
    assert.equal(fresh.spanId, tracer.spans[0]?.context.spanId)
    endGatewaySpan(gw.span, 503, 'SB_ERR_SYSTEM_CIRCUIT_OPEN')
    assert.deepEqual(tracer.spans[0]?.status, { code: SpanStatusCode.ERROR, message: 'SB_ERR_SYSTEM_CIRCUIT_OPEN' })
  })

  it('without an SDK (no-op tracer) the caller’s trace context still reaches the target', () => {
    const gw = startGatewaySpan({ route: 'r', method: 'POST', requestId: 'x', headers: { traceparent: VALID } })
    const pub = startPublishSpan(contextFromCarrier(gw.traceparent), { topic: 't', eventId: 'e' })
    assert.equal(pub.carrier?.traceparent, VALID)
    const d = startDeliverySpan({ carrier: pub.carrier, flow: 'f', eventId: 'e', deliveryId: 'd', attempt: 1 })
    assert.equal(d.headers.traceparent, VALID)
    const none = startPublishSpan(ROOT_CONTEXT, { topic: 't', eventId: 'e' })
    assert.equal(none.carrier, null, 'no trace, nothing to store')
    assert.deepEqual(startDeliverySpan({ carrier: none.carrier, flow: 'f', eventId: 'e', deliveryId: 'd', attempt: 1 }).headers, {})
  })
})
