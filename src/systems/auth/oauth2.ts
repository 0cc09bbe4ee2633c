/**
 * OAuth2 client credentials (RFC 6749 §4.4). The access token is cached and shared by every call
 * to the system:
 * - it is reused until a margin before `expires_in` (30 s, or 10 % of the lifetime when that is
 *   shorter); after that the next call fetches a new one;
 * - exactly one token request is in flight at a time, whatever the concurrency (single flight);
 * - a refresh that fails while the old token is still valid keeps using the old token and tries
 *   again at most once a second, so an identity provider outage does not fail calls early;
 * - `invalidate` (after a 401) forgets the token the failed call used, and only that one.
 * The client authenticates with HTTP Basic, the form-encoded id and secret as user and password
 * (RFC 6749 §2.3.1), or with `client_id`/`client_secret` form fields (`clientAuth: body`).
 * Secrets never appear in error messages.
 */
import { Pool } from 'undici'
import { systemClock, type Clock } from '../../core/clock.js'
import { SwitchboardError } from '../../core/errors.js'
import type { OutboundAuth, OutboundCall } from './contract.js'

export interface OAuth2Options {
  system: string
  tokenUrl: string
  clientId: string
  clientSecret: string
  scope?: string | undefined
  audience?: string | undefined
  clientAuth?: 'basic' | 'body' | undefined
  /** Time allowed for one token request. */
  timeoutMs: number
  connectTimeoutMs: number
  clock?: Clock
}

/** Lifetime assumed when the token response has no usable `expires_in`. */
const DEFAULT_LIFETIME_MS = 300_000
const MAX_MARGIN_MS = 30_000
/** After a failed refresh, wait this long before trying again while the old token is valid. */
const FAILED_REFRESH_BACKOFF_MS = 1_000
/** Token responses are small; a larger one is refused rather than buffered. */
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024
/** RFC 6750 b64token is stricter; accept any visible ASCII (JWTs, opaque tokens) but never a control character. */
const TOKEN_CHARS = /^[\x21-\x7e]+$/

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B). */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}

export class OAuth2ClientCredentials implements OutboundAuth {
  readonly type = 'oauth2-client-credentials'
  readonly #system: string
  readonly #clock: Clock
  readonly #pool: Pool
  readonly #path: string
  readonly #requestBody: string
  readonly #requestHeaders: Record<string, string>
  readonly #timeoutMs: number
  /** The cached `Authorization` value (`Bearer …`). */
  #authorization: string | undefined
  #refreshAt = 0
  #expiresAt = 0
  #inflight: Promise<void> | undefined

  constructor(options: OAuth2Options) {
    const url = new URL(options.tokenUrl)
    this.#system = options.system
    this.#clock = options.clock ?? systemClock
    this.#timeoutMs = options.timeoutMs
    this.#path = url.pathname + url.search
    this.#pool = new Pool(url.origin, { connections: 2, pipelining: 1, connect: { timeout: options.connectTimeoutMs } })
    const form = ['grant_type=client_credentials']
    if (options.scope) form.push(`scope=${formEncode(options.scope)}`)
    if (options.audience) form.push(`audience=${formEncode(options.audience)}`)
    this.#requestHeaders = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }
    if (options.clientAuth === 'body') {
      form.push(`client_id=${formEncode(options.clientId)}`, `client_secret=${formEncode(options.clientSecret)}`)
    } else {
      const credentials = `${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`
      this.#requestHeaders.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`
    }
    this.#requestBody = form.join('&')
  }

  apply(call: OutboundCall, signal: AbortSignal): void | Promise<void> {
    if (this.#authorization !== undefined && this.#clock.now() < this.#refreshAt) {
      call.headers.authorization = this.#authorization
      return
    }
    return this.#applyFresh(call, signal)
  }

  invalidate(call: OutboundCall): void {
    if (call.headers.authorization === this.#authorization) {
      this.#authorization = undefined
      this.#refreshAt = 0
      this.#expiresAt = 0
    }
  }

  async close(): Promise<void> {
    await this.#pool.close()
  }

  async #applyFresh(call: OutboundCall, signal: AbortSignal): Promise<void> {
    try {
      await abortable(this.#refresh(), signal)
    } catch (err) {
      const now = this.#clock.now()
      if (signal.aborted || this.#authorization === undefined || now >= this.#expiresAt) throw err
      // The identity provider failed but our token is still good: use it, retry the refresh later.
      this.#refreshAt = Math.min(this.#expiresAt, now + FAILED_REFRESH_BACKOFF_MS)
    }
    if (this.#authorization === undefined) throw this.#failure('no token after refresh')
    call.headers.authorization = this.#authorization
  }

  /** Single flight: every caller that needs a token awaits the same request. */
  #refresh(): Promise<void> {
    this.#inflight ??= this.#fetchToken().finally(() => {
      this.#inflight = undefined
    })
    return this.#inflight
  }

  async #fetchToken(): Promise<void> {
    let statusCode: number
    let text: string
    try {
      const res = await this.#pool.request({
        method: 'POST',
        path: this.#path,
        headers: this.#requestHeaders,
        body: this.#requestBody,
        signal: AbortSignal.timeout(this.#timeoutMs),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      })
      statusCode = res.statusCode
      text = await readLimited(res.body)
    } catch (err) {
      if (err instanceof SwitchboardError) throw this.#failure(err.message.replace(/^OAuth2 /, ''))
      const code = (err as { code?: unknown } | null)?.code
      const name = (err as { name?: unknown } | null)?.name
      throw this.#failure(`token request failed (${typeof code === 'string' ? code : typeof name === 'string' ? name : 'error'})`, err)
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    const body = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {}
    if (statusCode < 200 || statusCode > 299) {
      // `error` is a registered code (invalid_client…), safe to show; the description is not repeated.
      const oauthError = typeof body.error === 'string' && /^[\x20-\x7e]{1,64}$/.test(body.error) ? `: ${body.error}` : ''
      throw this.#failure(`token endpoint answered ${statusCode}${oauthError}`)
    }
    const token = body.access_token
    if (typeof token !== 'string' || !TOKEN_CHARS.test(token)) throw this.#failure('token response has no valid access_token')
    const tokenType = body.token_type
    if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) {
      throw this.#failure(`unsupported token_type ${JSON.stringify(String(tokenType)).slice(0, 40)}`)
    }
    const expiresIn = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in
    const lifetimeMs = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_LIFETIME_MS
    const now = this.#clock.now()
    this.#authorization = `Bearer ${token}`
    this.#expiresAt = now + lifetimeMs
    this.#refreshAt = this.#expiresAt - Math.min(MAX_MARGIN_MS, lifetimeMs * 0.1)
  }

  #failure(problem: string, cause?: unknown): SwitchboardError {
    return new SwitchboardError('SB_ERR_SYSTEM_AUTH_FAILED', `system "${this.#system}": OAuth2 ${problem}`, cause === undefined ? {} : { cause })
  }
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > MAX_TOKEN_RESPONSE_BYTES) {
      body.destroy()
      throw new SwitchboardError('SB_ERR_SYSTEM_AUTH_FAILED', `OAuth2 token response larger than ${MAX_TOKEN_RESPONSE_BYTES} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Waits for `promise`, or rejects with the signal's reason when the call's deadline hits first. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
