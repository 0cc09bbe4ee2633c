/**
 * When the crash test fails, say why: for each accepted-but-undelivered event, what the sink saw
 * (requests and answers) and what the store holds (its deliveries' status, attempts, lease owner
 * and expiry, due time, last error, and their attempts). Reads the tables directly, so the lease
 * owner (not part of the Store contract's records) shows too.
 */
import Database from 'better-sqlite3'
import pg from 'pg'
import { parseStoreUrl } from '../../../src/store/store-url.js'
import type { Sink } from './sink.js'

interface Row {
  source_id: string | null
  delivery_id: string | null
  status: string | null
  attempts: number | null
  lease_owner: string | null
  lease_until: number | string | null
  next_at: number | string | null
  last_status: number | null
  last_error_code: string | null
  last_error: string | null
  dead_reason: string | null
  attempts_log: string | null
}

const SELECT = (param: string) => `SELECT e.source_id, d.id AS delivery_id, d.status, d.attempts, d.lease_owner, d.lease_until, d.next_at,
  d.last_status, d.last_error_code, d.last_error, d.dead_reason,
  (SELECT group_concat_here FROM sb_attempts a WHERE a.delivery_id = d.id) AS attempts_log
FROM sb_events e LEFT JOIN sb_deliveries d ON d.event_id = e.id
WHERE e.source_id IN (${param})`

const PG_LOG = `string_agg(a.attempt || ':' || coalesce(a.status::text, '-') || ':' || coalesce(a.error_code, '') || ':' || coalesce(left(a.error, 120), ''), ' | ' ORDER BY a.id)`
const SQLITE_LOG = `group_concat(a.attempt || ':' || coalesce(a.status, '-') || ':' || coalesce(a.error_code, '') || ':' || coalesce(substr(a.error, 1, 120), ''), ' | ')`

async function storeRows(storeUrl: string, sourceIds: string[]): Promise<Row[]> {
  const target = parseStoreUrl(storeUrl)
  if (target.kind === 'sqlite') {
    const db = new Database(target.path, { readonly: true })
    try {
      const text = SELECT(sourceIds.map(() => '?').join(', ')).replace('group_concat_here', SQLITE_LOG)
      return db.prepare(text).all(...sourceIds) as Row[]
    } finally {
      db.close()
    }
  }
  const client = new pg.Client({ connectionString: storeUrl })
  await client.connect()
  try {
    return (await client.query<Row>(SELECT('SELECT unnest($1::text[])').replace('group_concat_here', PG_LOG), [sourceIds])).rows
  } finally {
    await client.end()
  }
}

/** A readable report on the events numbered `missing` (sent as `evt-<n>`). */
export async function describeUndelivered(storeUrl: string, sink: Sink, missing: readonly number[]): Promise<string> {
  const now = Date.now()
  const lines = [`now=${now}; ${missing.length} undelivered event(s)`]
  const seen = new Map<number, string[]>()
  sink.requests.forEach((r, i) => {
    const n = Number(r.path.split('/').pop())
    if (missing.includes(n)) seen.set(n, [...(seen.get(n) ?? []), String(sink.answers[i] ?? 'no answer')])
  })
  let rows: Row[] = []
  try {
    rows = await storeRows(storeUrl, missing.map((n) => `evt-${n}`))
  } catch (err) {
    lines.push(`(reading the store failed: ${err instanceof Error ? err.message : String(err)})`)
  }
  for (const n of missing) {
    const mine = rows.filter((r) => r.source_id === `evt-${n}`)
    lines.push(`evt-${n}: sink saw ${seen.get(n)?.join(',') ?? 'no request'}; ${mine.length === 0 ? 'no event stored' : ''}`)
    for (const r of mine) {
      if (r.delivery_id === null) {
        lines.push('  event stored without deliveries')
        continue
      }
      const rel = (t: number | string | null) => (t === null ? 'null' : `${Number(t) - now}ms`)
      lines.push(
        `  delivery ${r.delivery_id}: status=${r.status} attempts=${r.attempts} lease_owner=${r.lease_owner} lease_until=${rel(r.lease_until)} next_at=${rel(r.next_at)}` +
          ` last_status=${r.last_status} last_error=${r.last_error_code}: ${r.last_error} dead_reason=${r.dead_reason}`,
      )
      if (r.attempts_log) lines.push(`  attempts: ${r.attempts_log}`)
    }
  }
  return lines.join('\n')
}
