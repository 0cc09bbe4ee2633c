/**
 * Runs the alert evaluator of a node: on a timer, on one node only when several share a store,
 * with its state persisted so that a restart (or a takeover by another node) neither forgets a
 * firing alert nor notifies it again.
 *
 * Each turn:
 *
 *     lease? ──no──▶ (drop the in-memory evaluator; another node evaluates)
 *       │yes
 *       ▼
 *     evaluator? ──no──▶ restore the instances saved in the store
 *       ▼
 *     evaluate (notifications are collected) ─▶ one transaction (the {@link AlertOutbox}):
 *         lease still ours? save the instances, append the firing/resolved transitions to the
 *         history, and queue the notifications for delivery
 *
 * Notifications and the state that says they were sent are committed together: a crash, a
 * store failure or a lost lease before the commit leaves neither (the evaluator is dropped and
 * the next turn starts again from the saved state, so the notification is offered again), and
 * after it both. Delivery itself is the flows' business (retries, dead-letter queue).
 *
 * The lease (`leases` in the store, renewed every turn) is used with a PostgreSQL store. With
 * SQLite this node is the only one, so it always evaluates.
 *
 * Known limit: figures are this node's (its own traffic and breakers); only queue figures come
 * from the store and are shared.
 */
import type { Logger } from 'pino'
import type { Clock } from '../core/clock.js'
import { SwitchboardError } from '../core/errors.js'
import { AlertEvaluator, type AlertInstanceState, type AlertNotification, type CompiledAlert, type HealthSource } from '../observe/index.js'
import type { AlertLoopStatus } from '../admin/observe-deps.js'
import type { AlertInstanceRecord, NewAlertEvent, Store, StoreTx } from '../store/contract.js'

export interface AlertLoopOptions {
  rules: readonly CompiledAlert[]
  source: HealthSource
  store: Store
  /** Commits the notifications of a turn with its state; must write to `store`. */
  outbox: AlertOutbox
  clock: Clock
  logger: Logger
  intervalMs: number
  /** Wait before the first turn after {@link AlertLoop.start}. */
  startDelayMs: number
  /** History entries older than this are pruned (checked at most hourly). */
  historyMs: number
  /** Elect one evaluating node through a store lease (PostgreSQL). Absent: always evaluate. */
  lease?: { name: string; owner: string; ttlMs: number }
}

/**
 * Commits a turn's notifications for delivery, in one transaction with what `alongside` writes
 * (the alert state and history) on the loop's store. Resolves once committed; when it rejects,
 * nothing of either was written. Called on every turn that changed something, with no
 * notifications as often as not.
 */
export interface AlertOutbox {
  commit(notifications: readonly AlertNotification[], alongside: (tx: StoreTx) => Promise<void>): Promise<void>
}

/** Accepts every notification: the turn's transaction decides whether they really are. */
const COLLECT = { notify: async () => undefined }

const PRUNE_EVERY_MS = 3_600_000
const STATES = new Set(['pending', 'firing', 'resolving'])
const NOTIFIED = new Set(['none', 'firing', 'resolved'])
const SEVERITIES = new Set(['critical', 'warning', 'info'])
const KINDS = new Set(['flow', 'system', 'route', 'poller'])

/** Thrown inside the save transaction when another node took the lease meanwhile. */
class LeaseLost extends Error {}

function toRecord(s: AlertInstanceState, now: number): AlertInstanceRecord {
  return {
    key: s.key,
    alert: s.alert,
    subjectKind: s.subject.kind,
    subjectName: s.subject.name,
    severity: s.severity,
    state: s.state,
    activeSince: s.activeSince,
    firingSince: s.firingSince,
    resolvedAt: s.resolvedAt,
    notified: s.notified,
    value: s.value,
    threshold: s.threshold,
    summary: s.summary,
    updatedAt: now,
  }
}

