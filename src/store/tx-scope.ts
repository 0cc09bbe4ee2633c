/**
 * Which transaction the current async context is running inside, so a Store can refuse calls
 * made on itself from within its own `transaction()` callback. On SQLite such a call would
 * wait for the transaction that is waiting for it (a deadlock); PostgreSQL refuses it too so
 * both backends behave the same.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

/** One open transaction. `active` turns false when it commits or rolls back. */
export interface TxScope {
  readonly owner: object
  active: boolean
  /** The first statement error inside the transaction; it fails the whole transaction. */
  failure: unknown
}

const scopes = new AsyncLocalStorage<TxScope>()

export function newTxScope(owner: object): TxScope {
  return { owner, active: true, failure: undefined }
}

/** Run `fn` with `scope` as the current transaction of this async context. */
export function runInScope<T>(scope: TxScope, fn: () => Promise<T>): Promise<T> {
  return scopes.run(scope, fn)
}

/** True when the caller is inside an open transaction of `owner`. */
export function insideOwnTransaction(owner: object): boolean {
  const s = scopes.getStore()
  return s !== undefined && s.active && s.owner === owner
}
