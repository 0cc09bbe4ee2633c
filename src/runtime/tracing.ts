/**
 * Turns tracing on for a node: builds an OpenTelemetry SDK tracer provider from `telemetry:` —
 * parent-based sampling over a trace-id ratio, a batch span processor exporting over OTLP/HTTP —
 * and subscribes it to the gateway's and the flows' tracing channels (src/observe/trace-subscriber.ts).
 * When spans are only exported (no in-process span processor), the gateway's request spans are
 * recorded and exported by a worker thread (span-worker.ts): the SDK's per-span objects and the
 * export's encoding stay off the thread and the heap that answer requests.
 * Without `telemetry.otlp` (and no extra span processor) nothing is subscribed: the hot paths
 * skip span work entirely and only carry the caller's `traceparent`, as before.
 *
 * The provider is the node's own, not registered as the global one: an embedding application
 * keeps its own, and two nodes in one process (tests) do not fight over the global. Switchboard's
 * spans never need the global: the trace context travels explicitly, in headers and in the store.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api'
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import type { Logger } from 'pino'
import type { TelemetryConfig } from '../config/spec/telemetry.js'
import { durationMs } from '../core/duration.js'
import { newId } from '../core/ids.js'
import { PresetIdGenerator, subscribeTracing, TRACER_NAME } from '../observe/index.js'
import { otlpProcessor, rateLimitedDiag, recordingProvider, type OtlpExportOptions } from './span-export.js'
import { SpanWorkerHost } from './span-worker-host.js'

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

/** OpenTelemetry's own warnings (a failed export) into the node's log, at most once a minute per message. */
function diagnosticsLogger(logger: Logger): DiagLogger {
  return rateLimitedDiag((message, detail) => logger.warn({ component: 'tracing', detail }, `tracing: ${message}`))
}

/** Starts tracing as `telemetry:` says; a no-op handle when it is off. */
export function startTracing(o: TracingOptions): Tracing {
  const t = o.telemetry
  const processors: SpanProcessor[] = [...(o.spanProcessors ?? [])]
  const otlp = t?.otlp
  const timeoutMs = durationMs(otlp?.timeout ?? DEFAULT_EXPORT_TIMEOUT)
  const exportOptions: OtlpExportOptions | undefined =
    otlp === undefined ? undefined : { url: tracesUrl(otlp.endpoint), headers: { ...otlp.headers }, protocol: otlp.protocol ?? 'http/protobuf', timeoutMs }
  // Only exporting (no in-process span processor, which would need every span here): gateway
  // spans are recorded and exported by the span worker, off the thread that answers requests.
  const useWorker = exportOptions !== undefined && processors.length === 0
  if (exportOptions !== undefined) processors.push(otlpProcessor(exportOptions))
  if (processors.length === 0) return { enabled: false, stop: () => Promise.resolve() }

  const ratio = t?.sampling?.ratio ?? 1
  // Gateway spans are handed to the SDK after their request, with the ids already sent upstream.
  const ids = new PresetIdGenerator()
  const resource: Record<string, string> = {
    [ATTR_SERVICE_NAME]: t?.serviceName ?? 'switchboard',
    [ATTR_SERVICE_INSTANCE_ID]: newId(),
    ...(o.version !== undefined ? { [ATTR_SERVICE_VERSION]: o.version } : {}),
  }
  const provider = recordingProvider(ids, resource, processors)
  // Process-wide, like the SDK's own default; only warnings and errors (a collector that is down).
  diag.setLogger(diagnosticsLogger(o.logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true })
  const log = o.logger.child({ component: 'tracing' })
  const worker =
    useWorker && exportOptions !== undefined
      ? new SpanWorkerHost({ export: exportOptions, resource, version: o.version }, { warn: (message, detail) => log.warn({ detail }, `tracing: ${message}`) })
      : undefined
  const unsubscribe = subscribeTracing(provider.getTracer(TRACER_NAME, o.version), {
    onError: (err) => log.error({ err }, 'a tracing handler failed'),
    sampling: { ratio },
    ids,
    // To the worker a batch every 100 ms (or 256 records): fewer, larger messages across threads.
    ...(worker !== undefined ? { gatewaySpans: { sink: worker, delayMs: 100, maxBatch: 256 } } : {}),
  })
  if (exportOptions !== undefined) log.info({ endpoint: exportOptions.url, protocol: exportOptions.protocol, ratio, gatewaySpans: worker ? 'worker thread' : 'this thread' }, 'exporting traces over OTLP/HTTP')

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
          // The worker bounds its own flush (from when it has loaded, which from source can be slow).
          await Promise.all([Promise.race([provider.shutdown(), late]), worker?.stop(timeoutMs + 500)])
        } catch (err) {
          log.warn({ err }, 'flushing the last spans failed')
        } finally {
          clearTimeout(timer)
        }
      })()),
  }
}
