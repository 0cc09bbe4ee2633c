/**
 * Argument checks and row mapping of the poller repository, shared by both backends so they
 * refuse the same input the same way (SB_ERR_STORE_INVALID_VALUE).
 */
import type { PollerClaim, PollerFinish, PollerStateRecord } from './contract-pollers.js'
import { invalidValue } from './errors.js'
import { count, toJsonOrNull } from './values.js'

export function pollerId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw invalidValue('poller id must be a non-empty string')
  return id
}

function token(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw invalidValue('poller token must be a non-empty string')
  return v
}

function leaseEnd(now: number, leaseMs: number): number {
  count(now, 'poller now')
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 1) throw invalidValue(`poller leaseMs must be a positive integer, got ${String(leaseMs)}`)
  return count(now + leaseMs, 'poller lease end')
}

/** `[token, leaseUntil, now]` of a claim, checked. */
export function claimValues(o: PollerClaim): [string, number, number] {
  return [token(o.token), leaseEnd(o.now, o.leaseMs), o.now]
}

/** `[cursorJson, leaseUntil, now, token]` of an advance, checked. */
export function advanceValues(o: { token: string; cursor: unknown; now: number; leaseMs: number }): [string | null, number, number, string] {
  return [toJsonOrNull(o.cursor, 'poller cursor'), leaseEnd(o.now, o.leaseMs), o.now, token(o.token)]
}

/** `[nextAt, now, items, errorAt, errorCode, error, token]` of a finish, checked. */
export function finishValues(o: PollerFinish): [number, number, number, number | null, string | null, string | null, string] {
  if (o.outcome !== 'ok' && o.outcome !== 'failed') throw invalidValue(`poller outcome must be ok or failed, got ${String(o.outcome)}`)
  const e = o.error
  if (e !== undefined && (typeof e.code !== 'string' || e.code.length === 0 || typeof e.message !== 'string')) throw invalidValue('poller error needs a code and a message')
  if (o.outcome === 'failed' && e === undefined) throw invalidValue('a failed poller run needs an error')
  return [count(o.nextAt, 'poller nextAt'), count(o.now, 'poller now'), count(o.items, 'poller items'), e ? o.now : null, e?.code ?? null, e?.message ?? null, token(o.token)]
}

export function ensureValues(o: { firstAt: number; latestAt: number; now: number }): [number, number, number] {
  return [count(o.firstAt, 'poller firstAt'), count(o.latestAt, 'poller latestAt'), count(o.now, 'poller now')]
}

export const POLLER_COLUMNS =
  'id, cursor_json, next_at, owner, lease_until, runs, last_run_at, last_success_at, last_items, failures, last_error_at, last_error_code, last_error, updated_at'

export interface PollerRow {
  id: string
  cursor_json: string | null
  next_at: number
  owner: string | null
  lease_until: number | null
  runs: number
  last_run_at: number | null
  last_success_at: number | null
  last_items: number
  failures: number
  last_error_at: number | null
  last_error_code: string | null
  last_error: string | null
  updated_at: number
}

export function toPollerState(r: PollerRow): PollerStateRecord {
  return {
    id: r.id,
    cursor: r.cursor_json === null ? null : (JSON.parse(r.cursor_json) as unknown),
    nextAt: r.next_at,
    owner: r.owner,
    leaseUntil: r.lease_until,
    runs: r.runs,
    lastRunAt: r.last_run_at,
    lastSuccessAt: r.last_success_at,
    lastItems: r.last_items,
    failures: r.failures,
    lastErrorAt: r.last_error_at,
    lastErrorCode: r.last_error_code,
    lastError: r.last_error,
    updatedAt: r.updated_at,
  }
}
