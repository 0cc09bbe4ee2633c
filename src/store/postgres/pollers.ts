/** PostgreSQL: poller state — cursor, schedule and the lease of the tick in progress, one row each. */
import type { PollerClaim, PollerFinish, PollerRepo, PollerStateRecord } from '../contract.js'
import { advanceValues, claimValues, ensureValues, finishValues, pollerId, POLLER_COLUMNS, toPollerState, type PollerRow } from '../poller-values.js'
import { count, toJsonOrNull } from '../values.js'
import { sql, type PgExec } from './executor.js'

const ENSURE = sql(
  'pollers_ensure',
  `INSERT INTO sb_pollers AS p (id, next_at, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET next_at = LEAST(p.next_at, $4)
RETURNING ${POLLER_COLUMNS}`,
)
// Two nodes claiming at once serialise on the row lock; the loser's WHERE is re-checked against
// the winner's row (READ COMMITTED), which now holds a live lease: no row for the loser.
const FREE = '(lease_until IS NULL OR lease_until <= $3)'
const CLAIM = sql(
  'pollers_claim',
  `UPDATE sb_pollers SET owner = $1, lease_until = $2, updated_at = $3 WHERE id = $4 AND ${FREE} AND next_at <= $3 RETURNING ${POLLER_COLUMNS}`,
)
const CLAIM_FORCED = sql('pollers_claim_forced', `UPDATE sb_pollers SET owner = $1, lease_until = $2, updated_at = $3 WHERE id = $4 AND ${FREE} RETURNING ${POLLER_COLUMNS}`)
// Inside the transaction that writes the page's events, this row lock is held until commit,
// so a takeover cannot slip in between the check and the commit.
const ADVANCE = sql('pollers_advance', 'UPDATE sb_pollers SET cursor_json = $1, lease_until = $2, updated_at = $3 WHERE id = $4 AND owner = $5')
const FINISH_OK = sql(
  'pollers_finish_ok',
  `UPDATE sb_pollers SET owner = NULL, lease_until = NULL, next_at = $1, runs = runs + 1, last_run_at = $2, last_success_at = $2,
  last_items = $3, failures = 0, last_error_at = COALESCE($4, last_error_at), last_error_code = COALESCE($5, last_error_code),
  last_error = COALESCE($6, last_error), updated_at = $2 WHERE id = $8 AND owner = $7`,
)
const FINISH_FAILED = sql(
  'pollers_finish_failed',
  `UPDATE sb_pollers SET owner = NULL, lease_until = NULL, next_at = $1, runs = runs + 1, last_run_at = $2,
  last_items = $3, failures = failures + 1, last_error_at = $4, last_error_code = $5, last_error = $6, updated_at = $2 WHERE id = $8 AND owner = $7`,
)
const RELEASE = sql('pollers_release', 'UPDATE sb_pollers SET owner = NULL, lease_until = NULL, updated_at = $1 WHERE id = $2 AND owner = $3')
const GET = sql('pollers_get', `SELECT ${POLLER_COLUMNS} FROM sb_pollers WHERE id = $1`)
const LIST = sql('pollers_list', `SELECT ${POLLER_COLUMNS} FROM sb_pollers ORDER BY id`)
const SET_CURSOR = sql('pollers_set_cursor', 'UPDATE sb_pollers SET cursor_json = $1, updated_at = $2 WHERE id = $3')
const REMOVE = sql('pollers_remove', 'DELETE FROM sb_pollers WHERE id = $1')

export class PgPollers implements PollerRepo {
  constructor(private readonly x: PgExec) {}

  async ensure(id: string, o: { firstAt: number; latestAt: number; now: number }): Promise<PollerStateRecord> {
    const [firstAt, latestAt, now] = ensureValues(o)
    const { rows } = await this.x.query<PollerRow>(ENSURE, [pollerId(id), firstAt, now, latestAt])
    return toPollerState(rows[0] as PollerRow)
  }

  async claim(id: string, o: PollerClaim): Promise<PollerStateRecord | undefined> {
    const [token, until, now] = claimValues(o)
    const { rows } = await this.x.query<PollerRow>(o.force === true ? CLAIM_FORCED : CLAIM, [token, until, now, pollerId(id)])
    const row = rows[0]
    return row === undefined ? undefined : toPollerState(row)
  }

  async advance(id: string, o: { token: string; cursor: unknown; now: number; leaseMs: number }): Promise<boolean> {
    const [cursor, until, now, token] = advanceValues(o)
    return (await this.x.query(ADVANCE, [cursor, until, now, pollerId(id), token])).rowCount === 1
  }

  async finish(id: string, o: PollerFinish): Promise<boolean> {
    const values = [...finishValues(o), pollerId(id)]
    return (await this.x.query(o.outcome === 'ok' ? FINISH_OK : FINISH_FAILED, values)).rowCount === 1
  }

  async release(id: string, token: string, now: number): Promise<boolean> {
    return (await this.x.query(RELEASE, [count(now, 'poller now'), pollerId(id), token])).rowCount === 1
  }

  async get(id: string): Promise<PollerStateRecord | undefined> {
    const row = (await this.x.query<PollerRow>(GET, [id])).rows[0]
    return row === undefined ? undefined : toPollerState(row)
  }

  async list(): Promise<PollerStateRecord[]> {
    return (await this.x.query<PollerRow>(LIST, [])).rows.map(toPollerState)
  }

  async setCursor(id: string, cursor: unknown, now: number): Promise<boolean> {
    return (await this.x.query(SET_CURSOR, [toJsonOrNull(cursor, 'poller cursor'), count(now, 'poller now'), pollerId(id)])).rowCount === 1
  }

  async remove(id: string): Promise<boolean> {
    return (await this.x.query(REMOVE, [id])).rowCount === 1
  }
}
