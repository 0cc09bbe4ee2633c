/**
 * One tick of one poller:
 *
 * 1. claim the tick in the store (due, not leased) — on several nodes only one gets it;
 * 2. read a page for the current cursor, extract its items and the next cursor;
 * 3. commit the page's events (validated, fanned out, deduplicated by item id) and the new
 *    cursor in one transaction, fenced by the lease: if another node took the poller over,
 *    the page rolls back;
 * 4. repeat while pages have items and move the cursor (up to `maxPages`);
 * 5. record the outcome, set the next due time (backing off after failures), free the lease.
 *
 * A crash anywhere leaves a consistent state: pages committed are published with their
 * cursor, the page in progress is neither, and the lease expires so the next tick re-reads it
 * (its items deduplicate).
 */
import type { Clock } from '../../core/clock.js'
import { isSwitchboardError, RetryAfterError, SwitchboardError } from '../../core/errors.js'
import { newId } from '../../core/ids.js'
import type { Store, StoreTx } from '../../store/contract.js'
import { pollerRunChannel } from '../diagnostics.js'
import type { PreparedEvent, PublishInput, PublishResult } from '../publisher.js'
import type { CompiledPoller } from './compile.js'
import { fetchPage, type PollerSystems } from './fetch.js'
import { readPage, type PageItem } from './page.js'
import { backoffDelay } from './schedule.js'

/** What pollers publish through (the flows `Publisher` fits). */
export interface PollerPublisher {
  prepare(input: PublishInput): PreparedEvent
  commitWith<T>(events: readonly PreparedEvent[], alongside: (tx: StoreTx, results: readonly PublishResult[]) => Promise<T>): Promise<{ results: PublishResult[]; value: T }>
}

export interface PollerLogger {
  warn(obj: object, msg: string): void
}

export interface TickDeps {
  store: Pick<Store, 'pollers'>
  publisher: PollerPublisher
  systems: PollerSystems
  clock: Clock
  /** Names this node in lease tokens (`<nodeId>/<tick id>`), visible in the poller's state. */
  nodeId: string
  leaseMs: number
  maxResponseBytes: number
  logger?: PollerLogger | undefined
}

/** The outcome of one call to run a tick. */
export interface PollResult {
  poller: string
  /** False when this call did not run the tick (see `reason`). */
  ran: boolean
  /** `not-due`: the next tick is later; `busy`: another tick holds the lease (here or on another node); `stopped`: the service stopped first. */
  reason?: 'not-due' | 'busy' | 'stopped'
  /** The tick ended without error. */
  ok: boolean
  /** New events published (duplicates excluded). */
  items: number
  /** Items already published before (same id within the topic's dedupe window). */
  duplicates: number
  /** Items left out for failing the topic's schema (`onInvalidItem: skip`). */
  skipped: number
  /** Pages committed. */
  pages: number
  /** The saved cursor after the tick. */
  cursor: unknown
  /** When the next tick is due. */
  nextAt: number
  error?: { code: string; message: string }
  durationMs: number
}

interface Totals {
  items: number
  duplicates: number
  skipped: number
  pages: number
  cursor: unknown
  /** The last item skipped as invalid: recorded as the poller's last error. */
  warning: { code: string; message: string } | undefined
}

/** Longest error message kept in the poller's state. */
const MAX_ERROR_CHARS = 2000

export async function runTick(p: CompiledPoller, deps: TickDeps, o: { force: boolean; signal: AbortSignal }): Promise<PollResult> {
  const { clock } = deps
  const startedAt = clock.now()
  const tickId = newId(startedAt)
  const token = `${deps.nodeId}/${tickId}`
  const claimed = await deps.store.pollers.claim(p.id, { token, now: startedAt, leaseMs: deps.leaseMs, force: o.force })
  if (claimed === undefined) return notRun(p, deps, startedAt)

  const t: Totals = { items: 0, duplicates: 0, skipped: 0, pages: 0, cursor: claimed.cursor, warning: undefined }
  let failure: unknown
  try {
    await readPages(p, deps, token, tickId, o.signal, t)
  } catch (err) {
    failure = err
  }
  const now = clock.now()
  const base = { poller: p.id, ran: true, items: t.items, duplicates: t.duplicates, skipped: t.skipped, pages: t.pages, cursor: t.cursor, durationMs: Math.max(0, now - startedAt) }

  if (failure !== undefined && o.signal.aborted) {
    // Our own shutdown, not the system's fault: give the tick back without counting a failure.
    await deps.store.pollers.release(p.id, token, now)
    return { ...base, ran: false, reason: 'stopped', ok: false, nextAt: claimed.nextAt }
  }
  if (failure === undefined) {
    const nextAt = p.schedule.next(startedAt, now)
    await deps.store.pollers.finish(p.id, { token, now, nextAt, items: t.items, outcome: 'ok', error: t.warning })
    publishRun(p.id, true, t.items, base.durationMs, t.warning?.code ?? null)
    return { ...base, ok: true, nextAt }
  }

  const error = describe(failure)
  const failures = claimed.failures + 1
  let nextAt = now + backoffDelay(failures, p.schedule.periodMs(now), p.maxBackoffMs)
  if (failure instanceof RetryAfterError) nextAt = Math.max(nextAt, now + failure.retryAfterMs)
  // The lease is gone when another node took over: it records the tick, not us.
  if (error.code !== 'SB_ERR_POLLER_LEASE_LOST') await deps.store.pollers.finish(p.id, { token, now, nextAt, items: t.items, outcome: 'failed', error })
  deps.logger?.warn({ poller: p.id, code: error.code, failures, nextAt }, `poller ${p.id} failed: ${error.message}`)
  publishRun(p.id, false, t.items, base.durationMs, error.code)
  return { ...base, ok: false, nextAt, error }
}

