/**
 * The tracing subscriber against the flows' publisher, with the SDK's in-memory exporter: a
 * poller's batch gives each event its own root publish span (stored with the event), a failed
 * commit fails every span of the batch, a synchronous throw still ends the span, and malformed
 * contexts or a failing tracer never reach the publisher.
 */
import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { StoreBus } from '../../src/bus/store/store-bus.js'
import { SwitchboardError } from '../../src/core/errors.js'
import { compileFlowSet } from '../../src/flows/flow-set.js'
import { Publisher } from '../../src/flows/publisher.js'
import { gatewayTracing } from '../../src/gateway/diagnostics.js'
import { PUBLISH_TRACE_CHANNEL, subscribeTracing } from '../../src/observe/index.js'
import { parseTraceparent } from '../../src/observe/traceparent.js'
import { PresetIdGenerator } from '../../src/observe/deferred-spans.js'
import { setImmediate } from 'node:timers/promises'
import { performance } from 'node:perf_hooks'
import type { Store } from '../../src/store/contract.js'
import { openStore } from '../../src/store/open.js'

const flows = compileFlowSet({
  dir: process.cwd(),
  config: {
    topics: { 'item.changed': {} },
    systems: { crm: { baseUrl: 'http://127.0.0.1:9' } },
    flows: [{ id: 'to-crm', on: 'item.changed', to: { system: 'crm', post: '/items' } }],
  },
})

