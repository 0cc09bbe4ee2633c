/**
 * The dead-letter queue through the admin API: list and show dead deliveries, replay them (by
 * ids, or by flow / system / error code / time range) and discard them. Replays are paced
 * (`ratePerSecond`) so live traffic keeps flowing, one bulk replay at a time per node, and stop
 * when the client goes away. Replays and discards are audited (actor `admin-api`).
 */
import { Type, type Static } from '@sinclair/typebox'
import { SwitchboardError } from '../../core/errors.js'
import type { BulkReport, DlqFilter, DlqSelection } from '../../flows/dlq.js'
import type { AdminRouteModule } from '../route-module.js'
import type { AdminDeps } from '../deps.js'
import { DeliveryDetailView, DeliveryIdParam, DeliveryView, deliveryView, detailView, epochMs, flowsOf, nextSeq } from '../flow-views.js'
import { IsoTime, LimitQuery, ListOf, ProblemSchema } from '../schemas.js'
import { NextSeq } from './deliveries.js'
import { ADMIN_ACTOR } from './keys.js'

const Text = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 200, description }))
const FilterFields = {
  flow: Text('Only dead deliveries of this flow.'),
  system: Text('Only dead deliveries to this system.'),
  error: Text('Only dead deliveries whose last error has this code (e.g. SB_ERR_FLOW_TARGET_STATUS).'),
  from: Type.Optional(IsoTime('Died at or after this time.')),
  to: Type.Optional(IsoTime('Died before this time.')),
}

const DlqQuery = Type.Object({
  ...FilterFields,
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only deliveries enqueued before this `seq` (pass `next`).' })),
  limit: Type.Optional(LimitQuery),
})

