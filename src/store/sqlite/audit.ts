/** SQLite: the append-only audit log. */
import type { AuditRecord, AuditRepo } from '../contract.js'
import { invalidValue } from '../errors.js'
import { count, pageLimit, toJsonOrNull } from '../values.js'
import type { SqliteExec } from './executor.js'

const APPEND = 'INSERT INTO sb_audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?) RETURNING id'
const SELECT = 'SELECT id, at, actor, action, target, details FROM sb_audit_log WHERE id < ?'
const ORDER = ' ORDER BY id DESC LIMIT ?'
// One statement per filter combination (index = action? 1 : 0 | target? 2 : 0), prepared once,
// so each can use its own index instead of a catch-all `(? IS NULL OR …)` that uses none.
const LIST = [
  SELECT + ORDER,
  SELECT + ' AND action = ?' + ORDER,
  SELECT + ' AND target = ?' + ORDER,
  SELECT + ' AND action = ? AND target = ?' + ORDER,
] as const

interface Row {
  id: number
  at: number
  actor: string
  action: string
  target: string | null
  details: string | null
}

export class SqliteAudit implements AuditRepo {
  constructor(private readonly x: SqliteExec) {}

  append(e: { at: number; actor: string; action: string; target?: string | null; details?: Record<string, unknown> | null }): Promise<AuditRecord> {
    return this.x.run((conn) => {
      const details = toJsonOrNull(e.details, 'audit details')
      const target = e.target ?? null
      const row = conn.stmt(APPEND).get(count(e.at, 'audit: at'), e.actor, e.action, target, details) as { id: number }
      return {
        id: row.id,
        at: e.at,
        actor: e.actor,
        action: e.action,
        target,
        details: details === null ? null : (JSON.parse(details) as Record<string, unknown>),
      }
    })
  }

  list(q: { action?: string; target?: string; before?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    return this.x.run((conn) => {
      const limit = pageLimit(q.limit, 100, 'audit.list')
      if (q.before !== undefined && !Number.isSafeInteger(q.before)) throw invalidValue(`audit.list: before must be an integer, got ${String(q.before)}`)
      const before = q.before ?? Number.MAX_SAFE_INTEGER
      const args: Array<string | number> = [before]
      if (q.action !== undefined) args.push(q.action)
      if (q.target !== undefined) args.push(q.target)
      args.push(limit)
      const sql = LIST[(q.action !== undefined ? 1 : 0) | (q.target !== undefined ? 2 : 0)] as string
      return (conn.stmt(sql).all(...args) as Row[]).map((r) => ({
        id: r.id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        target: r.target,
        details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
      }))
    })
  }
}
