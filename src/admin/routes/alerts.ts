/**
 * Alerts: every rule of `alerts[]` with its current instances, and the firing/resolved history.
 * State and history are read from the store (the evaluating node writes them after each
 * evaluation), so every node answers the same; `evaluation` is this node's part in it.
 */
import { Type, type Static } from '@sinclair/typebox'
import { durationMs } from '../../core/duration.js'
import type { AlertEventRecord, AlertInstanceRecord } from '../../store/contract.js'
import type { AdminRouteModule } from '../route-module.js'
import { IsoTime, LimitQuery, iso } from '../schemas.js'

const Severity = Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')])
const Subject = Type.Object({ kind: Type.String({ description: '`flow`, `system`, `route` or `poller`.' }), name: Type.String() })
const NullableTime = (description: string) => Type.Union([IsoTime(description), Type.Null()])

const InstanceView = Type.Object({
  key: Type.String({ description: '`<alert id>/<subject kind>:<subject name>`.' }),
  subject: Subject,
  state: Type.String({ description: '`pending` (holding, not yet for `for`), `firing`, or `resolving` (resolved; the resolved notification is not accepted yet).' }),
  activeSince: IsoTime('When the condition started to hold.'),
  firingSince: NullableTime('When it fired.'),
  resolvedAt: NullableTime('When it resolved (resolving only).'),
  notified: Type.String({ description: 'The last notification the channels accepted: `none`, `firing` or `resolved`.' }),
  value: Type.Union([Type.Number(), Type.Null()], { description: 'The figure compared: a rate 0..1, a count, or milliseconds.' }),
  threshold: Type.Number(),
  summary: Type.String(),
  updatedAt: IsoTime('When the evaluating node last saved it.'),
})

const RuleView = Type.Object({
  id: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  severity: Severity,
  condition: Type.String({ description: 'The key of `when`: flowErrorRate, dlqDepth, oldestPending, circuitOpen, routeErrorRate or pollerFailing.' }),
  forMs: Type.Integer({ minimum: 0 }),
  channels: Type.Array(Type.String()),
  state: Type.Union([Type.Literal('inactive'), Type.Literal('pending'), Type.Literal('firing')], { description: 'firing when any instance fires (or is resolving), else pending when any is pending.' }),
  instances: Type.Array(InstanceView),
})

const EventView = Type.Object({
  id: Type.Integer(),
  at: IsoTime(),
  key: Type.String(),
  alert: Type.String(),
  subject: Subject,
  severity: Type.String(),
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  value: Type.Union([Type.Number(), Type.Null()]),
  threshold: Type.Number(),
  summary: Type.String({ description: 'Why, in one line.' }),
})

const EvaluationView = Type.Union(
  [
    Type.Object({
      election: Type.Union([Type.Literal('single'), Type.Literal('lease')], { description: '`single`: this node always evaluates (SQLite); `lease`: the holder of the store lease does (PostgreSQL).' }),
      evaluating: Type.Boolean({ description: 'Whether this node evaluated at its last turn.' }),
      intervalMs: Type.Integer(),
      lastEvaluatedAt: NullableTime('This node’s last evaluation.'),
      evaluations: Type.Integer({ minimum: 0 }),
      lastError: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ],
  { description: 'This node’s alert evaluation (null when it runs none).' },
)

const RECENT = 20

const HistoryQuery = Type.Object({
  alert: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Only this alert id.' })),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'Only entries with a lower id (the `next` of the previous page).' })),
  limit: Type.Optional(LimitQuery),
})

function instanceView(i: AlertInstanceRecord) {
  return {
    key: i.key,
    subject: { kind: i.subjectKind, name: i.subjectName },
    state: i.state,
    activeSince: iso(i.activeSince) as string,
    firingSince: iso(i.firingSince),
    resolvedAt: iso(i.resolvedAt),
    notified: i.notified,
    value: i.value,
    threshold: i.threshold,
    summary: i.summary,
    updatedAt: iso(i.updatedAt) as string,
  }
}

function eventView(e: AlertEventRecord) {
  return {
    id: e.id,
    at: iso(e.at) as string,
    key: e.key,
    alert: e.alert,
    subject: { kind: e.subjectKind, name: e.subjectName },
    severity: e.severity,
    status: e.status,
    value: e.value,
    threshold: e.threshold,
    summary: e.summary,
  }
}

export const registerAlertRoutes: AdminRouteModule = (app, deps) => {
  app.get(
    '/v1/alerts',
    {
      schema: {
        summary: 'Every alert rule with its current state and instances, and the most recent transitions',
        tags: ['alerts'],
        response: { 200: Type.Object({ evaluation: EvaluationView, items: Type.Array(RuleView), recent: Type.Array(EventView, { description: `The last ${RECENT} transitions, newest first.` }) }) },
      },
    },
    async () => {
      const [instances, recent] = await Promise.all([deps.store.alerts.instances(), deps.store.alerts.history({ limit: RECENT })])
      const byAlert = new Map<string, AlertInstanceRecord[]>()
      for (const i of instances) byAlert.set(i.alert, [...(byAlert.get(i.alert) ?? []), i])
      const items = (deps.config().config.alerts ?? []).map((a) => {
        const own = byAlert.get(a.id) ?? []
        const state = own.some((i) => i.state === 'firing' || i.state === 'resolving') ? 'firing' : own.some((i) => i.state === 'pending') ? 'pending' : 'inactive'
        return {
          id: a.id,
          description: a.description ?? null,
          severity: a.severity ?? 'warning',
          condition: Object.keys(a.when)[0] ?? '',
          forMs: durationMs(a.for ?? 0),
          channels: [...a.channels],
          state: state as 'inactive' | 'pending' | 'firing',
          instances: own.map(instanceView),
        }
      })
      const status = deps.observe?.alerts?.status()
      const evaluation = status === undefined ? null : { ...status, lastEvaluatedAt: iso(status.lastEvaluatedAt) }
      return { evaluation, items, recent: recent.map(eventView) }
    },
  )

  app.get<{ Querystring: Static<typeof HistoryQuery> }>(
    '/v1/alerts/history',
    {
      schema: {
        summary: 'Alert transitions (firing, resolved), newest first',
        tags: ['alerts'],
        querystring: HistoryQuery,
        response: { 200: Type.Object({ items: Type.Array(EventView), next: Type.Union([Type.Integer(), Type.Null()], { description: 'Pass as `before` for the next page; null on the last.' }) }) },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50
      const items = await deps.store.alerts.history({ ...req.query, limit })
      const last = items.at(-1)
      return { items: items.map(eventView), next: items.length === limit && last !== undefined ? last.id : null }
    },
  )
}
