/**
 * Turns tracing on for a node: builds an OpenTelemetry SDK tracer provider from `telemetry:` —
 * parent-based sampling over a trace-id ratio, a batch span processor exporting over OTLP/HTTP —
 * and subscribes it to the gateway's and the flows' tracing channels (src/observe/trace-subscriber.ts).
 * Without `telemetry.otlp` (and no extra span processor) nothing is subscribed: the hot paths
 * skip span work entirely and only carry the caller's `traceparent`, as before.
 *
 * The provider is the node's own, not registered as the global one: an embedding application
 * keeps its own, and two nodes in one process (tests) do not fight over the global. Switchboard's
 * spans never need the global: the trace context travels explicitly, in headers and in the store.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api'
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import type { Logger } from 'pino'
import type { TelemetryConfig } from '../config/spec/telemetry.js'
import { durationMs } from '../core/duration.js'
import { newId } from '../core/ids.js'
import { PresetIdGenerator, subscribeTracing, TRACER_NAME } from '../observe/index.js'

export interface TracingOptions {
  telemetry: Readonly<TelemetryConfig> | undefined
  logger: Logger
  /** `service.version` of the spans. */
  version?: string | undefined
  /**
   * Span processors added to the provider (tests: an in-memory exporter; embedding: your own).
   * Tracing is on when there is one, or when `telemetry.otlp` is configured.
   */
  spanProcessors?: readonly SpanProcessor[] | undefined
}

export interface Tracing {
  /** False when nothing records spans (no exporter configured). */
  readonly enabled: boolean
  /** Unsubscribes, then flushes the spans still buffered (bounded by `telemetry.otlp.timeout`) and shuts the exporter down. */
  stop(): Promise<void>
}

const DEFAULT_EXPORT_TIMEOUT = '10s'
const TRACES_PATH = '/v1/traces'

/** `<endpoint>/v1/traces`, unless the endpoint already names that path. */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint)
  if (!url.pathname.endsWith(TRACES_PATH)) url.pathname = `${url.pathname.replace(/\/+$/, '')}${TRACES_PATH}`
  return url.toString()
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

/** OpenTelemetry's own warnings (a failed export) into the node's log, at most once a minute per message. */
function diagnosticsLogger(logger: Logger): DiagLogger {
  const last = new Map<string, number>()
  const warn = (raw: unknown, ...args: unknown[]): void => {
    const message = diagMessage(raw)
    const now = Date.now()
    // Keyed without digits: "Dropped 3564 spans…" and "Dropped 1485 spans…" are one message.
    const key = message.replace(/\d+/g, '#')
    if ((last.get(key) ?? -Infinity) > now - 60_000) return
    last.set(key, now)
    logger.warn({ component: 'tracing', detail: args.map((a) => (a instanceof Error ? a.message : a)) }, `tracing: ${message}`)
  }
  const ignore = (): void => undefined
  return { error: warn, warn, info: ignore, debug: ignore, verbose: ignore }
}

/** Starts tracing as `telemetry:` says; a no-op handle when it is off. */
export function startTracing(o: TracingOptions): Tracing {
  const t = o.telemetry
  const processors: SpanProcessor[] = [...(o.spanProcessors ?? [])]
  const otlp = t?.otlp
  const timeoutMs = durationMs(otlp?.timeout ?? DEFAULT_EXPORT_TIMEOUT)
  if (otlp !== undefined) {
    // protobuf unless told otherwise: OTLP's default, and the cheaper of the two to encode and send.
    const Exporter = otlp.protocol === 'http/json' ? OtlpJsonExporter : OtlpProtobufExporter
    const exporter = new Exporter({ url: tracesUrl(otlp.endpoint), headers: { ...otlp.headers }, timeoutMillis: timeoutMs })
    processors.push(new BatchSpanProcessor(exporter, { exportTimeoutMillis: timeoutMs }))
  }
  if (processors.length === 0) return { enabled: false, stop: () => Promise.resolve() }

  const ratio = t?.sampling?.ratio ?? 1
  // Gateway spans are handed to the SDK after their request, with the ids already sent upstream.
  const ids = new PresetIdGenerator()
  const provider = new BasicTracerProvider({
    idGenerator: ids,
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: t?.serviceName ?? 'switchboard',
      [ATTR_SERVICE_INSTANCE_ID]: newId(),
      ...(o.version !== undefined ? { [ATTR_SERVICE_VERSION]: o.version } : {}),
    }),
    // Parent-based sampling at `ratio` is decided by the subscriber before a span reaches the SDK
    // (unsampled requests skip it entirely); what does reach it is recorded.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: processors,
  })
  // Process-wide, like the SDK's own default; only warnings and errors (a collector that is down).
  diag.setLogger(diagnosticsLogger(o.logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true })
  const log = o.logger.child({ component: 'tracing' })
  const unsubscribe = subscribeTracing(provider.getTracer(TRACER_NAME, o.version), {
    onError: (err) => log.error({ err }, 'a tracing handler failed'),
    sampling: { ratio },
    ids,
  })
  if (otlp !== undefined) log.info({ endpoint: tracesUrl(otlp.endpoint), protocol: otlp.protocol ?? 'http/protobuf', ratio }, 'exporting traces over OTLP/HTTP')

  let stopping: Promise<void> | undefined
  return {
    enabled: true,
    stop: () =>
      (stopping ??= (async () => {
        unsubscribe()
        // Bounded: the exporter gives up after its timeout; never hold the shutdown longer.
        let timer: NodeJS.Timeout | undefined
        const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs + 1_000)))
        try {
          await Promise.race([provider.shutdown(), late])
        } catch (err) {
          log.warn({ err }, 'flushing the last spans failed')
        } finally {
          clearTimeout(timer)
        }
      })()),
  }
}
