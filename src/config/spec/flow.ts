import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Description, Expression, Headers, Name, Obj, Owner, Secret } from './common.js'
import { RetryPolicy } from './system.js'

const PathTemplate = (d: string) => Type.String({ pattern: '^/', description: d })

export const DeliveryTarget = Obj(
  {
    system: Name({ description: 'Target system.' }),
    post: Type.Optional(PathTemplate('POST to this path; `{field}` placeholders come from the event body.')),
    put: Type.Optional(PathTemplate('PUT to this path.')),
    patch: Type.Optional(PathTemplate('PATCH to this path.')),
    delete: Type.Optional(PathTemplate('DELETE this path.')),
    headers: Type.Optional(Headers()),
    sign: Type.Optional(Obj({ secret: Secret({ description: 'Standard Webhooks signing secret (`whsec_…`).' }) })),
  },
  { description: 'Deliver to a system: one method key with its path.' },
)

/**
 * The system's RetryPolicy without defaults: a field the flow leaves out falls back to the
 * target system's `retry`, then to the defaults (the loader fills defaults into every object
 * present, which would otherwise make a partial flow `retry` override the system's settings).
 */
const FlowRetryPolicy = Obj(
  Object.fromEntries(
    Object.entries(RetryPolicy.properties).map(([k, schema]) => {
      const { default: _default, ...rest } = schema as TSchema & { default?: unknown }
      return [k, rest]
    }),
  ) as typeof RetryPolicy.properties,
  { description: 'Retry schedule of this flow’s deliveries; a field left out comes from the target system’s `retry`, then from its defaults.' },
)

export const FlowSpec = Obj(
  {
    id: Name({ description: 'Unique flow id (ids starting with `switchboard.` are reserved).' }),
    on: Type.String({ minLength: 1, description: 'Topic this flow subscribes to.' }),
    owner: Owner(),
    description: Description(),
    filter: Type.Optional(
      Expression({ description: 'JSONata predicate over the event body (`$event` holds id, topic, key, headers, createdAt), evaluated when the delivery runs; false → the delivery ends `skipped`.' }),
    ),
    transform: Type.Optional(Expression({ description: 'JSONata producing the request body from the event body (default: the event body unchanged). An error dead-letters the delivery with the expression’s message.' })),
    to: Type.Optional(DeliveryTarget),
    publish: Type.Optional(Obj({ topic: Type.String({ minLength: 1 }) }, { description: 'Publish the transformed event to another topic.' })),
    ordering: Type.Optional(
      Type.Union([Type.Literal('none'), Type.Literal('key')], {
        default: 'none',
        description: '`key`: deliveries of one event key go one at a time, in acceptance order (a failing head blocks only its key). `none`: in parallel up to `concurrency`.',
      }),
    ),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, default: 16, description: 'Deliveries of this flow in flight at once, per node.' })),
    retry: Type.Optional(FlowRetryPolicy),
    retryOn: Type.Optional(
      Obj({
        statuses: Type.Optional(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { description: 'Statuses that are retried (replaces the default 408, 425, 429, 5xx).' })),
        deadOn: Type.Optional(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { description: 'Statuses that dead-letter at once.' })),
      }),
    ),
  },
  { description: 'A subscription: topic → filter → transform → delivery.' },
)
export type FlowConfig = Static<typeof FlowSpec>
