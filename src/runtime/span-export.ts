/**
 * The SDK side of tracing, shared by the node's own thread and the span worker: the tracer
 * provider both build, the exporter `telemetry.otlp` asks for with the batch processor around
 * it, and OpenTelemetry's diagnostics turned into rate-limited warnings.
 */
import type { DiagLogger } from '@opentelemetry/api'
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { PresetIdGenerator } from '../observe/index.js'

/** Where and how spans are exported: plain data, so it can also be handed to the span worker. */
export interface OtlpExportOptions {
  /** `<endpoint>/v1/traces`. */
  url: string
  /** Resolved header values (secrets already substituted). */
  headers: Record<string, string>
  protocol: 'http/protobuf' | 'http/json'
  timeoutMs: number
}

/** A batch span processor exporting over OTLP/HTTP (every 5 s or 512 spans, the SDK's defaults). */
export function otlpProcessor(o: OtlpExportOptions): SpanProcessor {
  // protobuf unless told otherwise: OTLP's default, and the cheaper of the two to encode and send.
  const Exporter = o.protocol === 'http/json' ? OtlpJsonExporter : OtlpProtobufExporter
  const exporter = new Exporter({ url: o.url, headers: { ...o.headers }, timeoutMillis: o.timeoutMs })
  return new BatchSpanProcessor(exporter, { exportTimeoutMillis: o.timeoutMs })
}

/**
 * A tracer provider that records whatever reaches it: parent-based sampling at the configured
 * ratio is decided by the subscriber before a span reaches the SDK (unsampled requests skip it
 * entirely), so the SDK's sampler is `ParentBased(AlwaysOn)`. `ids` hands gateway spans the ids
 * their `traceparent` already carried; `resource` is plain attributes, so the worker gets the same.
 */
export function recordingProvider(ids: PresetIdGenerator, resource: Record<string, string>, spanProcessors: SpanProcessor[]): BasicTracerProvider {
  return new BasicTracerProvider({ idGenerator: ids, resource: resourceFromAttributes(resource), sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), spanProcessors })
}

/**
 * The text of a diag message. The SDK's global error handler logs an exception as its JSON
 * (`{"stack":…,"message":"Timeout","name":"Error"}`): keep the message, not a stack trace.
 */
function diagMessage(raw: unknown): string {
  if (raw instanceof Error) return raw.message
  const text = String(raw)
  if (!text.startsWith('{')) return text
  try {
    const parsed = JSON.parse(text) as { message?: unknown }
    return typeof parsed.message === 'string' ? parsed.message : text
  } catch {
    return text
  }
}

/**
 * OpenTelemetry's warnings and errors (a failed export) as `warn(message, detail)` calls, at most
 * once a minute per message; info and debug are dropped.
 */
export function rateLimitedDiag(warn: (message: string, detail: unknown[]) => void): DiagLogger {
  const last = new Map<string, number>()
  const onWarn = (raw: unknown, ...args: unknown[]): void => {
    const message = diagMessage(raw)
    const now = Date.now()
    // Keyed without digits: "Dropped 3564 spans…" and "Dropped 1485 spans…" are one message.
    const key = message.replace(/\d+/g, '#')
    if ((last.get(key) ?? -Infinity) > now - 60_000) return
    last.set(key, now)
    warn(message, args.map((a) => (a instanceof Error ? a.message : a)))
  }
  const ignore = (): void => undefined
  return { error: onWarn, warn: onWarn, info: ignore, debug: ignore, verbose: ignore }
}
