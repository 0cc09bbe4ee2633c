/**
 * Events through the admin API: publish one to a topic (what `switchboard publish` calls), list
 * recent events and show one with its deliveries. A publish is answered 202 only once the event
 * and its deliveries are committed — the same promise as a gateway publish route.
 */
import { Type, type Static } from '@sinclair/typebox'
import { SwitchboardError } from '../../core/errors.js'
import type { AdminRouteModule } from '../route-module.js'
import { DeliveryView, EventView, deliveryView, eventView, flowsOf } from '../flow-views.js'
import { LimitQuery, ListOf, ProblemSchema } from '../schemas.js'

const TopicParams = Type.Object({ topic: Type.String({ minLength: 1, maxLength: 200, description: 'Topic name (declared under `topics:`).' }) })
const PublishQuery = Type.Object({
  key: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Ordering key (also accepted as the `X-Event-Key` header).' })),
})
const Accepted = Type.Object({
  id: Type.String({ description: 'The stored event’s id (the original one for a duplicate).' }),
  topic: Type.String(),
  duplicate: Type.Boolean({ description: 'True when an event with this source id was already accepted: it is not delivered twice.' }),
})
const EventParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$', description: 'Event id.' }) })
const EventsQuery = Type.Object({
  topic: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Only events of this topic.' })),
  before: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$', description: 'Only events older than this id (pass `next`).' })),
  limit: Type.Optional(LimitQuery),
})

/** One header value, or undefined; a header sent twice with different values is refused. */
function header(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) {
    if (new Set(value).size > 1) throw new SwitchboardError('SB_ERR_ADMIN_BAD_REQUEST', `header ${name} was sent more than once with different values`)
    return value[0]
  }
  return value
}

/** Both spellings of the same thing must agree when both are sent. */
function either(a: string | undefined, b: string | undefined, what: string): string | undefined {
  if (a !== undefined && b !== undefined && a !== b) throw new SwitchboardError('SB_ERR_ADMIN_BAD_REQUEST', `two different event ${what}s were given`)
  return a ?? b
}

export const registerEventRoutes: AdminRouteModule = (app, deps) => {
  app.post<{ Params: Static<typeof TopicParams>; Querystring: Static<typeof PublishQuery>; Body: unknown }>(
    '/v1/topics/:topic/events',
    {
      schema: {
        summary: 'Publish an event: the body is the event body; 202 once it and its deliveries are committed',
        description:
          'The event id (dedupe key within the topic) comes from the `Idempotency-Key` or `X-Event-Id` header (generated when absent); an id already accepted on the topic answers 202 with `duplicate: true` and delivers nothing again. The ordering key comes from `?key=` or the `X-Event-Key` header. The body is validated against the topic’s JSON Schema: 422 lists every violation and nothing is stored.',
        tags: ['events'],
        params: TopicParams,
        querystring: PublishQuery,
        body: Type.Unknown({ description: 'The event body (JSON).' }),
        response: {
          202: Accepted,
          404: { ...ProblemSchema, description: 'No such topic (SB_ERR_EVENT_UNKNOWN_TOPIC).' },
          422: { ...ProblemSchema, description: 'The body does not match the topic schema, or the id/key is unusable (SB_ERR_EVENT_INVALID, with `violations`).' },
          503: { ...ProblemSchema, description: 'Not accepted (node stopping, store unavailable): retry with the same id.' },
        },
      },
    },
    async (req, reply) => {
      const flows = flowsOf(deps)
      const h = req.headers
      const id = either(header(h['idempotency-key'], 'Idempotency-Key'), header(h['x-event-id'], 'X-Event-Id'), 'id')
      const key = either(req.query.key, header(h['x-event-key'], 'X-Event-Key'), 'key')
      const traceparent = header(h.traceparent, 'traceparent')
      const result = await flows.publish({ topic: req.params.topic, id, key, body: req.body, requestId: req.id, traceparent })
      return reply.code(202).send({ id: result.id, topic: req.params.topic, duplicate: result.duplicate })
    },
  )

  app.get<{ Querystring: Static<typeof EventsQuery> }>(
    '/v1/events',
    {
      schema: {
        summary: 'Accepted events, newest first',
        tags: ['events'],
        querystring: EventsQuery,
        response: { 200: ListOf(EventView, { next: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `before` for the next page; null on the last page.' }) }) },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50
      const rows = await flowsOf(deps).events.list({ topic: req.query.topic, before: req.query.before, limit })
      const last = rows.at(-1)
      return { items: rows.map(eventView), next: rows.length === limit && last ? last.id : null }
    },
  )

  app.get<{ Params: Static<typeof EventParams> }>(
    '/v1/events/:id',
    {
      schema: {
        summary: 'One event with its deliveries (one per flow subscribed to its topic)',
        tags: ['events'],
        params: EventParams,
        response: {
          200: Type.Object({ event: EventView, deliveries: Type.Array(DeliveryView, { description: 'Newest first.' }) }),
          404: { ...ProblemSchema, description: 'No such event, or it was pruned (SB_ERR_ADMIN_NOT_FOUND).' },
        },
      },
    },
    async (req) => {
      const flows = flowsOf(deps)
      const event = await flows.events.show(req.params.id)
      if (!event) throw new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', `no event ${JSON.stringify(req.params.id)} (unknown, or pruned after retention)`)
      const deliveries = await flows.deliveries.list({ eventId: event.id, limit: 1000 })
      return { event: eventView(event), deliveries: deliveries.map(deliveryView) }
    },
  )
}
