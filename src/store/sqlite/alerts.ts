/** SQLite: alert instances (replaced as a whole) and the alert history. */
import type { AlertEventRecord, AlertInstanceRecord, AlertRepo, NewAlertEvent } from '../contract.js'
import { EVENT_COLUMNS, EVENT_INSERT_COLUMNS, INSTANCE_COLUMNS, eventValues, instancesValues, toEvent, toInstance, type EventRow, type InstanceRow } from '../alert-values.js'
import { invalidValue } from '../errors.js'
import { count, pageLimit } from '../values.js'
import type { SqliteExec } from './executor.js'

const CLEAR = 'DELETE FROM sb_alert_instances'
const INSERT = `INSERT INTO sb_alert_instances (${INSTANCE_COLUMNS}) VALUES (${Array(14).fill('?').join(', ')})`
const LIST = `SELECT ${INSTANCE_COLUMNS} FROM sb_alert_instances ORDER BY key`
const RECORD = `INSERT INTO sb_alert_events (${EVENT_INSERT_COLUMNS}) VALUES (${Array(10).fill('?').join(', ')}) RETURNING ${EVENT_COLUMNS}`
const HISTORY = `SELECT ${EVENT_COLUMNS} FROM sb_alert_events WHERE id < ? ORDER BY id DESC LIMIT ?`
const HISTORY_OF = `SELECT ${EVENT_COLUMNS} FROM sb_alert_events WHERE id < ? AND alert = ? ORDER BY id DESC LIMIT ?`
const PRUNE = 'DELETE FROM sb_alert_events WHERE at < ?'

export class SqliteAlerts implements AlertRepo {
  constructor(private readonly x: SqliteExec) {}

  replaceInstances(instances: readonly AlertInstanceRecord[]): Promise<void> {
    return this.x.run((conn) => {
      const rows = instancesValues(instances)
      conn.atomic(() => {
        conn.stmt(CLEAR).run()
        const insert = conn.stmt(INSERT)
        for (const values of rows) insert.run(...values)
      })
    })
  }

  instances(): Promise<AlertInstanceRecord[]> {
    return this.x.run((conn) => (conn.stmt(LIST).all() as InstanceRow[]).map(toInstance))
  }

  record(e: NewAlertEvent): Promise<AlertEventRecord> {
    return this.x.run((conn) => toEvent(conn.stmt(RECORD).get(...eventValues(e)) as EventRow))
  }

  history(q: { alert?: string; before?: number; limit?: number } = {}): Promise<AlertEventRecord[]> {
    return this.x.run((conn) => {
      const limit = pageLimit(q.limit, 100, 'alerts.history')
      if (q.before !== undefined && !Number.isSafeInteger(q.before)) throw invalidValue(`alerts.history: before must be an integer, got ${String(q.before)}`)
      const before = q.before ?? Number.MAX_SAFE_INTEGER
      const rows = q.alert === undefined ? conn.stmt(HISTORY).all(before, limit) : conn.stmt(HISTORY_OF).all(before, q.alert, limit)
      return (rows as EventRow[]).map(toEvent)
    })
  }

  pruneHistory(before: number): Promise<number> {
    return this.x.run((conn) => conn.stmt(PRUNE).run(count(before, 'alerts.pruneHistory: before')).changes)
  }
}
