/** SQLite: poller state — cursor, schedule and the lease of the tick in progress, one row each. */
import type { PollerClaim, PollerFinish, PollerRepo, PollerStateRecord } from '../contract.js'
import { advanceValues, claimValues, ensureValues, finishValues, pollerId, POLLER_COLUMNS, toPollerState, type PollerRow } from '../poller-values.js'
import { count, toJsonOrNull } from '../values.js'
import type { SqliteExec } from './executor.js'

const ENSURE = `INSERT INTO sb_pollers (id, next_at, updated_at) VALUES (?, ?, ?)
ON CONFLICT (id) DO UPDATE SET next_at = MIN(sb_pollers.next_at, ?)
RETURNING ${POLLER_COLUMNS}`
// Due (or forced) and not leased to a live tick; writes are serialised, so one caller wins.
const FREE = '(lease_until IS NULL OR lease_until <= ?)'
const CLAIM = `UPDATE sb_pollers SET owner = ?, lease_until = ?, updated_at = ? WHERE id = ? AND ${FREE} AND next_at <= ? RETURNING ${POLLER_COLUMNS}`
const CLAIM_FORCED = `UPDATE sb_pollers SET owner = ?, lease_until = ?, updated_at = ? WHERE id = ? AND ${FREE} RETURNING ${POLLER_COLUMNS}`
const ADVANCE = 'UPDATE sb_pollers SET cursor_json = ?, lease_until = ?, updated_at = ? WHERE id = ? AND owner = ?'
const FINISH_OK = `UPDATE sb_pollers SET owner = NULL, lease_until = NULL, next_at = ?, runs = runs + 1, last_run_at = ?, last_success_at = ?,
  last_items = ?, failures = 0, last_error_at = COALESCE(?, last_error_at), last_error_code = COALESCE(?, last_error_code),
  last_error = COALESCE(?, last_error), updated_at = ? WHERE id = ? AND owner = ?`
const FINISH_FAILED = `UPDATE sb_pollers SET owner = NULL, lease_until = NULL, next_at = ?, runs = runs + 1, last_run_at = ?,
  last_items = ?, failures = failures + 1, last_error_at = ?, last_error_code = ?, last_error = ?, updated_at = ? WHERE id = ? AND owner = ?`
const RELEASE = 'UPDATE sb_pollers SET owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND owner = ?'
const GET = `SELECT ${POLLER_COLUMNS} FROM sb_pollers WHERE id = ?`
const LIST = `SELECT ${POLLER_COLUMNS} FROM sb_pollers ORDER BY id`
const SET_CURSOR = 'UPDATE sb_pollers SET cursor_json = ?, updated_at = ? WHERE id = ?'
const REMOVE = 'DELETE FROM sb_pollers WHERE id = ?'

export class SqlitePollers implements PollerRepo {
  constructor(private readonly x: SqliteExec) {}

  ensure(id: string, o: { firstAt: number; latestAt: number; now: number }): Promise<PollerStateRecord> {
    return this.x.run((conn) => {
      const [firstAt, latestAt, now] = ensureValues(o)
      return toPollerState(conn.stmt(ENSURE).get(pollerId(id), firstAt, now, latestAt) as PollerRow)
    })
  }

  claim(id: string, o: PollerClaim): Promise<PollerStateRecord | undefined> {
    return this.x.run((conn) => {
      const [token, until, now] = claimValues(o)
      const row = o.force === true ? conn.stmt(CLAIM_FORCED).get(token, until, now, pollerId(id), now) : conn.stmt(CLAIM).get(token, until, now, pollerId(id), now, now)
      return row === undefined ? undefined : toPollerState(row as PollerRow)
    })
  }

  advance(id: string, o: { token: string; cursor: unknown; now: number; leaseMs: number }): Promise<boolean> {
    return this.x.run((conn) => {
      const [cursor, until, now, token] = advanceValues(o)
      return conn.stmt(ADVANCE).run(cursor, until, now, pollerId(id), token).changes === 1
    })
  }

  finish(id: string, o: PollerFinish): Promise<boolean> {
    return this.x.run((conn) => {
      const [nextAt, now, items, errorAt, code, message, token] = finishValues(o)
      const r =
        o.outcome === 'ok'
          ? conn.stmt(FINISH_OK).run(nextAt, now, now, items, errorAt, code, message, now, pollerId(id), token)
          : conn.stmt(FINISH_FAILED).run(nextAt, now, items, errorAt, code, message, now, pollerId(id), token)
      return r.changes === 1
    })
  }

  release(id: string, token: string, now: number): Promise<boolean> {
    return this.x.run((conn) => conn.stmt(RELEASE).run(count(now, 'poller now'), pollerId(id), token).changes === 1)
  }

  get(id: string): Promise<PollerStateRecord | undefined> {
    return this.x.run((conn) => {
      const row = conn.stmt(GET).get(id) as PollerRow | undefined
      return row === undefined ? undefined : toPollerState(row)
    })
  }

  list(): Promise<PollerStateRecord[]> {
    return this.x.run((conn) => (conn.stmt(LIST).all() as PollerRow[]).map(toPollerState))
  }

  setCursor(id: string, cursor: unknown, now: number): Promise<boolean> {
    return this.x.run((conn) => conn.stmt(SET_CURSOR).run(toJsonOrNull(cursor, 'poller cursor'), count(now, 'poller now'), pollerId(id)).changes === 1)
  }

  remove(id: string): Promise<boolean> {
    return this.x.run((conn) => conn.stmt(REMOVE).run(id).changes === 1)
  }
}
