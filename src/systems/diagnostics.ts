/**
 * Instrumentation of the systems layer, published on `node:diagnostics_channel` (the model is
 * undici's own `lib/core/diagnostics.js`). Metrics, logs and traces subscribe; the hot path only
 * checks `hasSubscribers` and pays nothing when nobody listens. Nothing here logs.
 */
import diagnostics from 'node:diagnostics_channel'
import type { CircuitState } from './types.js'

/** One message per finished call, success or failure. */
export const SYSTEM_CALL_CHANNEL = 'switchboard:system:call'
/** One message per circuit breaker state change. */
export const CIRCUIT_TRANSITION_CHANNEL = 'switchboard:circuit:transition'

export interface SystemCallMessage {
  system: string
  method: string
  /** Status of the system's response; `null` when no response was received. */
  statusCode: number | null
  /**
   * Stable code of the error when the call failed (`SB_ERR_SYSTEM_TIMEOUT`,
   * `SB_ERR_SYSTEM_CIRCUIT_OPEN`, …), `ABORT_ERR` when the caller aborted, otherwise `null`.
   */
  errorCode: string | null
  /** Milliseconds from the call until the response headers (or the failure). */
  durationMs: number
  /** The base URL that served the call (`null` when refused before choosing one). */
  baseUrl: string | null
}

export interface CircuitTransitionMessage {
  system: string
  from: CircuitState
  to: CircuitState
  /** Epoch ms (from the breaker's clock). */
  at: number
}

export const systemCallChannel = diagnostics.channel(SYSTEM_CALL_CHANNEL)
export const circuitTransitionChannel = diagnostics.channel(CIRCUIT_TRANSITION_CHANNEL)
