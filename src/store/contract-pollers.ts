/**
 * The Store contract for pollers (part of {@link StoreTx}; see contract.ts for what every
 * method promises: atomicity, durability, error codes).
 *
 * One row per poller holds its cursor, when its next tick is due (`nextAt`), the lease of the
 * tick in progress and the outcome of its last runs. Ticks are claimed, not scheduled: every
 * node runs the same schedule and calls {@link PollerRepo.claim} when it thinks a tick is due;
 * one conditional update lets exactly one of them have it, and {@link PollerRepo.finish} moves
 * `nextAt` on, so a node that wakes up late finds nothing due. This works the same on SQLite
 * and PostgreSQL (no advisory locks), and a node that dies mid-tick only delays the next one
 * until its lease ends.
 *
 * Promised:
 * - Whatever the interleaving of calls from any number of nodes, at most one token holds a
 *   poller's lease at a given `now`, and a due tick is claimed by one caller only.
 * - Writes made with a token ({@link PollerRepo.advance}, {@link PollerRepo.finish},
 *   {@link PollerRepo.release}) change nothing and return false once that token no longer holds
 *   the lease (another node took over an expired lease). Inside a {@link Store.transaction},
 *   `advance` keeps the row locked until commit (PostgreSQL), so the cursor and the events
 *   written in that transaction cannot race a takeover: if `advance` returns false, throw to
 *   roll the events back.
 * - The cursor reads back exactly as written (JSON kept as text).
 *
 * Not promised: fairness between nodes; that `nextAt` is honoured to the millisecond (callers
 * poll the row when they think it is due). Times come from the callers' clocks, so nodes need
 * clocks synchronised well within a lease (NTP).
 */

/** A poller's saved state. */
export interface PollerStateRecord {
  id: string
  /** The cursor saved by the last committed page (any JSON value); null before the first. */
  cursor: unknown
  /** When the next tick is due (epoch ms). */
  nextAt: number
  /** Token of the tick in progress, or null. */
  owner: string | null
  /** When that tick's lease ends unless renewed. */
  leaseUntil: number | null
  /** Ticks finished (successful or not). */
  runs: number
  lastRunAt: number | null
  lastSuccessAt: number | null
  /** New events published by the last tick. */
  lastItems: number
  /** Consecutive failed ticks (0 after a success). */
  failures: number
  /** The last error, kept after later successes (a tick that skipped invalid items records one too). */
  lastErrorAt: number | null
  lastErrorCode: string | null
  lastError: string | null
  updatedAt: number
}

export interface PollerClaim {
  /** Unique per tick: only this token can advance, finish or release what it claims. */
  token: string
  now: number
  /** Lease length (positive integer ms). */
  leaseMs: number
  /** Claim even when the tick is not due yet (an operator's "poll now"); a live lease still wins. */
  force?: boolean
}

export interface PollerFinish {
  token: string
  now: number
  /** When the next tick is due. */
  nextAt: number
  /** New events published by this tick. */
  items: number
  /**
   * `ok`: failures back to 0, `lastSuccessAt` = now; an `error` given too (items skipped) is
   * recorded as the last error. `failed`: failures + 1, `error` required.
   */
  outcome: 'ok' | 'failed'
  error?: { code: string; message: string } | undefined
}

export interface PollerRepo {
  /**
   * Create the row when absent, due at `firstAt`; when present, bring `nextAt` forward to
   * `latestAt` if it is later (a shorter schedule applies at once). Returns the row.
   */
  ensure(id: string, o: { firstAt: number; latestAt: number; now: number }): Promise<PollerStateRecord>
  /**
   * Lease the poller's tick to `token` until `now + leaseMs` when it is due (`nextAt <= now`,
   * or `force`) and its lease is free or expired. Returns the row as claimed, or undefined
   * (not due, leased to another tick, or no row — call {@link PollerRepo.ensure} first).
   */
  claim(id: string, o: PollerClaim): Promise<PollerStateRecord | undefined>
  /** Save the cursor and renew the lease to `now + leaseMs`. False when `token` lost the lease. */
  advance(id: string, o: { token: string; cursor: unknown; now: number; leaseMs: number }): Promise<boolean>
  /** End the tick: record its outcome, set `nextAt`, free the lease. False when `token` lost the lease. */
  finish(id: string, o: PollerFinish): Promise<boolean>
  /** Free the lease without recording a run (shutdown); `nextAt` is unchanged. */
  release(id: string, token: string, now: number): Promise<boolean>
  get(id: string): Promise<PollerStateRecord | undefined>
  /** Every saved poller, ordered by id. */
  list(): Promise<PollerStateRecord[]>
  /**
   * Replace the cursor (null: start over from the poller's `initialCursor`). Not fenced: a tick
   * in progress may still save its own cursor after this. False when there is no row.
   */
  setCursor(id: string, cursor: unknown, now: number): Promise<boolean>
  /** Forget a poller (removed from the config). False when there was no row. */
  remove(id: string): Promise<boolean>
}
