/**
 * Argument checks for the alert and lease repositories, shared by both backends so they refuse
 * the same input the same way (SB_ERR_STORE_INVALID_VALUE): PostgreSQL would reject a NaN in a
 * `double precision` column differently from SQLite, which would store it.
 */
import type { AlertInstanceRecord, NewAlertEvent } from './contract-alerts.js'
import { invalidValue } from './errors.js'
import { count } from './values.js'

function text(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw invalidValue(`${what} must be a non-empty string`)
  return v
}

function finite(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidValue(`${what} must be a finite number, got ${String(v)}`)
  return v
}

const finiteOrNull = (v: number | null, what: string): number | null => (v === null ? null : finite(v, what))
const timeOrNull = (v: number | null, what: string): number | null => (v === null ? null : count(v, what))

/** The instance's column values, in table order (`key` … `updated_at`), checked. */
export function instanceValues(i: AlertInstanceRecord): Array<string | number | null> {
  return [
    text(i.key, 'alert instance key'),
    text(i.alert, 'alert instance alert'),
    text(i.subjectKind, 'alert instance subjectKind'),
    text(i.subjectName, 'alert instance subjectName'),
    text(i.severity, 'alert instance severity'),
    text(i.state, 'alert instance state'),
    count(i.activeSince, 'alert instance activeSince'),
    timeOrNull(i.firingSince, 'alert instance firingSince'),
    timeOrNull(i.resolvedAt, 'alert instance resolvedAt'),
    text(i.notified, 'alert instance notified'),
    finiteOrNull(i.value, 'alert instance value'),
    finite(i.threshold, 'alert instance threshold'),
    typeof i.summary === 'string' ? i.summary : text(i.summary, 'alert instance summary'),
    count(i.updatedAt, 'alert instance updatedAt'),
  ]
}

/** Checks a whole replacement list (unique keys) and returns each instance's values. */
export function instancesValues(list: readonly AlertInstanceRecord[]): Array<Array<string | number | null>> {
  const seen = new Set<string>()
  return list.map((i) => {
    if (seen.has(i.key)) throw invalidValue(`alert instance key "${i.key}" appears twice`)
    seen.add(i.key)
    return instanceValues(i)
  })
}

/** The event's column values, in table order (`at` … `summary`), checked. */
export function eventValues(e: NewAlertEvent): Array<string | number | null> {
  if (e.status !== 'firing' && e.status !== 'resolved') throw invalidValue(`alert event status must be firing or resolved, got ${String(e.status)}`)
  return [
    count(e.at, 'alert event at'),
    text(e.key, 'alert event key'),
    text(e.alert, 'alert event alert'),
    text(e.subjectKind, 'alert event subjectKind'),
    text(e.subjectName, 'alert event subjectName'),
    text(e.severity, 'alert event severity'),
    e.status,
    finiteOrNull(e.value, 'alert event value'),
    finite(e.threshold, 'alert event threshold'),
    typeof e.summary === 'string' ? e.summary : text(e.summary, 'alert event summary'),
  ]
}

/** Checks lease arguments; returns `until`. */
export function leaseUntil(name: string, owner: string, ttlMs: number, now: number): number {
  text(name, 'lease name')
  text(owner, 'lease owner')
  count(now, 'lease now')
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw invalidValue(`lease ttlMs must be a positive integer, got ${String(ttlMs)}`)
  const until = now + ttlMs
  return count(until, 'lease until')
}

export interface InstanceRow {
  key: string
  alert: string
  subject_kind: string
  subject_name: string
  severity: string
  state: string
  active_since: number
  firing_since: number | null
  resolved_at: number | null
  notified: string
  value: number | null
  threshold: number
  summary: string
  updated_at: number
}

export const INSTANCE_COLUMNS =
  'key, alert, subject_kind, subject_name, severity, state, active_since, firing_since, resolved_at, notified, value, threshold, summary, updated_at'

export function toInstance(r: InstanceRow): AlertInstanceRecord {
  return {
    key: r.key,
    alert: r.alert,
    subjectKind: r.subject_kind,
    subjectName: r.subject_name,
    severity: r.severity,
    state: r.state,
    activeSince: r.active_since,
    firingSince: r.firing_since,
    resolvedAt: r.resolved_at,
    notified: r.notified,
    value: r.value,
    threshold: r.threshold,
    summary: r.summary,
    updatedAt: r.updated_at,
  }
}

export interface EventRow {
  id: number
  at: number
  key: string
  alert: string
  subject_kind: string
  subject_name: string
  severity: string
  status: 'firing' | 'resolved'
  value: number | null
  threshold: number
  summary: string
}

export const EVENT_COLUMNS = 'id, at, key, alert, subject_kind, subject_name, severity, status, value, threshold, summary'
export const EVENT_INSERT_COLUMNS = 'at, key, alert, subject_kind, subject_name, severity, status, value, threshold, summary'

export function toEvent(r: EventRow): { id: number } & NewAlertEvent {
  return {
    id: r.id,
    at: r.at,
    key: r.key,
    alert: r.alert,
    subjectKind: r.subject_kind,
    subjectName: r.subject_name,
    severity: r.severity,
    status: r.status,
    value: r.value,
    threshold: r.threshold,
    summary: r.summary,
  }
}
