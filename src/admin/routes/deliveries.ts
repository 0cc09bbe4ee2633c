/**
 * Delivery history: every delivery (one event through one flow), filtered and paged, and one
 * delivery with its event and every attempt — what `switchboard deliveries list|show` prints.
 */
import { Type, type Static } from '@sinclair/typebox'
import { SwitchboardError } from '../../core/errors.js'
import type { AdminRouteModule } from '../route-module.js'
import { DeliveryDetailView, DeliveryIdParam, DeliveryStatusSchema, DeliveryView, deliveryView, detailView, flowsOf, nextSeq } from '../flow-views.js'
import { LimitQuery, ListOf, ProblemSchema } from '../schemas.js'

const Filter = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 200, description }))

const DeliveriesQuery = Type.Object({
  flow: Filter('Only deliveries of this flow.'),
  status: Type.Optional(DeliveryStatusSchema),
  system: Filter('Only deliveries to this system.'),
  event: Filter('Only deliveries of this event id.'),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only deliveries enqueued before this `seq` (pass `next`).' })),
  limit: Type.Optional(LimitQuery),
})

export const NextSeq = Type.Union([Type.Integer(), Type.Null()], { description: 'Pass as `before` for the next page; null on the last page.' })

export const registerDeliveryRoutes: AdminRouteModule = (app, deps) => {
  app.get<{ Querystring: Static<typeof DeliveriesQuery> }>(
    '/v1/deliveries',
    {
      schema: {
        summary: 'Deliveries, newest first',
        tags: ['deliveries'],
        querystring: DeliveriesQuery,
        response: { 200: ListOf(DeliveryView, { next: NextSeq }) },
      },
    },
    async (req) => {
      const q = req.query
      const limit = q.limit ?? 50
      const rows = await flowsOf(deps).deliveries.list({ flowId: q.flow, status: q.status, system: q.system, eventId: q.event, beforeSeq: q.before, limit })
      return { items: rows.map(deliveryView), next: nextSeq(rows, limit) }
    },
  )

  app.get<{ Params: Static<typeof DeliveryIdParam> }>(
    '/v1/deliveries/:id',
    {
      schema: {
        summary: 'One delivery with its event, its last request and every attempt',
        tags: ['deliveries'],
        params: DeliveryIdParam,
        response: { 200: DeliveryDetailView, 404: { ...ProblemSchema, description: 'No such delivery (SB_ERR_ADMIN_NOT_FOUND).' } },
      },
    },
    async (req) => {
      const detail = await flowsOf(deps).deliveries.show(req.params.id)
      if (!detail) throw new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', `no delivery ${JSON.stringify(req.params.id)}`)
      return detailView(detail)
    },
  )
}
