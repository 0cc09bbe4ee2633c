/**
 * How `deliveries list|show` and `dlq list|show` print deliveries: a table row per delivery, and
 * one delivery in full (why it is where it is, the request sent, every attempt, the event).
 */
import { table } from './admin-command.js'

/** A delivery as the admin API shows it. */
export interface DeliveryRow {
  id: string
  seq: number
  eventId: string
  flowId: string
  system: string | null
  status: string
  attempts: number
  nextAt: string
  orderingKey: string | null
  lastStatus: number | null
  lastErrorCode: string | null
  lastError: string | null
  deadReason: string | null
  request: unknown
  createdAt: string
  updatedAt: string
}

export interface DeliveryDetail {
  delivery: DeliveryRow
  event: { id: string; topic: string; key: string | null; sourceId: string | null; body: unknown; createdAt: string } | null
  attempts: Array<{ attempt: number; startedAt: string; latencyMs: number; status: number | null; errorCode: string | null; error: string | null; responseExcerpt: string | null }>
}

export interface DeliveryPage {
  items: DeliveryRow[]
  next: number | null
}

const EXCERPT_CHARS = 120

function oneLine(text: string, max = EXCERPT_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n') + '\n'
}

function statusText(d: DeliveryRow): string {
  if (d.status === 'dead') return `dead (${d.deadReason ?? '?'})`
  if (d.status === 'pending' && d.attempts > 0) return `retrying (next ${d.nextAt})`
  return d.status
}

/** The listing table (newest first) with a paging hint. */
export function deliveryTable(page: DeliveryPage): string {
  const rows = page.items.map((d) => [
    d.id,
    d.flowId,
    d.system ?? '-',
    statusText(d),
    String(d.attempts),
    d.lastStatus === null ? '-' : String(d.lastStatus),
    d.lastErrorCode ?? '-',
    d.updatedAt,
  ])
  const more = page.next === null ? '' : `more: --before ${page.next}\n`
  return table(['ID', 'FLOW', 'SYSTEM', 'STATUS', 'ATTEMPTS', 'LAST', 'ERROR', 'UPDATED'], rows) + more
}

/** One delivery in full. */
export function deliveryDetail(d: DeliveryDetail): string {
  const x = d.delivery
  const lines = [
    `delivery  ${x.id}`,
    `flow      ${x.flowId}${x.system ? ` → ${x.system}` : ''}`,
    `status    ${statusText(x)}, ${x.attempts} attempt${x.attempts === 1 ? '' : 's'}${x.lastStatus === null ? '' : `, last answer ${x.lastStatus}`}`,
  ]
  if (x.lastErrorCode) lines.push(`error     ${x.lastErrorCode}: ${x.lastError ?? ''}`)
  lines.push(`created   ${x.createdAt}`, `updated   ${x.updatedAt}`)
  if (d.event) {
    const e = d.event
    lines.push(`event     ${e.id} (${e.topic}${e.key ? `, key ${e.key}` : ''}${e.sourceId ? `, source id ${e.sourceId}` : ''})`, `          ${oneLine(JSON.stringify(e.body), 400)}`)
  } else lines.push(`event     ${x.eventId} (pruned)`)
  const req = x.request as { method?: string; path?: string; headers?: Record<string, string>; body?: unknown } | null
  if (req && typeof req === 'object') {
    lines.push('', 'request (last failed attempt)', `  ${req.method ?? '?'} ${req.path ?? '?'}`)
    for (const [k, v] of Object.entries(req.headers ?? {})) lines.push(`  ${k}: ${v}`)
    if (req.body !== undefined) lines.push(`  ${oneLine(JSON.stringify(req.body), 400)}`)
  }
  lines.push('', 'attempts')
  const attempts = d.attempts.map((a) => [
    String(a.attempt),
    a.startedAt,
    a.status === null ? '-' : String(a.status),
    `${a.latencyMs}ms`,
    a.errorCode ?? '-',
    oneLine(a.responseExcerpt ?? a.error ?? ''),
  ])
  const body = attempts.length === 0 ? '  (none yet)\n' : indent(table(['#', 'STARTED', 'STATUS', 'TIME', 'ERROR', 'RESPONSE'], attempts))
  return lines.join('\n') + '\n' + body
}
