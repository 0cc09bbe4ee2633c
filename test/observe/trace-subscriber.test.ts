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
import { PUBLISH_TRACE_CHANNEL, subscribeTracing } from '../../src/observe/index.js'
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
    unsubscribe = subscribeTracing(provider.getTracer('test'), (err) => errors.push(err))
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
    unsubscribe = subscribeTracing(broken, (err) => errors.push(err))
    const r = await publisher.publish({ topic: 'item.changed', id: 'e', body: { id: 'e' }, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })
    assert.equal(r.duplicate, false)
    assert.equal(errors.length, 1)
    // Untraced, the caller's context is stored as it came.
    assert.equal((await store.events.get(r.id))?.traceparent, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
  })
})
