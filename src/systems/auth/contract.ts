/**
 * Outbound auth: a small piece applied to each call after its headers are built, in the spirit
 * of an undici interceptor (decorate the request, react to the response), but as plain
 * functions so the OAuth2 "401 → refresh → retry once" loop can see the response status.
 */
import type { OutboundHeaders } from '../headers.js'

/** The parts of a call that auth may change. */
export interface OutboundCall {
  headers: OutboundHeaders
  /** Path relative to the base URL, with its query. */
  path: string
}

export interface OutboundAuth {
  /** `apiKey`, `bearer`, `basic`, `oauth2-client-credentials`. */
  readonly type: string
  /**
   * Adds credentials to the call. Synchronous whenever possible (static credentials, cached
   * token); returns a promise only when it has to wait (token request), which rejects with
   * `SB_ERR_SYSTEM_AUTH_FAILED` or with `signal.reason`.
   */
  apply(call: OutboundCall, signal: AbortSignal): void | Promise<void>
  /**
   * Present when a 401 can be cured by fresh credentials: forgets the credential `call` was sent
   * with (not a newer one another call already fetched), so the next `apply` fetches a new one.
   */
  invalidate?(call: OutboundCall): void
  /** Releases connections held for credentials (the token endpoint pool). */
  close?(): Promise<void>
}
