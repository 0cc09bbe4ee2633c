import { Type, type Static } from '@sinclair/typebox'
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

export const FlowSpec = Obj(
  {
    id: Name(),
    on: Type.String({ minLength: 1, description: 'Topic this flow subscribes to.' }),
    owner: Owner(),
    description: Description(),
    filter: Type.Optional(Expression({ description: 'JSONata predicate over the event; false → no delivery.' })),
    transform: Type.Optional(Expression({ description: 'JSONata producing the request body.' })),
    to: Type.Optional(DeliveryTarget),
    publish: Type.Optional(Obj({ topic: Type.String({ minLength: 1 }) }, { description: 'Publish the transformed event to another topic.' })),
    ordering: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('key')], { default: 'none' })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, default: 16 })),
    retry: Type.Optional(RetryPolicy),
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
