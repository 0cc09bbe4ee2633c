/**
 * The observability layer's public API: metrics, health summaries, alerts and trace helpers,
 * all fed by `node:diagnostics_channel` (see channels.ts). The logger is `./logger.js`.
 */
export * from './channels.js'
export { installMetrics, createMetricsRegistry, type InstalledMetrics, type MetricsOptions, type KnownNames } from './metrics.js'
export { metricsResponse, type MetricsResponse } from './metrics-endpoint.js'
export { renderMetricsDocs } from './metrics-docs.js'
export { METRIC_DEFS, type MetricDef } from './metric-defs.js'
export { namesFromConfig, type ConfigNames } from './known-names.js'
export type { FlowQueueStats, QueueStatsProvider } from './queue-stats.js'
export { HealthTracker, type HealthOptions } from './health.js'
export * from './health-types.js'
export * from './traceparent.js'
export * from './tracing.js'
export { subscribeTracing, GATEWAY_TRACE_CHANNEL, PUBLISH_TRACE_CHANNEL, DELIVERY_TRACE_CHANNEL } from './trace-subscriber.js'
export * from './alerts/index.js'
export { PresetIdGenerator, TracerSpanSink, type GatewaySpanRecord, type GatewaySpanSink } from './deferred-spans.js'
