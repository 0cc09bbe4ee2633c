/**
 * The Store contract for alert state and history, and for leases (which node runs a singleton
 * job such as alert evaluation). Part of {@link StoreTx}; see contract.ts for what every method
 * promises (atomicity, durability, error codes).
 *
 * The store knows nothing of alert semantics: it keeps what the evaluator hands it. Values are
 * checked (finite numbers, non-negative integer times) so that both backends refuse the same
 * input with SB_ERR_STORE_INVALID_VALUE.
 */

/** One alert instance that is not inactive (rule × subject), as the evaluator left it. */
export interface AlertInstanceRecord {
  /** `<alert id>/<subject kind>:<subject name>`; unique. */
  key: string
  alert: string
  subjectKind: string
  subjectName: string
  severity: string
  /** `pending`, `firing` or `resolving` (opaque to the store). */
  state: string
  activeSince: number
  firingSince: number | null
  resolvedAt: number | null
  /** The last notification accepted for this instance: `none`, `firing` or `resolved`. */
  notified: string
  value: number | null
  threshold: number
  summary: string
  updatedAt: number
}

/** A transition in the alert history. */
export interface AlertEventRecord {
  /** Increasing with insertion order. */
  id: number
  at: number
  key: string
  alert: string
  subjectKind: string
  subjectName: string
  severity: string
  status: 'firing' | 'resolved'
  value: number | null
  threshold: number
  /** Why, in one line (`system erp: circuit open for 2m`). */
  summary: string
}

export type NewAlertEvent = Omit<AlertEventRecord, 'id'>

export interface AlertRepo {
  /**
   * Replace every saved instance with `instances` (an instance not in the list is deleted), in
   * one atomic step. Keys must be unique within the list (SB_ERR_STORE_INVALID_VALUE otherwise).
   */
  replaceInstances(instances: readonly AlertInstanceRecord[]): Promise<void>
  /** The saved instances, ordered by key. */
  instances(): Promise<AlertInstanceRecord[]>
  /** Append a transition to the history; returns it with its id. */
  record(e: NewAlertEvent): Promise<AlertEventRecord>
  /**
   * History, newest first (by id), optionally of one alert; `before` returns ids strictly below
   * it (paging). `limit` defaults to 100, is capped at 1000; below 1 is SB_ERR_STORE_INVALID_VALUE.
   */
  history(q?: { alert?: string; before?: number; limit?: number }): Promise<AlertEventRecord[]>
  /** Delete history entries with `at` strictly before `before`; returns how many. */
  pruneHistory(before: number): Promise<number>
}

/** A named lease: at most one owner at a time, until it expires. */
export interface LeaseRecord {
  name: string
  owner: string
  /** Epoch ms the lease ends unless renewed. */
  until: number
}

/**
 * Leases elect one node for a job when several share a store. Times come from the caller (each
 * node's clock), so nodes need clocks synchronised well within the lease's TTL (NTP).
 *
 * Promised: whatever the interleaving of calls from any number of nodes, at most one owner holds
 * a lease at a given `now`; inside a {@link Store.transaction}, a successful `acquire` keeps the
 * lease row locked until commit (PostgreSQL), so writes fenced by it cannot race a takeover.
 * Not promised: fairness (who takes over an expired lease first).
 */
export interface LeaseRepo {
  /**
   * Take the lease for `owner` until `now + ttlMs` when it is free, expired (`until <= now`) or
   * already `owner`'s (then it is renewed). True when `owner` holds it after the call.
   * `ttlMs` is a positive safe integer, `now` a non-negative one (SB_ERR_STORE_INVALID_VALUE).
   */
  acquire(name: string, owner: string, ttlMs: number, now: number): Promise<boolean>
  /** Give the lease up if `owner` holds it; true when released. */
  release(name: string, owner: string): Promise<boolean>
  /** The lease row (expired or not), if any. */
  get(name: string): Promise<LeaseRecord | undefined>
}
