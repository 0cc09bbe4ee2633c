/**
 * The span worker: a worker thread that turns the gateway's span records into SDK spans and
 * exports them over OTLP/HTTP, so neither the SDK's span objects, their batching, nor the
 * encoding and sending of exports run on — or live in the heap of — the thread that answers
 * requests. Started by span-worker-host.ts when tracing only exports over OTLP; the flows' spans
 * stay on the node's thread (few, and their context is needed there at once).
 *
 * Messages in: `{ type: 'spans', records }` (a batch of GatewaySpanRecord), `{ type: 'stop' }`.
 * Messages out: `{ type: 'ready' }` once loaded, `{ type: 'done', count }` per batch, `{ type: 'diag', message, detail }`
 * (OpenTelemetry's warnings, to the node's log), `{ type: 'stopped' }` once flushed.
 */
import { diag, DiagLogLevel } from '@opentelemetry/api'
import { parentPort, workerData } from 'node:worker_threads'
// The modules themselves, not observe/index.js: that would load prom-client, the health tracker
// and the alerts into this thread's heap for nothing.
import { PresetIdGenerator, TracerSpanSink, type GatewaySpanRecord } from '../observe/deferred-spans.js'
import { TRACER_NAME } from '../observe/tracing.js'
import { otlpProcessor, rateLimitedDiag, recordingProvider, type OtlpExportOptions } from './span-export.js'

export interface SpanWorkerData {
  export: OtlpExportOptions
  resource: Record<string, string>
  version: string | undefined
}

export type SpanWorkerRequest = { type: 'spans'; records: readonly GatewaySpanRecord[] } | { type: 'stop' }
export type SpanWorkerReply = { type: 'ready' } | { type: 'done'; count: number } | { type: 'diag'; message: string; detail: unknown[] } | { type: 'stopped' }

const port = parentPort
if (port === null) throw new Error('span-worker.ts runs as a worker thread (see span-worker-host.ts)')
const post = (m: SpanWorkerReply): void => port.postMessage(m)
const data = workerData as SpanWorkerData

diag.setLogger(
  rateLimitedDiag((message, detail) => post({ type: 'diag', message, detail })),
  { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
)
const ids = new PresetIdGenerator()
// Sampling was decided on the node's thread: every record is a sampled span.
const provider = recordingProvider(ids, data.resource, [otlpProcessor(data.export)])
const sink = new TracerSpanSink(provider.getTracer(TRACER_NAME, data.version), ids, (err) =>
  post({ type: 'diag', message: `a gateway span could not be recorded: ${err instanceof Error ? err.message : String(err)}`, detail: [] }),
)

post({ type: 'ready' })
port.on('message', (m: SpanWorkerRequest) => {
  if (m.type === 'spans') {
    sink.record(m.records)
    post({ type: 'done', count: m.records.length })
  } else if (m.type === 'stop') {
    // Bounded by the exporter's own timeout; the host gives up a little after that anyway.
    provider.shutdown().then(
      () => post({ type: 'stopped' }),
      (err: unknown) => {
        post({ type: 'diag', message: `flushing the last spans failed: ${err instanceof Error ? err.message : String(err)}`, detail: [] })
        post({ type: 'stopped' })
      },
    )
  }
})
