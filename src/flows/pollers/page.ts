/**
 * What a page holds: its items (each with a stable id and an optional key) and the next
 * cursor, computed with the poller's JSONata expressions.
 *
 * An expression that fails is SB_ERR_POLLER_EXPRESSION with JSONata's message; an item without
 * a usable id or key is SB_ERR_POLLER_RESPONSE. Either fails the whole page (nothing
 * published, cursor unchanged): they are mismatches between the expressions and the data that
 * would silently drop items if skipped. Schema violations are decided later, per item (see
 * `onInvalidItem`).
 */
import { isSwitchboardError, SwitchboardError } from '../../core/errors.js'
import type { CompiledExpression } from '../expressions.js'
import type { CompiledPoller } from './compile.js'
import type { FetchedPage } from './fetch.js'

export interface PageItem {
  id: string
  key: string | undefined
  body: unknown
}

export interface PageContent {
  items: PageItem[]
  /** The cursor after this page (the current one when the expression gave nothing). */
  cursor: unknown
}

/** Longest id or key (the publisher's limit too). */
const MAX_ID_LENGTH = 200
/** Longest cursor, as JSON: it is stored with every page and substituted into URLs. */
export const MAX_CURSOR_CHARS = 4096

export async function readPage(p: CompiledPoller, page: FetchedPage, cursor: unknown): Promise<PageContent> {
  const bindings = { cursor, headers: page.headers, status: page.status }
  const selected = await run(p.items, page.body, bindings)
  // JSONata collapses a one-item sequence to the item itself, and "no match" to undefined.
  const list = selected === undefined ? [] : Array.isArray(selected) ? selected : [selected]
  const items: PageItem[] = []
  for (const [index, body] of list.entries()) {
    if (body === undefined || body === null) continue
    const id = scalar(await run(p.itemId, body, { cursor, index }))
    if (id === undefined) throw unusable(p, `item ${index} has no usable id (\`itemId\` must give a string or number of 1 to ${MAX_ID_LENGTH} characters)`)
    let key: string | undefined
    if (p.key) {
      const k = await run(p.key, body, { cursor, index })
      key = scalar(k)
      if (k !== undefined && k !== null && key === undefined) throw unusable(p, `item "${id}" has no usable key (\`publish.key\` must give a string or number)`)
    }
    items.push({ id, key, body })
  }
  let next = cursor
  if (p.cursor) {
    const value = await run(p.cursor, page.body, { cursor, items: list, headers: page.headers, status: page.status })
    // "No next cursor" (no match, or the `next: null` many APIs send at the end) keeps the
    // current one: a cursor is only ever reset by an operator (setCursor).
    if (value !== undefined && value !== null) next = value
    const text = JSON.stringify(next) ?? ''
    if (text.length > MAX_CURSOR_CHARS) throw unusable(p, `the next cursor is longer than ${MAX_CURSOR_CHARS} characters as JSON`)
  }
  return { items, cursor: next }
}

/** A string or finite number as an id/key; anything else undefined. */
function scalar(v: unknown): string | undefined {
  const s = typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined
  return s !== undefined && s.length > 0 && s.length <= MAX_ID_LENGTH ? s : undefined
}

async function run(expr: CompiledExpression, input: unknown, bindings: Record<string, unknown>): Promise<unknown> {
  try {
    return await expr.evaluate(input, bindings)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    throw new SwitchboardError('SB_ERR_POLLER_EXPRESSION', message, { cause: isSwitchboardError(err) ? (err.cause ?? err) : err })
  }
}

function unusable(p: CompiledPoller, what: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_POLLER_RESPONSE', `${p.where}: ${what}`)
}
