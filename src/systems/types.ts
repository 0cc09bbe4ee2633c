/**
 * The shapes shared by everything that calls an external system (gateway proxy, flow delivery,
 * pollers) through {@link SystemClient}: one call in, one response or one typed error out.
 */
import type { Dispatcher } from 'undici'

/** One outbound call. */
export interface SystemCallOptions {
  /** HTTP method, upper case (`GET`, `POST`, …). */
  method: string
  /**
   * Already-encoded path (must start with `/`) plus an optional `?query`; appended to the path of
   * the base URL (`http://h/api` + `/orders?x=1` → `/api/orders?x=1`).
   */
  path: string
  /**
   * Request headers. Names are compared case-insensitively; hop-by-hop headers and `host` are
   * dropped; the system's static `headers` and its outbound auth win over these.
   */
  headers?: Record<string, string | string[] | undefined>
  /**
   * Request body. A Buffer or string is *replayable*: the call may be retried once after an
   * OAuth2 401, or sent to the next base URL when a connection is refused. A stream never is.
   */
  body?: Buffer | string | NodeJS.ReadableStream | null
  /** Total time for this call (token, connect, headers and body), overriding the system's `timeout`. */
  timeoutMs?: number
  /** Aborts the call; the promise (or the body stream) rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * What to do when the system's outbound rate limit has no token left. `false` (default, the
   * gateway): fail fast with `RetryAfterError` `SB_ERR_SYSTEM_RATE_LIMITED`. `true` (flows and
   * pollers): wait for a token (bounded only by `signal`; the wait does not count against the timeout).
   */
  waitForRateLimit?: boolean
}

/**
 * The system's answer, whatever its status: the caller decides what a 4xx means. The body must be
 * consumed or dumped (`await res.body.dump()`), as with any undici response; the call's timeout
 * keeps running until it has been read.
 */
export interface SystemResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: Dispatcher.ResponseData['body']
}

/** States of a system's circuit breaker (see docs/reference/circuit-breaker.md). */
export type CircuitState = 'closed' | 'open' | 'half-open'

/** Passive health of one base URL of a system. */
export interface TargetHealth {
  baseUrl: string
  /** `false` while the URL is skipped after too many consecutive failures. */
  healthy: boolean
  consecutiveFailures: number
  /** Epoch ms until which the URL is skipped (`null` when healthy). */
  downUntil: number | null
}

/** A point-in-time view of one system, for `/readyz`, the admin API and metrics. */
export interface SystemHealth {
  system: string
  state: CircuitState
  baseUrls: string[]
  /** Epoch ms at which the circuit last opened; `null` when closed. */
  openedAt: number | null
  /** How long calls are still refused (0 when closed or a probe may go through). */
  retryAfterMs: number
  /** Calls and failures counted in the breaker's rolling window. */
  windowRequests: number
  windowFailures: number
  /** Per base URL passive health. */
  targets: TargetHealth[]
}
