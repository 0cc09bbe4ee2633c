/**
 * Which transaction the current async context is running inside, so a Store can refuse calls
 * made on itself from within its own `transaction()` callback. On SQLite such a call would
 * wait for the transaction that is waiting for it (a deadlock); PostgreSQL refuses it too so
 * both backends behave the same.
 *
 * On Node 20 an enabled AsyncLocalStorage installs async hooks that run on every promise and
 * callback of the process — a few percent of the gateway's hot path, for a check that matters
 * only while a transaction is open. So the storage is enabled only while at least one
 * transaction runs and disabled when the last one settles. Nothing is lost by that: outside
 * any open transaction there is nothing to detect, and contexts that outlive their transaction
 * carry a scope whose `active` is already false.
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
/** Transactions whose callback has not settled yet (the storage is enabled while > 0). */
let open = 0

function release(): void {
  if (--open === 0) scopes.disable()
}

export function newTxScope(owner: object): TxScope {
  return { owner, active: true, failure: undefined }
}

/** Run `fn` with `scope` as the current transaction of this async context. */
export function runInScope<T>(scope: TxScope, fn: () => Promise<T>): Promise<T> {
  open++
  let result: Promise<T>
  try {
    result = scopes.run(scope, fn) // enables the storage again if it was off
  } catch (err) {
    release()
    throw err
  }
  return result.then(
    (value) => {
      release()
      return value
    },
    (err: unknown) => {
      release()
      throw err
    },
  )
}

/** True when the caller is inside an open transaction of `owner`. */
export function insideOwnTransaction(owner: object): boolean {
  const s = scopes.getStore()
  return s !== undefined && s.active && s.owner === owner
}
