/**
 * Every Switchboard metric, declared once: the registry is built from this table and
 * docs/reference/metrics.md is generated from it, so the two cannot drift. Labels are bounded
 * (see labels.ts): route, consumer, system, flow, topic and poller names come from the config;
 * the others are closed vocabularies. No ids, no raw paths.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram'

export interface MetricDef {
  readonly name: string
  readonly type: MetricType
  readonly help: string
  readonly labelNames: readonly string[]
  /** Histogram bucket upper bounds, in the metric's unit (seconds). */
  readonly buckets?: readonly number[]
  /** Where the figures come from (for the docs). */
  readonly source: string
}

/** Request-scale latencies: 5 ms … 30 s. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
/** Delivery attempts include slow targets and long timeouts: 10 ms … 2 min. */
const ATTEMPT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

/** Event acceptance to delivery, retries included: 50 ms … 6 h. */
const AGE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600]

const def = <T extends Record<string, MetricDef>>(t: T): T => t

export const METRIC_DEFS = def({
  gatewayRequests: {
    name: 'switchboard_gateway_requests_total',
    type: 'counter',
    help: 'Gateway requests answered, by route id, method, status class and consumer (`anonymous` without one, `other` past the consumer cap).',
    labelNames: ['route', 'method', 'status_class', 'consumer'],
    source: 'switchboard:gateway:request',
  },
  gatewayDuration: {
    name: 'switchboard_gateway_request_duration_seconds',
    type: 'histogram',
    help: 'Time from a request arriving to its response being written, by route id, method and status class.',
    labelNames: ['route', 'method', 'status_class'],
    buckets: REQUEST_BUCKETS,
    source: 'switchboard:gateway:request',
  },
  gatewayRejections: {
    name: 'switchboard_gateway_rejections_total',
    type: 'counter',
    help: 'Gateway requests refused by a limit, by route id, consumer and reason (`rate_limited`, `quota_exceeded`).',
    labelNames: ['route', 'consumer', 'reason'],
    source: 'switchboard:gateway:request',
  },
  systemCalls: {
    name: 'switchboard_system_calls_total',
    type: 'counter',
    help: 'Outbound calls to systems, by system, method and outcome (success, client_error, server_error, timeout, unreachable, circuit_open, rate_limited, aborted, error).',
    labelNames: ['system', 'method', 'outcome'],
    source: 'switchboard:system:call',
  },
  systemDuration: {
    name: 'switchboard_system_call_duration_seconds',
    type: 'histogram',
    help: 'Time from an outbound call to the response headers (or the failure), by system and outcome.',
    labelNames: ['system', 'outcome'],
    buckets: REQUEST_BUCKETS,
    source: 'switchboard:system:call',
  },
  circuitState: {
    name: 'switchboard_circuit_state',
    type: 'gauge',
    help: 'Circuit breaker state per system: 0 closed, 1 half-open, 2 open.',
    labelNames: ['system'],
    source: 'switchboard:circuit:transition',
  },
  circuitTransitions: {
    name: 'switchboard_circuit_transitions_total',
    type: 'counter',
    help: 'Circuit breaker state changes, by system and the states left and entered.',
    labelNames: ['system', 'from', 'to'],
    source: 'switchboard:circuit:transition',
  },
  eventsPublished: {
    name: 'switchboard_events_published_total',
    type: 'counter',
    help: 'Events accepted (committed), by topic; duplicates included (`(unknown)` when the publisher did not say).',
    labelNames: ['topic'],
    source: 'switchboard:flows:publish',
  },
  eventsDuplicate: {
    name: 'switchboard_events_duplicates_total',
    type: 'counter',
    help: 'Accepted events whose id had already been seen (not delivered again), by topic.',
    labelNames: ['topic'],
    source: 'switchboard:flows:publish',
  },
  deliveryOutcomes: {
    name: 'switchboard_delivery_outcomes_total',
    type: 'counter',
    help: 'Deliveries processed, by flow and outcome: `delivered`; `retried` (an attempt failed, another is scheduled); `deferred` (no request sent: circuit open or outbound rate limit; tried later); `skipped` (the flow filter said no); `dead` (moved to the dead-letter queue).',
    labelNames: ['flow', 'outcome'],
    source: 'switchboard:flows:delivery',
  },
  deliveryDuration: {
    name: 'switchboard_delivery_attempt_duration_seconds',
    type: 'histogram',
    help: 'Duration of the delivery attempts that sent a request, by flow and outcome (`delivered`, `retried`, `dead`).',
    labelNames: ['flow', 'outcome'],
    buckets: ATTEMPT_BUCKETS,
    source: 'switchboard:flows:delivery',
  },
  deliveryAge: {
    name: 'switchboard_delivery_age_seconds',
    type: 'histogram',
    help: 'Time from an event being accepted to its delivery, by flow (end-to-end latency, retries included).',
    labelNames: ['flow'],
    buckets: AGE_BUCKETS,
    source: 'switchboard:flows:delivery',
  },
  queueDepth: {
    name: 'switchboard_flow_queue_depth',
    type: 'gauge',
    help: 'Deliveries waiting or in flight, by flow (read from the store at scrape time).',
    labelNames: ['flow'],
    source: 'queue stats provider (at scrape)',
  },
  oldestPendingAge: {
    name: 'switchboard_flow_oldest_pending_age_seconds',
    type: 'gauge',
    help: 'Age of the oldest delivery not yet delivered or dead, by flow (0 when none is pending).',
    labelNames: ['flow'],
    source: 'queue stats provider (at scrape)',
  },
  dlqDepth: {
    name: 'switchboard_flow_dlq_depth',
    type: 'gauge',
    help: 'Deliveries in the dead-letter queue, by flow.',
    labelNames: ['flow'],
    source: 'queue stats provider (at scrape)',
  },
  queueStatsUp: {
    name: 'switchboard_flow_stats_up',
    type: 'gauge',
    help: '0 when the queue figures could not be read at this scrape (the queue gauges are then absent), else 1 (also when this node has no queue).',
    labelNames: [],
    source: 'queue stats provider (at scrape)',
  },
  pollerRuns: {
    name: 'switchboard_poller_runs_total',
    type: 'counter',
    help: 'Poller runs, by poller and outcome (`ok`, `error`).',
    labelNames: ['poller', 'outcome'],
    source: 'switchboard:poller:run',
  },
  pollerItems: {
    name: 'switchboard_poller_items_total',
    type: 'counter',
    help: 'New items published by pollers, by poller.',
    labelNames: ['poller'],
    source: 'switchboard:poller:run',
  },
  malformed: {
    name: 'switchboard_observe_malformed_messages_total',
    type: 'counter',
    help: 'Instrumentation messages dropped because they did not match their channel contract, by channel (non-zero means a publisher and this build disagree).',
    labelNames: ['channel'],
    source: 'all channels',
  },
})

export type MetricKey = keyof typeof METRIC_DEFS

/**
 * prom-client's default process metrics, minus the three gauges it names `*_total`
 * (`nodejs_active_handles_total`, `nodejs_active_requests_total`,
 * `nodejs_active_resources_total`), which `promtool check metrics` flags because only counters
 * may end in `_total`. Their per-type siblings without the suffix (`nodejs_active_handles` …)
 * are kept; `sum()` over them gives the same figure.
 */
export const REMOVED_DEFAULT_METRICS: readonly string[] = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']
