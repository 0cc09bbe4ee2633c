/** PostgreSQL: the append-only audit log. */
import type { AuditRecord, AuditRepo } from '../contract.js'
import { invalidValue } from '../errors.js'
import { count, pageLimit, toJsonOrNull } from '../values.js'
import { sql, type PgExec } from './executor.js'

const APPEND = sql(
  'audit_append',
  'INSERT INTO sb_audit_log (at, actor, action, target, details) VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id, details',
)
const SELECT = 'SELECT id, at, actor, action, target, details FROM sb_audit_log WHERE id < $1'
// One statement per filter combination (index = action? 1 : 0 | target? 2 : 0) so each plan
// can use its own index; the last parameter is always the limit.
const LIST = [
  sql('audit_list', `${SELECT} ORDER BY id DESC LIMIT $2`),
  sql('audit_list_action', `${SELECT} AND action = $2 ORDER BY id DESC LIMIT $3`),
  sql('audit_list_target', `${SELECT} AND target = $2 ORDER BY id DESC LIMIT $3`),
  sql('audit_list_action_target', `${SELECT} AND action = $2 AND target = $3 ORDER BY id DESC LIMIT $4`),
] as const

interface Row {
  id: number
  at: number
  actor: string
  action: string
  target: string | null
  details: Record<string, unknown> | null
}

export class PgAudit implements AuditRepo {
  constructor(private readonly x: PgExec) {}

  async append(e: { at: number; actor: string; action: string; target?: string | null; details?: Record<string, unknown> | null }): Promise<AuditRecord> {
    const target = e.target ?? null
    const values = [count(e.at, 'audit: at'), e.actor, e.action, target, toJsonOrNull(e.details, 'audit details')]
    const { rows } = await this.x.query<{ id: number; details: Record<string, unknown> | null }>(APPEND, values)
    const row = rows[0] as { id: number; details: Record<string, unknown> | null }
    return { id: row.id, at: e.at, actor: e.actor, action: e.action, target, details: row.details }
  }

  async list(q: { action?: string; target?: string; before?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    const limit = pageLimit(q.limit, 100, 'audit.list')
    if (q.before !== undefined && !Number.isSafeInteger(q.before)) throw invalidValue(`audit.list: before must be an integer, got ${String(q.before)}`)
    const values: Array<string | number> = [q.before ?? Number.MAX_SAFE_INTEGER]
    if (q.action !== undefined) values.push(q.action)
    if (q.target !== undefined) values.push(q.target)
    values.push(limit)
    const stmt = LIST[(q.action !== undefined ? 1 : 0) | (q.target !== undefined ? 2 : 0)] ?? LIST[0]
    return (await this.x.query<Row>(stmt, values)).rows
  }
}
