/**
 * The alert evaluator: every tick it reads each rule's figures and moves each instance through
 *
 *     inactive ──active──▶ pending ──held for `for`──▶ firing ──inactive──▶ resolving ──▶ inactive
 *        ▲                    │                                     (notified: resolved)
 *        └────inactive────────┘
 *
 * A notification goes out on entering `firing` and on leaving it, once: the transition is
 * remembered as notified only when the notifier accepted it, and offered again on the next tick
 * otherwise. An unknown reading (figures unavailable) moves nothing. Run it on one node only
 * when several share a store (the runtime decides which).
 */
import type { Clock } from '../../core/clock.js'
import type { CompiledAlert, HealthSource, Reading } from './conditions.js'
import type { AlertInstanceState, AlertNotification, AlertNotifier } from './types.js'

export interface AlertEvaluatorOptions {
  rules: readonly CompiledAlert[]
  source: HealthSource
  notifier: AlertNotifier
  /** Defaults to the source's clock. */
  clock?: Clock
  /** Instances saved by {@link AlertEvaluator.snapshot} before a restart. */
  restore?: readonly AlertInstanceState[]
  /** A notifier rejection or a rule that threw (the tick goes on). */
  onError?: (err: unknown, context: { alert: string; key?: string }) => void
}

const keyOf = (alert: string, r: Reading): string => `${alert}/${r.subject.kind}:${r.subject.name}`
const iso = (ms: number): string => new Date(ms).toISOString()

export class AlertEvaluator {
  readonly #rules: readonly CompiledAlert[]
  readonly #source: HealthSource
  readonly #notifier: AlertNotifier
  readonly #clock: Clock
  readonly #onError: AlertEvaluatorOptions['onError']
  readonly #instances = new Map<string, AlertInstanceState>()
  #running: Promise<AlertNotification[]> | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(options: AlertEvaluatorOptions) {
    this.#rules = options.rules
    this.#source = options.source
    this.#notifier = options.notifier
    this.#clock = options.clock ?? options.source.clock
    this.#onError = options.onError
    for (const r of options.rules) {
      if (r.windowMs > options.source.retentionMs) {
        // A wiring bug, not a config error: the tracker must be created with retentionMs ≥ every rule's window.
        throw new RangeError(`alert ${r.id} reads a ${r.windowMs} ms window but the health figures are kept for ${options.source.retentionMs} ms`)
      }
    }
    const ids = new Set(options.rules.map((r) => r.id))
    // Instances of rules that no longer exist are dropped: nobody could resolve them.
    for (const s of options.restore ?? []) if (ids.has(s.alert)) this.#instances.set(s.key, { ...s })
  }

  /** The instances that are pending, firing or resolving (copies). */
  snapshot(): AlertInstanceState[] {
    return [...this.#instances.values()].map((s) => ({ ...s, subject: { ...s.subject } }))
  }

  /**
   * One evaluation; resolves with the notifications the notifier accepted. Ticks never overlap:
   * a call while one runs returns that one's result.
   */
  tick(): Promise<AlertNotification[]> {
    this.#running ??= this.#tick().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  /** Ticks every `intervalMs` until {@link stop}. The timer does not keep the process alive. */
  start(intervalMs: number): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => void this.tick(), intervalMs)
    this.#timer.unref()
  }

  /** Stops ticking and waits for a running tick. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running
  }

  async #tick(): Promise<AlertNotification[]> {
    const stats = await this.#source.queueStats()
    const now = this.#clock.now()
    const sent: AlertNotification[] = []
    for (const rule of this.#rules) {
      let readings: Reading[]
      try {
        readings = rule.read(this.#source, { now, stats })
      } catch (err) {
        this.#onError?.(err, { alert: rule.id })
        continue
      }
      const seen = new Set<string>()
      for (const r of readings) {
        const key = keyOf(rule.id, r)
        seen.add(key)
        this.#step(rule, key, r, now)
      }
      // An instance whose subject is no longer read (it disappeared) counts as inactive.
      for (const s of this.#instances.values()) {
        if (s.alert === rule.id && !seen.has(s.key)) this.#step(rule, s.key, { subject: s.subject, active: false, value: null, threshold: s.threshold, summary: s.summary }, now)
      }
      for (const s of [...this.#instances.values()]) {
        if (s.alert !== rule.id) continue
        const n = await this.#deliver(rule, s)
        if (n !== undefined) sent.push(n)
      }
    }
    return sent
  }

  /** The state transition of one instance for one reading (no I/O). */
  #step(rule: CompiledAlert, key: string, r: Reading, now: number): void {
    const s = this.#instances.get(key)
    if (r.active === undefined) return
    if (r.active) {
      if (s === undefined) {
        this.#instances.set(key, {
          key,
          alert: rule.id,
          subject: r.subject,
          severity: rule.severity,
          state: 'pending',
          activeSince: now,
          firingSince: null,
          resolvedAt: null,
          notified: 'none',
          value: r.value,
          threshold: r.threshold,
          summary: r.summary,
        })
        return this.#step(rule, key, r, now)
      }
      if (s.state === 'resolving') {
        // Active again before the resolved notice was accepted: a new episode.
        Object.assign(s, { state: 'pending', activeSince: now, firingSince: null, resolvedAt: null })
      }
      Object.assign(s, { value: r.value, threshold: r.threshold, summary: r.summary })
      if (s.state === 'pending' && now - s.activeSince >= rule.forMs) Object.assign(s, { state: 'firing', firingSince: now })
      return
    }
    if (s === undefined) return
    if (s.state === 'pending') this.#instances.delete(key)
    else if (s.state === 'firing') {
      // Fired but never notified (the notifier kept failing): nothing to resolve for anyone.
      if (s.notified !== 'firing') this.#instances.delete(key)
      else Object.assign(s, { state: 'resolving', resolvedAt: now, value: r.value, summary: r.summary })
    }
  }

  /** Offers the instance's pending notification, if any; returns it when accepted. */
  async #deliver(rule: CompiledAlert, s: AlertInstanceState): Promise<AlertNotification | undefined> {
    const status = s.state === 'firing' && s.notified !== 'firing' ? 'firing' : s.state === 'resolving' ? 'resolved' : undefined
    if (status === undefined) return undefined
    const n: AlertNotification = {
      id: `${s.key}@${iso(s.activeSince)}:${status}`,
      key: s.key,
      alert: s.alert,
      status,
      severity: s.severity,
      condition: rule.condition,
      subject: { ...s.subject },
      summary: s.summary,
      description: rule.description,
      value: s.value,
      threshold: s.threshold,
      activeSince: iso(s.activeSince),
      firingSince: iso(s.firingSince ?? s.activeSince),
      resolvedAt: s.resolvedAt === null ? null : iso(s.resolvedAt),
      channels: [...rule.channels],
    }
    try {
      await this.#notifier.notify(n)
    } catch (err) {
      this.#onError?.(err, { alert: s.alert, key: s.key })
      return undefined
    }
    if (status === 'firing') s.notified = 'firing'
    else this.#instances.delete(s.key)
    return n
  }
}
