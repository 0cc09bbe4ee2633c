/**
 * The delivery path of each alert channel, built from `channels` and run by the event flows
 * like any other: an internal topic, an internal flow and an internal system, all three named
 * `switchboard.alerts.<channel>` (a prefix no config may use, see config/reserved.ts).
 *
 *     alert loop ──event (id = notification id)──▶ topic switchboard.alerts.ops
 *        ──flow switchboard.alerts.ops (retry schedule, DLQ, signature)──▶ system switchboard.alerts.ops (the channel URL)
 *
 * The event body is the channel's payload (webhook JSON or Slack message); the flow has no
 * transform, so it is sent as is. Deliveries are ordered per alert instance, so a `resolved`
 * never overtakes its `firing`. The channel's URL is split into the system's origin and the
 * flow's path; the path is never shown in delivery records (a Slack URL's token is its path).
 */
import type { LoadedConfig } from '../config/load.js'
import { alertChannelPath } from '../config/reserved.js'
import { ALERT_RETRY_DEFAULTS, type AlertChannelConfig } from '../config/spec/alert.js'
import type { FlowConfig } from '../config/spec/flow.js'
import type { RawConfig } from '../config/spec/root.js'
import type { SystemConfig } from '../config/spec/system.js'
import type { TopicConfig } from '../config/spec/topic.js'
import { REDACTED } from '../flows/redact.js'
import type { TargetConfig } from '../flows/target.js'

/**
 * Headers a channel may not set: the body's framing and the headers every delivery sets itself
 * (idempotency key, request id, trace context, the Standard Webhooks signature).
 */
const OWN_HEADERS = new Set(['content-type', 'content-length', 'idempotency-key', 'x-request-id', 'traceparent', 'webhook-id', 'webhook-timestamp', 'webhook-signature'])

/** Deliveries of one channel in flight at once, per node: notifications are few. */
const CONCURRENCY = 4

/** The internal topics, flows and systems of a config's channels. */
export interface AlertChannelPaths {
  topics: Record<string, TopicConfig>
  flows: FlowConfig[]
  systems: Record<string, SystemConfig>
}

export function alertChannelPaths(channels: Readonly<Record<string, AlertChannelConfig>>): AlertChannelPaths {
  const out: AlertChannelPaths = { topics: {}, flows: [], systems: {} }
  for (const [channel, config] of Object.entries(channels)) {
    const kind = config.webhook ?? config.slack
    if (kind === undefined) continue
    const name = alertChannelPath(channel)
    const url = new URL(kind.url)
    const what = `Notifications of alert channel "${channel}"`
    out.topics[name] = { description: what }
    const to: TargetConfig = {
      system: name,
      // `{…}` would read as a placeholder; the query may hold braces the URL parser left alone.
      post: (url.pathname + url.search).replaceAll('{', '%7B').replaceAll('}', '%7D'),
      sign: config.webhook?.secret === undefined ? undefined : { secret: config.webhook.secret },
      recordedPath: REDACTED,
    }
    out.flows.push({
      id: name,
      on: name,
      description: what,
      to: to as NonNullable<FlowConfig['to']>,
      ordering: 'key',
      concurrency: CONCURRENCY,
      retry: { ...ALERT_RETRY_DEFAULTS, ...kind.retry },
    })
    const headers = Object.fromEntries(Object.entries(config.webhook?.headers ?? {}).filter(([k]) => !OWN_HEADERS.has(k.toLowerCase())))
    out.systems[name] = {
      description: what,
      baseUrl: url.origin,
      // Credentials in the URL (`https://user:pass@host/…`) become Basic auth: a base URL may not hold them.
      ...(url.username === '' ? {} : { auth: { type: 'basic' as const, username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } }),
      headers,
      timeout: '10s',
      connectTimeout: '5s',
      pool: { connections: CONCURRENCY, keepAlive: '60s' },
    }
  }
  return out
}

/**
 * The config a node runs: the user's, plus the internal topic, flow and system of every alert
 * channel (appended: the user's flows keep their indexes). The systems layer, the flows and the
 * observability get this one; the admin API, the gateway and the config sync keep the user's.
 */
export function withAlertChannels(config: Readonly<RawConfig>): Readonly<RawConfig> {
  const paths = alertChannelPaths(config.channels ?? {})
  if (paths.flows.length === 0) return config
  return {
    ...config,
    topics: { ...config.topics, ...paths.topics },
    flows: [...(config.flows ?? []), ...paths.flows],
    systems: { ...config.systems, ...paths.systems },
  }
}

/** {@link withAlertChannels} for a loaded config (the flows compile from `config` and `dir`). */
export function loadedWithAlertChannels(loaded: LoadedConfig): LoadedConfig {
  const config = withAlertChannels(loaded.config)
  return config === loaded.config ? loaded : { ...loaded, config }
}