const FilterBody = Type.Object(FilterFields, { additionalProperties: false, description: 'Dead deliveries matching all of these (an empty filter matches every dead delivery).' })
const Ids = Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }), { minItems: 1, maxItems: 1000, description: 'Dead delivery ids (all must be dead, or nothing changes).' })
const SelectionFields = {
  ids: Type.Optional(Ids),
  filter: Type.Optional(FilterBody),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'At most this many (default 1000).' })),
}
const ReplayBody = Type.Object(
  { ...SelectionFields, ratePerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Deliveries put back per second (default 50).' })) },
  { additionalProperties: false, description: 'Exactly one of `ids` or `filter`.' },
)
const DiscardBody = Type.Object(SelectionFields, { additionalProperties: false, description: 'Exactly one of `ids` or `filter`.' })

const Report = Type.Object({
  matched: Type.Integer({ minimum: 0, description: 'Dead deliveries the selection matched.' }),
  changed: Type.Integer({ minimum: 0, description: 'Of those, how many this call changed (others changed state meanwhile).' }),
})

const SelectionErrors = {
  400: { ...ProblemSchema, description: 'Neither or both of `ids` and `filter` (SB_ERR_ADMIN_BAD_REQUEST).' },
  404: { ...ProblemSchema, description: 'An id is unknown (SB_ERR_ADMIN_NOT_FOUND); nothing changed.' },
  409: { ...ProblemSchema, description: 'An id is not dead (SB_ERR_FLOW_DELIVERY_STATE); nothing changed.' },
}

type FilterInput = Static<typeof FilterBody>
type SelectionInput = { ids?: string[] | undefined; filter?: FilterInput | undefined; limit?: number | undefined }

const DEFAULT_LIMIT = 1000
/** Ids written into one audit entry (the count is always there). */
const AUDITED_IDS = 100

function toFilter(f: FilterInput): DlqFilter {
  return { flowId: f.flow, system: f.system, errorCode: f.error, from: epochMs(f.from), to: epochMs(f.to) }
}

function selection(body: SelectionInput): DlqSelection {
  if ((body.ids === undefined) === (body.filter === undefined)) {
    throw new SwitchboardError('SB_ERR_ADMIN_BAD_REQUEST', 'give exactly one of `ids` or `filter`')
  }
  return body.ids !== undefined ? { ids: body.ids } : { filter: toFilter(body.filter ?? {}) }
}

async function audit(deps: AdminDeps, action: string, body: SelectionInput, report: BulkReport): Promise<void> {
  const ids = body.ids
  await deps.store.audit.append({
    at: Date.now(),
    actor: ADMIN_ACTOR,
    action,
    target: ids?.length === 1 ? (ids[0] ?? null) : (body.filter?.flow ?? null),
    details: {
      ...(ids ? { ids: ids.slice(0, AUDITED_IDS), idCount: ids.length } : { filter: body.filter ?? {} }),
      ...report,
    },
  })
}

export const registerDlqRoutes: AdminRouteModule = (app, deps) => {
  let replaying = false

  app.get<{ Querystring: Static<typeof DlqQuery> }>(
    '/v1/dlq',
    {
      schema: {
        summary: 'Dead deliveries (the dead-letter queue), newest first',
        tags: ['dlq'],
        querystring: DlqQuery,
        response: { 200: ListOf(DeliveryView, { next: NextSeq }) },
      },
    },
    async (req) => {
      const q = req.query
      const limit = q.limit ?? 50
      const rows = await flowsOf(deps).dlq.list({ ...toFilter(q), beforeSeq: q.before, limit })
      return { items: rows.map(deliveryView), next: nextSeq(rows, limit) }
    },
  )

  app.get<{ Params: Static<typeof DeliveryIdParam> }>(
    '/v1/dlq/:id',
    {
      schema: {
        summary: 'One dead delivery with its event, its last request and every attempt',
        tags: ['dlq'],
        params: DeliveryIdParam,
        response: { 200: DeliveryDetailView, 404: { ...ProblemSchema, description: 'No such delivery, or it is not dead (SB_ERR_ADMIN_NOT_FOUND).' } },
      },
    },
    async (req) => {
      const id = req.params.id
      const detail = await flowsOf(deps).dlq.show(id)
      if (!detail) throw new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', `no delivery ${JSON.stringify(id)}`)
      if (detail.delivery.status !== 'dead') {
        throw new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', `delivery ${id} is ${detail.delivery.status}, not in the dead-letter queue (GET /v1/deliveries/${id} shows it)`)
      }
      return detailView(detail)
    },
  )

  app.post<{ Body: Static<typeof ReplayBody> }>(
    '/v1/dlq/replay',
    {
      schema: {
        summary: 'Replay dead deliveries: back to pending with a fresh retry schedule, paced; answers when done',
        description:
          'Each replayed delivery starts over (attempts from 0, `maxAge` counted from now) and keeps its attempt history. Deliveries are put back at `ratePerSecond` so live traffic keeps flowing; the call answers when all are back (closing the connection stops the replay). One bulk replay at a time per node (429 SB_ERR_FLOW_REPLAY_BUSY). Audited as `dlq.replay`.',
        tags: ['dlq'],
        body: ReplayBody,
        response: { 200: Report, ...SelectionErrors, 429: { ...ProblemSchema, description: 'Another replay is running on this node (SB_ERR_FLOW_REPLAY_BUSY).' } },
      },
    },
    async (req) => {
      const flows = flowsOf(deps)
      const sel = selection(req.body)
      if (replaying) throw new SwitchboardError('SB_ERR_FLOW_REPLAY_BUSY', 'another DLQ replay is running on this node; retry when it is done')
      replaying = true
      // The client went away (Ctrl-C on the CLI): stop putting deliveries back.
      const gone = new AbortController()
      const onClose = () => gone.abort()
      req.raw.socket?.once('close', onClose)
      try {
        const report = await flows.dlq.replay(sel, { limit: req.body.limit ?? DEFAULT_LIMIT, ratePerSecond: req.body.ratePerSecond, signal: gone.signal })
        await audit(deps, 'dlq.replay', req.body, report)
        return report
      } finally {
        replaying = false
        req.raw.socket?.off('close', onClose)
      }
    },
  )

  app.post<{ Body: Static<typeof DiscardBody> }>(
    '/v1/dlq/discard',
    {
      schema: {
        summary: 'Discard dead deliveries (kept for history until retention prunes their event)',
        description: 'Audited as `dlq.discard`.',
        tags: ['dlq'],
        body: DiscardBody,
        response: { 200: Report, ...SelectionErrors },
      },
    },
    async (req) => {
      const report = await flowsOf(deps).dlq.discard(selection(req.body), { limit: req.body.limit ?? DEFAULT_LIMIT })
      await audit(deps, 'dlq.discard', req.body, report)
      return report
    },
  )
}