/** A saved row back to evaluator state; undefined for a row this build cannot read. */
function fromRecord(r: AlertInstanceRecord): AlertInstanceState | undefined {
  if (!STATES.has(r.state) || !NOTIFIED.has(r.notified) || !SEVERITIES.has(r.severity) || !KINDS.has(r.subjectKind)) return undefined
  return {
    key: r.key,
    alert: r.alert,
    subject: { kind: r.subjectKind as AlertInstanceState['subject']['kind'], name: r.subjectName },
    severity: r.severity as AlertInstanceState['severity'],
    state: r.state as AlertInstanceState['state'],
    activeSince: r.activeSince,
    firingSince: r.firingSince,
    resolvedAt: r.resolvedAt,
    notified: r.notified as AlertInstanceState['notified'],
    value: r.value,
    threshold: r.threshold,
    summary: r.summary,
  }
}

/** The firing/resolved transitions between two snapshots of the evaluator. */
export function transitions(before: readonly AlertInstanceState[], after: readonly AlertInstanceState[], now: number): NewAlertEvent[] {
  const prev = new Map(before.map((s) => [s.key, s]))
  const next = new Map(after.map((s) => [s.key, s]))
  const event = (s: AlertInstanceState, status: 'firing' | 'resolved', at: number): NewAlertEvent => ({
    at,
    key: s.key,
    alert: s.alert,
    subjectKind: s.subject.kind,
    subjectName: s.subject.name,
    severity: s.severity,
    status,
    value: s.value,
    threshold: s.threshold,
    summary: s.summary,
  })
  const out: NewAlertEvent[] = []
  const sameEpisode = (a: AlertInstanceState | undefined, b: AlertInstanceState | undefined) => a?.state === 'firing' && b?.state === 'firing' && a.firingSince === b.firingSince
  for (const p of prev.values()) {
    // Left `firing` (resolving, gone, or a new episode): the alert resolved.
    if (p.state === 'firing' && !sameEpisode(p, next.get(p.key))) {
      const n = next.get(p.key)
      out.push(event(n ?? p, 'resolved', n?.resolvedAt ?? now))
    }
  }
  for (const n of next.values()) {
    if (n.state === 'firing' && !sameEpisode(prev.get(n.key), n)) out.push(event(n, 'firing', n.firingSince ?? now))
  }
  return out
}

export class AlertLoop {
  readonly #o: AlertLoopOptions
  #evaluator: AlertEvaluator | undefined
  #running: Promise<AlertNotification[]> | undefined
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  #saved = ''
  #lastPrune = 0
  #status: AlertLoopStatus

  constructor(options: AlertLoopOptions) {
    this.#o = options
    this.#status = { election: options.lease ? 'lease' : 'single', evaluating: false, intervalMs: options.intervalMs, lastEvaluatedAt: null, evaluations: 0, lastError: null }
  }

  get rules(): readonly CompiledAlert[] {
    return this.#o.rules
  }

