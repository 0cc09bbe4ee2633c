/**
 * Shared fixtures for the auth policy tests: a real (in-memory SQLite) store, request inputs,
 * and deps. The store is the real implementation; only call counting wraps it.
 */
import { systemClock, type Clock } from '../../../src/core/clock.js'
import type { ConsumerConfig } from '../../../src/config/spec/consumer.js'
import type { AuthDeps, AuthInput, AuthResult } from '../../../src/gateway/auth/policy.js'
import type { Store } from '../../../src/store/contract.js'
import { openStore } from '../../../src/store/open.js'

/** A migrated in-memory SQLite store with the given consumers (name → scopes). */
export async function openTestStore(consumers: Record<string, string[]> = {}): Promise<Store> {
  const store = await openStore('sqlite::memory:')
  await store.migrate()
  for (const [name, scopes] of Object.entries(consumers)) await store.consumers.upsert({ name, source: 'config', scopes })
  return store
}

export function deps(store: Store, consumers: Record<string, ConsumerConfig> = {}, clock: Clock = systemClock): AuthDeps {
  return { store, consumers: new Map(Object.entries(consumers)), clock }
}

export function req(parts: { headers?: Record<string, string | string[]>; query?: Record<string, unknown>; body?: Buffer | string; now?: number } = {}): AuthInput {
  return {
    headers: parts.headers ?? {},
    query: parts.query ?? {},
    rawBody: parts.body === undefined ? undefined : Buffer.isBuffer(parts.body) ? parts.body : Buffer.from(parts.body),
    now: parts.now ?? Date.now(),
  }
}

/** The error code of an invalid result, 'absent', or 'ok'. */
export function outcome(r: AuthResult): string {
  if (r.ok) return 'ok'
  return r.reason === 'absent' ? 'absent' : r.error.code
}

export function isPromise(v: unknown): v is Promise<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function'
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Poll `check` every 25 ms until it returns true or `limitMs` passes; returns the last answer. */
export async function eventually(check: () => Promise<boolean> | boolean, limitMs: number): Promise<boolean> {
  const until = Date.now() + limitMs
  for (;;) {
    if (await check()) return true
    if (Date.now() >= until) return false
    await sleep(25)
  }
}
