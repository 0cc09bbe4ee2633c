/** Shared plumbing of the Store conformance suite. */
import assert from 'node:assert/strict'
import type { ManualClock } from '../../../src/core/clock.js'
import { SwitchboardError, type ErrorCode } from '../../../src/core/errors.js'
import type { Store } from '../../../src/store/contract.js'

export interface StoreHarness {
  store: Store
  /** Opens another Store on the same database; absent when the backend cannot (`:memory:`). */
  reopen?: () => Promise<Store>
  /** Closes the store (if still open) and deletes the database. */
  cleanup(): Promise<void>
}

/** What each case reads: the fresh store of the running test and its manual clock. */
export interface StoreContext {
  readonly store: Store
  readonly harness: StoreHarness
  readonly clock: ManualClock
}

/** Asserts that `p` rejects with a SwitchboardError carrying `code`. */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<SwitchboardError> {
  let caught: unknown
  await assert.rejects(p, (err: unknown) => {
    caught = err
    return true
  })
  assert.ok(caught instanceof SwitchboardError, `expected a SwitchboardError with ${code}, got ${String(caught)}`)
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`)
  return caught
}

/** Lets other async work (queued store calls, pool round-trips) run for a while. */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
