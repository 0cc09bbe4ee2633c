/**
 * Alerts: rules over the health figures (see docs/guides/monitoring.md) and the channels they
 * notify. A rule holds exactly one condition; leaving out its subject (`flow`, `system`, `route`,
 * `poller`) applies it to each one, as separate alerts.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Description, Duration, Headers, HttpUrl, Name, Obj, Secret } from './common.js'
import { RetryPolicy } from './system.js'

const Ratio = (description: string) => Type.Number({ minimum: 0, maximum: 1, description })
const Window = () => Type.Optional(Duration({ 'x-positive': true, default: '5m', description: 'Window the rate is computed over (at most 1h).' }))
const MinSamples = (what: string) =>
  Type.Optional(Type.Integer({ minimum: 1, default: 5, description: `Fewer ${what} than this in the window never fire (one failure of one is not a rate).` }))
const FlowRef = () => Type.Optional(Name({ description: 'Flow id; every flow when left out.' }))

export const AlertConditionSpec = Obj(
  {
    flowErrorRate: Type.Optional(
      Obj(
        { flow: FlowRef(), above: Ratio('Share of failed attempts (retried or dead) that fires, 0..1.'), window: Window(), minAttempts: MinSamples('attempts') },
        { description: 'Delivery attempts failing.' },
      ),
    ),
    dlqDepth: Type.Optional(
      Obj({ flow: FlowRef(), above: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Fires when more deliveries than this are dead-lettered.' })) }, { description: 'Dead-letter queue not empty.' }),
    ),
    oldestPending: Type.Optional(
      Obj({ flow: FlowRef(), olderThan: Duration({ 'x-positive': true, description: 'Fires when the oldest pending delivery is older than this.' }) }, { description: 'Deliveries stuck in the queue.' }),
    ),
    circuitOpen: Type.Optional(
      Obj(
        {
          system: Type.Optional(Name({ description: 'System name; every system when left out.' })),
          longerThan: Type.Optional(Duration({ default: '0s', description: 'Fires when the circuit has not been closed (open or probing) for longer than this.' })),
        },
        { description: 'A system’s circuit breaker is open.' },
      ),
    ),
    routeErrorRate: Type.Optional(
      Obj(
        {
          route: Type.Optional(Name({ description: 'Route id; every route when left out.' })),
          above: Ratio('Share of 5xx answers that fires, 0..1.'),
          window: Window(),
          minRequests: MinSamples('requests'),
        },
        { description: 'A gateway route answering 5xx.' },
      ),
    ),
    pollerFailing: Type.Optional(
      Obj(
        {
          poller: Type.Optional(Name({ description: 'Poller id; every poller when left out.' })),
          consecutiveFailures: Type.Optional(Type.Integer({ minimum: 1, default: 3, description: 'Failed runs in a row that fire.' })),
        },
        { description: 'A poller failing run after run.' },
      ),
    ),
  },
  { minProperties: 1, maxProperties: 1, description: 'The condition: exactly one of these keys.' },
)

export const AlertSpec = Obj(
  {
    id: Name(),
    description: Description(),
    when: AlertConditionSpec,
    for: Type.Optional(Duration({ default: '0s', description: 'How long the condition must hold before the alert fires (flapping guard).' })),
    severity: Type.Optional(Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')], { default: 'warning' })),
    channels: Type.Array(Name(), { minItems: 1, uniqueItems: true, description: 'Names of the `channels` to notify, on firing and on resolved.' }),
  },
  { description: 'A rule over the health figures that notifies channels when it fires and when it resolves.' },
)

/**
 * The retry schedule of notifications when a channel does not set one: 12 attempts spread over
 * about an hour (5s, 10s, 20s … capped at 10m), given up after 2h — an alert hours late is
 * mostly noise, and a notification given up is kept in the dead-letter queue.
 */
export const ALERT_RETRY_DEFAULTS = Object.freeze({ attempts: 12, initial: '5s', max: '10m', factor: 2, maxAge: '2h', jitter: 'full' } as const)

/** The flows' retry policy with the alert defaults. */
const ChannelRetry = () =>
  Type.Optional(
    Obj(
      Object.fromEntries(
        Object.entries(RetryPolicy.properties).map(([k, schema]) => [k, { ...(schema as TSchema), default: ALERT_RETRY_DEFAULTS[k as keyof typeof ALERT_RETRY_DEFAULTS] }]),
      ) as typeof RetryPolicy.properties,
      {
        description:
          'Retry schedule of this channel’s notifications, which are delivered like the deliveries of a flow (a notification given up lands in the dead-letter queue). By default 12 attempts over about an hour (5s, 10s, 20s … 10m), at most 2h.',
      },
    ),
  )

export const AlertChannelSpec = Obj(
  {
    webhook: Type.Optional(
      Obj(
        {
          url: HttpUrl({ description: 'Receives a JSON POST per notification.' }),
          secret: Type.Optional(Secret({ description: 'Standard Webhooks signing secret (`whsec_…`): notifications carry `webhook-id`, `webhook-timestamp` and `webhook-signature`.' })),
          headers: Type.Optional(Headers({ description: 'Extra request headers (values may be secret references).' })),
          retry: ChannelRetry(),
        },
        { description: 'Generic JSON webhook.' },
      ),
    ),
    slack: Type.Optional(
      Obj(
        {
          url: HttpUrl({ description: 'Slack (or compatible: Mattermost, Rocket.Chat) incoming webhook URL. It embeds a token: use a secret reference.' }),
          channel: Type.Optional(Type.String({ minLength: 1, description: 'Channel override, for webhooks that allow it.' })),
          username: Type.Optional(Type.String({ minLength: 1, description: 'Sender name override, for webhooks that allow it.' })),
          retry: ChannelRetry(),
        },
        { description: 'Slack-compatible incoming webhook.' },
      ),
    ),
  },
  { minProperties: 1, maxProperties: 1, description: 'Where alert notifications go: exactly one of these keys.' },
)

export type AlertConditionConfig = Static<typeof AlertConditionSpec>
export type AlertConfig = Static<typeof AlertSpec>
export type AlertChannelConfig = Static<typeof AlertChannelSpec>
