/**
 * Pollers: every poller of `pollers[]` with its saved state — cursor, last run, last success,
 * consecutive failures, last error, next run, and the tick in progress (on whatever node holds
 * its lease). The state lives in the store, so every node answers the same; `runningHere` says
 * whether this node is running a tick of it now.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { PollerConfig } from '../../config/spec/poller.js'
import { SwitchboardError } from '../../core/errors.js'
import type { PollerStateRecord } from '../../store/contract.js'
import type { AdminRouteModule } from '../route-module.js'
import { IsoTime, ListOf, ProblemSchema, iso } from '../schemas.js'

const NullableTime = (description: string) => Type.Union([IsoTime(description), Type.Null()])

const PollerView = Type.Object({
  id: Type.String(),
  system: Type.String(),
  topic: Type.String(),
  schedule: Type.String({ description: '`every 5m` or `cron 0 2 * * *`.' }),
  cursor: Type.Unknown({ description: 'The cursor saved by the last committed page (any JSON value); null before the first.' }),
  nextRunAt: NullableTime('When the next tick is due (null until the poller was first scheduled by a node).'),
  lastRunAt: NullableTime('When the last tick ended.'),
  lastSuccessAt: NullableTime('When the last successful tick ended.'),
  lastItems: Type.Integer({ minimum: 0, description: 'New events published by the last tick.' }),
  runs: Type.Integer({ minimum: 0, description: 'Ticks finished, successful or not.' }),
  consecutiveFailures: Type.Integer({ minimum: 0, description: 'Failed ticks since the last success (the back-off grows with them).' }),
  lastError: Type.Union(
    [Type.Object({ at: IsoTime(), code: Type.Union([Type.String(), Type.Null()]), message: Type.Union([Type.String(), Type.Null()]) }), Type.Null()],
    { description: 'The last error, kept after later successes (a tick that skipped invalid items records one too).' },
  ),
  tick: Type.Union([Type.Object({ owner: Type.String(), leaseUntil: IsoTime() }), Type.Null()], {
    description: 'The tick in progress (the node holding its lease, and until when), or null.',
  }),
  runningHere: Type.Boolean({ description: 'This node is running a tick of it now.' }),
})
type PollerViewT = Static<typeof PollerView>

const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) })

function schedule(p: PollerConfig): string {
  return p.cron !== undefined ? `cron ${p.cron}` : `every ${String(p.every)}`
}

function view(p: PollerConfig, s: PollerStateRecord | undefined, runningHere: boolean, now: number): PollerViewT {
  const leased = s?.owner != null && s.leaseUntil != null && s.leaseUntil > now
  return {
    id: p.id,
    system: p.system,
    topic: p.publish.topic,
    schedule: schedule(p),
    cursor: s?.cursor ?? null,
    nextRunAt: iso(s?.nextAt),
    lastRunAt: iso(s?.lastRunAt),
    lastSuccessAt: iso(s?.lastSuccessAt),
    lastItems: s?.lastItems ?? 0,
    runs: s?.runs ?? 0,
    consecutiveFailures: s?.failures ?? 0,
    lastError: s?.lastErrorAt == null ? null : { at: iso(s.lastErrorAt) as string, code: s.lastErrorCode, message: s.lastError },
    tick: leased ? { owner: s.owner as string, leaseUntil: iso(s.leaseUntil) as string } : null,
    runningHere,
  }
}

export const registerPollerRoutes: AdminRouteModule = (app, deps) => {
  /** Saved state (and whether this node runs a tick now) of every poller that has a row. */
  const states = async (): Promise<Map<string, { state: PollerStateRecord | undefined; runningHere: boolean }>> => {
    const service = deps.flows?.pollers
    if (service) return new Map((await service.list()).map((p) => [p.id, p]))
    // This node runs no pollers (role gateway): the store has the state all the same.
    return new Map((await deps.store.pollers.list()).map((s) => [s.id, { state: s, runningHere: false }]))
  }

  app.get(
    '/v1/pollers',
    { schema: { summary: 'Every configured poller with its cursor, last run, last error and next run', tags: ['pollers'], response: { 200: ListOf(PollerView) } } },
    async () => {
      const known = await states()
      const now = Date.now()
      return { items: (deps.config().config.pollers ?? []).map((p) => view(p, known.get(p.id)?.state, known.get(p.id)?.runningHere ?? false, now)) }
    },
  )

  app.get<{ Params: Static<typeof IdParam> }>(
    '/v1/pollers/:id',
    {
      schema: {
        summary: 'One poller with its cursor, last run, last error and next run',
        tags: ['pollers'],
        params: IdParam,
        response: { 200: PollerView, 404: { ...ProblemSchema, description: 'No such poller (SB_ERR_POLLER_UNKNOWN).' } },
      },
    },
    async (req) => {
      const p = (deps.config().config.pollers ?? []).find((x) => x.id === req.params.id)
      if (p === undefined) throw new SwitchboardError('SB_ERR_POLLER_UNKNOWN', `no poller "${req.params.id}" is configured`)
      const known = (await states()).get(p.id)
      return view(p, known?.state, known?.runningHere ?? false, Date.now())
    },
  )
}
