/** PostgreSQL: alert instances (replaced as a whole) and the alert history. */
import type { AlertEventRecord, AlertInstanceRecord, AlertRepo, NewAlertEvent } from '../contract.js'
import { EVENT_COLUMNS, EVENT_INSERT_COLUMNS, INSTANCE_COLUMNS, eventValues, instancesValues, toEvent, toInstance, type EventRow, type InstanceRow } from '../alert-values.js'
import { invalidValue } from '../errors.js'
import { count, pageLimit } from '../values.js'
import { sql, type PgExec } from './executor.js'

const params = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ')

const CLEAR = sql('alerts_clear', 'DELETE FROM sb_alert_instances')
const INSERT = sql('alerts_insert', `INSERT INTO sb_alert_instances (${INSTANCE_COLUMNS}) VALUES (${params(14)})`)
const LIST = sql('alerts_list', `SELECT ${INSTANCE_COLUMNS} FROM sb_alert_instances ORDER BY key`)
const RECORD = sql('alerts_record', `INSERT INTO sb_alert_events (${EVENT_INSERT_COLUMNS}) VALUES (${params(10)}) RETURNING ${EVENT_COLUMNS}`)
const HISTORY = sql('alerts_history', `SELECT ${EVENT_COLUMNS} FROM sb_alert_events WHERE id < $1 ORDER BY id DESC LIMIT $2`)
const HISTORY_OF = sql('alerts_history_of', `SELECT ${EVENT_COLUMNS} FROM sb_alert_events WHERE id < $1 AND alert = $2 ORDER BY id DESC LIMIT $3`)
const PRUNE = sql('alerts_prune', 'DELETE FROM sb_alert_events WHERE at < $1')

export class PgAlerts implements AlertRepo {
  constructor(private readonly x: PgExec) {}

  async replaceInstances(instances: readonly AlertInstanceRecord[]): Promise<void> {
    const rows = instancesValues(instances)
    await this.x.atomic(async (x) => {
      await x.query(CLEAR, [])
      for (const values of rows) await x.query(INSERT, values)
    })
  }

  async instances(): Promise<AlertInstanceRecord[]> {
    return (await this.x.query<InstanceRow>(LIST, [])).rows.map(toInstance)
  }

  async record(e: NewAlertEvent): Promise<AlertEventRecord> {
    const { rows } = await this.x.query<EventRow>(RECORD, eventValues(e))
    return toEvent(rows[0] as EventRow)
  }

  async history(q: { alert?: string; before?: number; limit?: number } = {}): Promise<AlertEventRecord[]> {
    const limit = pageLimit(q.limit, 100, 'alerts.history')
    if (q.before !== undefined && !Number.isSafeInteger(q.before)) throw invalidValue(`alerts.history: before must be an integer, got ${String(q.before)}`)
    const before = q.before ?? Number.MAX_SAFE_INTEGER
    const { rows } = q.alert === undefined ? await this.x.query<EventRow>(HISTORY, [before, limit]) : await this.x.query<EventRow>(HISTORY_OF, [before, q.alert, limit])
    return rows.map(toEvent)
  }

  async pruneHistory(before: number): Promise<number> {
    return (await this.x.query(PRUNE, [count(before, 'alerts.pruneHistory: before')])).rowCount
  }
}
