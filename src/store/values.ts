/**
 * Argument checks and JSON encoding shared by both backends, so hostile or buggy input fails
 * the same way (SB_ERR_STORE_INVALID_VALUE) whatever the driver would have done with it.
 */
import { invalidValue } from './errors.js'

const MAX_PAGE = 1000

/** A page size: default when absent, capped at 1000, rejected below 1 or when fractional. */
export function pageLimit(limit: number | undefined, fallback: number, what: string): number {
  if (limit === undefined) return fallback
  if (!Number.isInteger(limit) || limit < 1) throw invalidValue(`${what}: limit must be an integer ≥ 1, got ${String(limit)}`)
  return Math.min(limit, MAX_PAGE)
}

/** A non-negative safe integer (amounts, limits, timestamps). */
export function count(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalidValue(`${what} must be a non-negative integer, got ${String(value)}`)
  return value
}

/** JSON text for a value, or SB_ERR_STORE_INVALID_VALUE when it has none (undefined, BigInt, cycles). */
export function toJson(value: unknown, what: string): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (err) {
    throw invalidValue(`${what} is not JSON-serialisable`, err)
  }
  if (text === undefined) throw invalidValue(`${what} is not JSON-serialisable (got ${typeof value})`)
  return text
}

/** JSON text, or null for null/undefined. */
export function toJsonOrNull(value: unknown, what: string): string | null {
  return value === null || value === undefined ? null : toJson(value, what)
}

/**
 * A time lower bound (`… >= since`): any finite number; negative means "from the beginning".
 * Rounded up, which keeps `>=` exact against integer columns.
 */
export function lowerBound(since: number, what: string): number {
  if (!Number.isFinite(since)) throw invalidValue(`${what} must be a finite number, got ${String(since)}`)
  return Math.max(0, Math.ceil(since))
}