  status(): AlertLoopStatus {
    return { ...this.#status }
  }

  /** The in-memory instances (empty when this node does not evaluate). */
  snapshot(): AlertInstanceState[] {
    return this.#evaluator?.snapshot() ?? []
  }

  /** Schedules the turns: the first after `startDelayMs`, then every `intervalMs` after each one ends. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined || this.#o.rules.length === 0) return
    this.#schedule(this.#o.startDelayMs)
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      void this.tick().finally(() => {
        if (!this.#stopped) this.#schedule(this.#o.intervalMs)
      })
    }, ms)
    // The loop never keeps the process alive on its own.
    this.#timer.unref()
  }

  /**
   * One turn; resolves with the notifications it queued for delivery. Turns never overlap (a call during one
   * returns that one's result) and never reject: failures are logged and kept in the status.
   * After {@link stop} it does nothing.
   */
  tick(): Promise<AlertNotification[]> {
    // After stop, no turn may run: it would take the lease back.
    if (this.#stopped && this.#running === undefined) return Promise.resolve([])
    this.#running ??= this.#turn()
      .catch((err: unknown) => {
        this.#status.lastError = err instanceof Error ? err.message : String(err)
        this.#o.logger.warn({ err }, 'alert evaluation failed; trying again at the next interval')
        return []
      })
      .finally(() => {
        this.#running = undefined
      })
    return this.#running
  }

  /** Stops the timer, waits for a running turn and gives the lease up. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#running
    const lease = this.#o.lease
    if (lease && this.#status.evaluating) {
      await this.#o.store.leases.release(lease.name, lease.owner).catch((err: unknown) => this.#o.logger.warn({ err }, 'could not release the alert lease'))
    }
    this.#status.evaluating = false
  }

  async #turn(): Promise<AlertNotification[]> {
    const o = this.#o
    if (o.lease && !(await o.store.leases.acquire(o.lease.name, o.lease.owner, o.lease.ttlMs, o.clock.now()))) {
      // Another node evaluates; what this node holds in memory may be stale once it gets back.
      if (this.#status.evaluating) o.logger.info({ lease: o.lease.name }, 'alert evaluation moved to another node')
      this.#evaluator = undefined
      this.#status.evaluating = false
      this.#status.lastError = null
      return []
    }
    const evaluator = (this.#evaluator ??= await this.#restore())
    const before = evaluator.snapshot()
    const offered = await evaluator.tick()
    const now = o.clock.now()
    const after = evaluator.snapshot()
    const kept = await this.#save(after, transitions(before, after, now), offered, now)
    const sent = kept ? offered : []
    this.#status = { ...this.#status, evaluating: kept, lastEvaluatedAt: now, evaluations: this.#status.evaluations + 1, lastError: null }
    if (now - this.#lastPrune >= PRUNE_EVERY_MS) {
      this.#lastPrune = now
      await o.store.alerts
        .pruneHistory(Math.max(0, now - o.historyMs))
        .catch((err: unknown) => o.logger.warn({ err }, 'pruning the alert history failed; trying again in an hour'))
    }
    return sent
  }

  async #restore(): Promise<AlertEvaluator> {
    const o = this.#o
    const saved = await o.store.alerts.instances()
    const restore = saved.map(fromRecord).filter((s): s is AlertInstanceState => s !== undefined)
    if (restore.length > 0) o.logger.info({ instances: restore.length }, 'alert state restored from the store')
    this.#saved = ''
    return new AlertEvaluator({
      rules: o.rules,
      source: o.source,
      notifier: COLLECT,
      clock: o.clock,
      restore,
      onError: (err, where) => {
        const code = err instanceof SwitchboardError ? err.code : undefined
        o.logger.warn({ err, alert: where.alert, code }, 'an alert rule could not be evaluated; trying again at the next evaluation')
      },
    })
  }

  /**
   * Saves the state and transitions and queues the notifications, atomically; false when the
   * lease was lost meanwhile (nothing saved). On any failure the evaluator is dropped: it took
   * the notifications as sent, so the next turn restores the saved state and offers them again.
   */
  async #save(after: readonly AlertInstanceState[], events: readonly NewAlertEvent[], notifications: readonly AlertNotification[], now: number): Promise<boolean> {
    const o = this.#o
    // Unchanged state, no transition, nothing to send: nothing to write (SQLite syncs every commit).
    const fingerprint = JSON.stringify(after)
    if (notifications.length === 0 && events.length === 0 && fingerprint === this.#saved) return true
    const write = async (tx: StoreTx) => {
      // Fenced by the lease: a node that lost it meanwhile must not overwrite the new holder's state.
      if (o.lease && !(await tx.leases.acquire(o.lease.name, o.lease.owner, o.lease.ttlMs, now))) throw new LeaseLost('the alert lease was taken over')
      await tx.alerts.replaceInstances(after.map((s) => toRecord(s, now)))
      for (const e of events) await tx.alerts.record(e)
    }
    try {
      await o.outbox.commit(notifications, write)
    } catch (err) {
      this.#evaluator = undefined
      if (!(err instanceof LeaseLost)) throw err
      o.logger.warn('alert lease lost during an evaluation; its state was not saved and its notifications not sent')
      return false
    }
    this.#saved = fingerprint
    return true
  }
}