async function readPages(p: CompiledPoller, deps: TickDeps, token: string, tickId: string, signal: AbortSignal, t: Totals): Promise<void> {
  const client = deps.systems.get(p.system)
  for (let page = 0; page < p.maxPages; page++) {
    const cursor = t.cursor ?? p.initialCursor ?? null
    const fetched = await fetchPage(client, p, cursor, { requestId: tickId, maxBytes: deps.maxResponseBytes, signal, now: () => deps.clock.now() })
    const content = await readPage(p, fetched, cursor)
    const events = prepare(p, deps, content.items, tickId, t)
    const moved = JSON.stringify(content.cursor) !== JSON.stringify(cursor)
    if (events.length === 0 && !moved) break
    const { results } = await deps.publisher.commitWith(events, async (tx) => {
      const held = await tx.pollers.advance(p.id, { token, cursor: content.cursor, now: deps.clock.now(), leaseMs: deps.leaseMs })
      if (!held) throw new SwitchboardError('SB_ERR_POLLER_LEASE_LOST', `${p.where}: another node took poller "${p.id}" over; this page was rolled back`)
    })
    const duplicates = results.filter((r) => r.duplicate).length
    t.items += results.length - duplicates
    t.duplicates += duplicates
    t.pages++
    t.cursor = content.cursor
    // Without a cursor every page is the same page; an empty page or a cursor that stays put
    // means the system has nothing newer.
    if (p.cursor === undefined || content.items.length === 0 || !moved) break
  }
}

/** The page's items as events; schema violations skipped or thrown per `onInvalidItem`. */
function prepare(p: CompiledPoller, deps: TickDeps, items: readonly PageItem[], tickId: string, t: Totals): PreparedEvent[] {
  const events: PreparedEvent[] = []
  for (const item of items) {
    try {
      events.push(deps.publisher.prepare({ topic: p.topic, id: item.id, key: item.key, body: item.body, requestId: tickId }))
    } catch (err) {
      // Anything but a schema violation (an unknown topic…) fails the tick whatever onInvalidItem says.
      if (!isSwitchboardError(err) || err.code !== 'SB_ERR_EVENT_INVALID') throw err
      if (p.onInvalidItem === 'fail') throw new SwitchboardError('SB_ERR_EVENT_INVALID', `${p.where}: item "${item.id}": ${err.message}`, { cause: err, details: err.details })
      t.skipped++
      t.warning = { code: err.code, message: clip(`${p.where}: item "${item.id}" skipped: ${err.message}`) }
    }
  }
  return events
}

async function notRun(p: CompiledPoller, deps: TickDeps, now: number): Promise<PollResult> {
  const s = await deps.store.pollers.get(p.id)
  const leased = s !== undefined && s.leaseUntil !== null && s.leaseUntil > now
  return {
    poller: p.id,
    ran: false,
    reason: leased ? 'busy' : 'not-due',
    ok: false,
    items: 0,
    duplicates: 0,
    skipped: 0,
    pages: 0,
    cursor: s?.cursor ?? null,
    // Busy: look again when that lease ends (its holder moves nextAt when it finishes).
    nextAt: leased ? (s.leaseUntil ?? now) : (s?.nextAt ?? now),
    durationMs: 0,
  }
}

function describe(err: unknown): { code: string; message: string } {
  if (isSwitchboardError(err)) return { code: err.code, message: clip(err.message) }
  // The systems layer types its failures; anything else came from the socket (as the delivery classifier reads it).
  return { code: 'SB_ERR_SYSTEM_UNREACHABLE', message: clip(err instanceof Error ? err.message : String(err)) }
}

function clip(s: string): string {
  return s.length > MAX_ERROR_CHARS ? `${s.slice(0, MAX_ERROR_CHARS - 1)}…` : s
}

function publishRun(poller: string, ok: boolean, items: number, durationMs: number, errorCode: string | null): void {
  if (pollerRunChannel.hasSubscribers) pollerRunChannel.publish({ poller, ok, items, durationMs, errorCode })
}
