/**
 * `GET /metrics` without a web framework: the admin server mounts it (observe does not depend on
 * admin). Whether the route needs the admin token is the admin server's decision.
 */
import type { InstalledMetrics } from './metrics.js'

export interface MetricsResponse {
  /** `text/plain; version=0.0.4; charset=utf-8` (the Prometheus text format). */
  contentType: string
  body: string
}

/** The answer to a scrape: runs the scrape-time collectors (queue gauges) and renders the text. */
export async function metricsResponse(metrics: Pick<InstalledMetrics, 'contentType' | 'metricsText'>): Promise<MetricsResponse> {
  return { contentType: metrics.contentType, body: await metrics.metricsText() }
}