describe('trace subscriber', () => {
  let store: Store
  let publisher: Publisher
  let exporter: InMemorySpanExporter
  let provider: BasicTracerProvider
  let unsubscribe: () => void
  const errors: unknown[] = []

  beforeEach(async () => {
    store = await openStore('sqlite::memory:')
    await store.migrate()
    publisher = new Publisher(store, new StoreBus(store), flows)
    exporter = new InMemorySpanExporter()
    provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    errors.length = 0
    unsubscribe = subscribeTracing(provider.getTracer('test'), { onError: (err) => errors.push(err) })
  })
  afterEach(async () => {
    unsubscribe()
    await publisher.close()
    await store.close()
    await provider.shutdown()
  })

  it('gives each event of a poller’s batch its own root publish span, stored with the event', async () => {
    const events = ['a', 'b'].map((id) => publisher.prepare({ topic: 'item.changed', id, body: { id } }))
    const { results } = await publisher.commitWith(events, async () => undefined)
    const spans = exporter.getFinishedSpans()
    assert.equal(spans.length, 2)
    for (const [i, r] of results.entries()) {
      const span = spans.find((s) => s.attributes['messaging.message.id'] === r.id)
      assert.ok(span, `a span for event ${i}`)
      assert.equal(span.kind, SpanKind.PRODUCER)
      assert.equal(span.parentSpanContext, undefined, 'a root: a poller has no caller')
      const stored = await store.events.get(r.id)
      assert.equal(stored?.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`)
    }
    assert.notEqual(spans[0]?.spanContext().traceId, spans[1]?.spanContext().traceId, 'one trace per event')
  })

  it('fails every span of a batch whose commit failed', async () => {
    const events = ['c', 'd'].map((id) => publisher.prepare({ topic: 'item.changed', id, body: { id } }))
    await assert.rejects(
      publisher.commitWith(events, () => Promise.reject(new SwitchboardError('SB_ERR_STORE_UNAVAILABLE', 'cursor write failed'))),
      /cursor write failed/,
    )
    const spans = exporter.getFinishedSpans()
    assert.equal(spans.length, 2)
    for (const s of spans) {
      assert.equal(s.status.code, SpanStatusCode.ERROR)
      assert.equal(s.attributes['switchboard.error_code'], 'SB_ERR_STORE_UNAVAILABLE')
    }
    assert.equal((await store.events.list()).length, 0, 'nothing stored')
  })

  it('ends the span when the traced work throws synchronously', () => {
    const context = { topic: 'item.changed', parent: undefined, traceparent: undefined as string | undefined }
    assert.throws(() =>
      diagnostics.tracingChannel(PUBLISH_TRACE_CHANNEL).traceSync(() => {
        throw new SwitchboardError('SB_ERR_EVENT_INVALID', 'bad')
      }, context),
    )
    assert.match(context.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    const [span] = exporter.getFinishedSpans()
    assert.equal(span?.status.code, SpanStatusCode.ERROR)
    assert.equal(span?.attributes['switchboard.error_code'], 'SB_ERR_EVENT_INVALID')
  })

  it('ignores malformed contexts', () => {
    const channel = diagnostics.tracingChannel(PUBLISH_TRACE_CHANNEL)
    for (const bad of [{}, { topic: 1 }, { topic: 't', parent: 5 }]) channel.traceSync(() => undefined, bad as object)
    assert.equal(exporter.getFinishedSpans().length, 0)
    assert.deepEqual(errors, [])
  })

  it('contains a failing tracer: the publish goes through untraced and the error is reported', async () => {
    unsubscribe()
    const broken = { startSpan: () => assert.fail('tracer broke'), startActiveSpan: () => assert.fail('unused') } as unknown as Tracer
    unsubscribe = subscribeTracing(broken, { onError: (err) => errors.push(err) })
    const r = await publisher.publish({ topic: 'item.changed', id: 'e', body: { id: 'e' }, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })
    assert.equal(r.duplicate, false)
    assert.equal(errors.length, 1)
    // Untraced, the caller's context is stored as it came.
    assert.equal((await store.events.get(r.id))?.traceparent, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
  })
})

describe('trace subscriber: sampling decided before the SDK', () => {
  const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
  const CALLER_SPAN = '00f067aa0ba902b7'
  const TP = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/
  let exporter: InMemorySpanExporter
  let provider: BasicTracerProvider
  let started: number
  let unsubscribe: () => void

  /** A tracer that counts the spans the SDK was asked for. */
  function subscribe(ratio: number): void {
    exporter = new InMemorySpanExporter()
    provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const sdk = provider.getTracer('test')
    started = 0
    const counting = {
      startSpan: (...args: Parameters<Tracer['startSpan']>) => (started++, sdk.startSpan(...args)),
      startActiveSpan: sdk.startActiveSpan.bind(sdk),
    } as Tracer
    unsubscribe = subscribeTracing(counting, { sampling: { ratio } })
  }
  afterEach(async () => {
    unsubscribe()
    await provider.shutdown()
  })

  /** One gateway request through the tracing channel, as the router publishes it. */
  function request(headers: Record<string, string>): string | undefined {
    const t = { route: 'get-order', method: 'GET', requestId: 'r-1', headers, traceparent: undefined as string | undefined, span: undefined, status: 0, errorCode: null }
    gatewayTracing.start.publish(t)
    t.status = 200
    gatewayTracing.asyncEnd.publish(t)
    return t.traceparent
  }

  it('ratio 0: new traces never reach the SDK, yet each request passes on a fresh unsampled traceparent', () => {
    subscribe(0)
    const a = TP.exec(request({}) ?? '')
    const b = TP.exec(request({}) ?? '')
    assert.ok(a && b, 'valid traceparents')
    assert.equal(a[3], '00')
    assert.notEqual(a[1], b[1], 'a new trace per request')
    assert.notEqual(a[1], '0'.repeat(32))
    // Both ids come from one random draw: each must be valid (not all zero) and new.
    const traces = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      const tp = request({}) ?? ''
      assert.ok(parseTraceparent(tp), tp)
      traces.add(tp.slice(3, 35))
    }
    assert.equal(traces.size, 1000)
    assert.equal(started, 0, 'the SDK was not asked')
    assert.equal(exporter.getFinishedSpans().length, 0)
  })

  it('a caller’s sampled flag wins over ratio 0; an unsampled caller is continued without the SDK over ratio 1', () => {
    subscribe(0)
    const sampled = TP.exec(request({ traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` }) ?? '')
    assert.equal(sampled?.[1], CALLER_TRACE)
    assert.equal(sampled?.[3], '01')
    const spans = exporter.getFinishedSpans()
    assert.equal(spans.length, 1)
    assert.equal(spans[0]?.parentSpanContext?.spanId, CALLER_SPAN)
    unsubscribe()

    subscribe(1)
    const continued = TP.exec(request({ traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-00` }) ?? '')
    assert.equal(continued?.[1], CALLER_TRACE, 'same trace')
    assert.notEqual(continued?.[2], CALLER_SPAN, 'its own span id')
    assert.equal(continued?.[3], '00')
    assert.equal(started, 0)
    // A malformed caller context is ignored: a new trace, drawn at the ratio (1: recorded).
    const fresh = TP.exec(request({ traceparent: `00-${CALLER_TRACE}-${'0'.repeat(16)}-01` }) ?? '')
    assert.notEqual(fresh?.[1], CALLER_TRACE)
    assert.equal(fresh?.[3], '01')
    assert.equal(started, 1)
  })

  it('ratio 0.5 records about half of new traces', () => {
    subscribe(0.5)
    let sampled = 0
    for (let i = 0; i < 2000; i++) if (request({})?.endsWith('-01')) sampled++
    assert.equal(started, sampled, 'only sampled requests reach the SDK')
    // Binomial(2000, 0.5): ±8 standard deviations, so this never fails by chance.
    assert.ok(sampled > 820 && sampled < 1180, `${sampled} of 2000 sampled`)
  })
})

describe('trace subscriber: gateway spans handed to the SDK after the request (the runtime’s set-up)', () => {
  const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
  const CALLER_SPAN = '00f067aa0ba902b7'
  let exporter: InMemorySpanExporter
  let provider: BasicTracerProvider
  let ids: PresetIdGenerator
  let unsubscribe: () => void
  const errors: unknown[] = []

  beforeEach(() => {
    exporter = new InMemorySpanExporter()
    ids = new PresetIdGenerator()
    provider = new BasicTracerProvider({ idGenerator: ids, spanProcessors: [new SimpleSpanProcessor(exporter)] })
    errors.length = 0
    unsubscribe = subscribeTracing(provider.getTracer('test'), { sampling: { ratio: 1 }, ids, onError: (err) => errors.push(err) })
  })
  afterEach(async () => {
    unsubscribe()
    await provider.shutdown()
  })

  function request(headers: Record<string, string>, status = 200): string | undefined {
    const t = { route: 'get-order', path: '/orders/:id', method: 'GET', requestId: 'r-1', headers, traceparent: undefined as string | undefined, span: undefined, status: 0, errorCode: null as string | null }
    gatewayTracing.start.publish(t)
    t.status = status
    if (status >= 500) t.errorCode = 'SB_ERR_SYSTEM_UNREACHABLE'
    gatewayTracing.asyncEnd.publish(t)
    return t.traceparent
  }

  it('records the span after the request, with the ids its traceparent already carried and the request’s own times', async () => {
    const before = performance.timeOrigin + performance.now()
    const tp = parseTraceparent(request({}, 502))
    const after = performance.timeOrigin + performance.now()
    assert.ok(tp, 'a valid traceparent went upstream at once')
    assert.equal(tp.traceFlags, 1)
    assert.equal(exporter.getFinishedSpans().length, 0, 'the SDK has not been asked yet')
    await setImmediate()
    const [span, ...more] = exporter.getFinishedSpans()
    assert.ok(span)
    assert.equal(more.length, 0)
    assert.equal(span.spanContext().traceId, tp.traceId)
    assert.equal(span.spanContext().spanId, tp.spanId)
    assert.equal(span.parentSpanContext, undefined)
    assert.equal(span.name, 'GET /orders/:id')
    assert.equal(span.attributes['http.route'], '/orders/:id')
    assert.equal(span.attributes['switchboard.route'], 'get-order')
    assert.equal(span.attributes['http.response.status_code'], 502)
    assert.deepEqual(span.status, { code: SpanStatusCode.ERROR, message: 'SB_ERR_SYSTEM_UNREACHABLE' })
    const ms = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6
    // Taken while the request ran, not when the SDK was asked (1 ms: the hrtime conversion's rounding).
    assert.ok(ms(span.startTime) >= before - 1 && ms(span.endTime) <= after + 1, 'start and end within the request')
    assert.ok(ms(span.endTime) >= ms(span.startTime))
    assert.deepEqual(errors, [])
  })

  it('continues a sampled caller’s trace; spans started directly get fresh ids, never a preset left over', async () => {
    const tp = parseTraceparent(request({ traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` }))
    assert.equal(tp?.traceId, CALLER_TRACE)
    await setImmediate()
    const [gateway] = exporter.getFinishedSpans()
    assert.equal(gateway?.spanContext().spanId, tp?.spanId)
    assert.equal(gateway?.parentSpanContext?.spanId, CALLER_SPAN)
    // The child took the caller's trace id, so its preset trace id went unused: it must not leak.
    const other = provider.getTracer('test').startSpan('other')
    other.end()
    assert.notEqual(other.spanContext().traceId, CALLER_TRACE)
    assert.notEqual(other.spanContext().traceId, tp?.traceId)
    assert.notEqual(other.spanContext().spanId, tp?.spanId)
  })

  it('hands a full batch over at once, and what is pending when it unsubscribes', () => {
    for (let i = 0; i < 128; i++) request({})
    assert.equal(exporter.getFinishedSpans().length, 128, 'a full batch does not wait for the event loop')
    const last = parseTraceparent(request({}))
    assert.equal(exporter.getFinishedSpans().length, 128)
    unsubscribe()
    const spans = exporter.getFinishedSpans()
    assert.equal(spans.length, 129, 'flushed before the provider shuts down')
    assert.equal(spans[128]?.spanContext().spanId, last?.spanId)
    assert.equal(new Set(spans.map((s) => s.spanContext().spanId)).size, 129)
  })
})
