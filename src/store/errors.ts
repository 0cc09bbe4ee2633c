/**
 * The store's error vocabulary, shared by both backends. Driver errors are translated into
 * these by each backend's `errors.ts`, from the driver's error *codes*; these constructors
 * keep the messages uniform.
 */
import { SwitchboardError } from '../core/errors.js'

export function storeUnavailable(message: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError('SB_ERR_STORE_UNAVAILABLE', message, { cause })
}

export function storeClosed(description: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_STORE_UNAVAILABLE', `store ${description} is closed`)
}

export function storeConflict(message: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError('SB_ERR_STORE_CONFLICT', message, { cause })
}

export function storeNotFound(message: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError('SB_ERR_STORE_NOT_FOUND', message, { cause })
}

export function invalidValue(message: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError('SB_ERR_STORE_INVALID_VALUE', message, { cause })
}

export function migrationFailed(message: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError('SB_ERR_STORE_MIGRATION_FAILED', message, { cause })
}

/** The Store was called from inside its own transaction callback (would deadlock on SQLite). */
export function reentrantCall(): SwitchboardError {
  return new SwitchboardError(
    'SB_ERR_STORE_TX_MISUSE',
    'the Store was called inside its own transaction() callback; use the tx passed to the callback',
  )
}

/** A tx was used after its transaction committed or rolled back. */
export function txFinished(): SwitchboardError {
  return new SwitchboardError(
    'SB_ERR_STORE_TX_MISUSE',
    'this transaction has already ended; do not keep the tx after the transaction() callback settles',
  )
}
