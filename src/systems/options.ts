/**
 * Turns one `systems.<name>` config block into the checked, defaulted, millisecond-valued options
 * the client is built from. Everything a call could trip over later (a base URL with credentials,
 * a header value with a line break) is rejected here, at boot, naming the field.
 */
import { durationMs } from '../core/duration.js'
import { SwitchboardError } from '../core/errors.js'
import type { SystemAuthConfig, SystemConfig } from '../config/spec/system.js'
import type { CircuitBreakerOptions } from './breaker.js'

/** Defaults; they mirror the `default`s of config/spec/system.ts (a test keeps them equal). */
export const SYSTEM_DEFAULTS = Object.freeze({
  timeoutMs: 10_000,
  connectTimeoutMs: 2_000,
  connections: 64,
  keepAliveMs: 60_000,
  breaker: Object.freeze({ failureRate: 0.5, minRequests: 20, windowMs: 30_000, cooldownMs: 30_000, halfOpenProbes: 1 }),
  passiveHealth: Object.freeze({ failures: 3, cooldownMs: 10_000 }),
})

/** One base URL split into what undici needs: the pool's origin and the path prefix. */
export interface BaseUrl {
  /** As configured (never holds credentials: those are refused). */
  url: string
  /** `http://host:port` */
  origin: string
  /** Path of the base URL without a trailing slash (`''` for `http://h/`). */
  prefix: string
}

export interface ResolvedSystemOptions {
  name: string
  baseUrls: BaseUrl[]
  /** Lower-cased static headers, applied to every call. */
  headers: ReadonlyArray<readonly [string, string]>
  auth: SystemAuthConfig | undefined
  timeoutMs: number
  connectTimeoutMs: number
  connections: number
  keepAliveMs: number
  breaker: CircuitBreakerOptions
  passiveHealth: { failures: number; cooldownMs: number }
  rateLimit: { perSecond: number; burst: number | undefined } | undefined
}

/** Control characters other than TAB (and DEL) are never valid in a header value; a CR/LF would split the request. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true
  }
  return false
}
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function invalid(field: string, problem: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_CONFIG_INVALID', `${field}: ${problem}`)
}

/** Parses an http(s) base URL; refuses credentials, query and fragment (they belong in `auth`/`path`). */
export function parseBaseUrl(url: string, field: string): BaseUrl {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw invalid(field, 'not a valid absolute URL')
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(field, `protocol must be http: or https:, got ${u.protocol}`)
  if (u.username !== '' || u.password !== '') throw invalid(field, 'must not contain credentials; use `auth` instead')
  if (u.search !== '' || u.hash !== '') throw invalid(field, 'must not contain a query or fragment')
  return { url, origin: u.origin, prefix: u.pathname.replace(/\/+$/, '') }
}

/** Checks a value that will be sent in a header; the message never shows the value (it may be a secret). */
export function checkHeaderValue(value: string, field: string): void {
  if (hasControlCharacter(value)) throw invalid(field, 'contains a control character (CR, LF, NUL…), which is not allowed in a header')
}

function checkAuth(auth: SystemAuthConfig | undefined, field: string): void {
  if (!auth) return
  switch (auth.type) {
    case 'apiKey':
      checkHeaderValue(auth.value, `${field}.value`)
      if (auth.header !== undefined && !HEADER_NAME.test(auth.header)) throw invalid(`${field}.header`, 'not a valid header name')
      if (auth.query !== undefined && auth.query === '') throw invalid(`${field}.query`, 'must not be empty')
      break
    case 'bearer':
      checkHeaderValue(auth.token, `${field}.token`)
      break
    case 'basic':
      // RFC 7617: the user-id cannot contain a colon (it separates user and password).
      if (auth.username.includes(':')) throw invalid(`${field}.username`, 'must not contain ":"')
      checkHeaderValue(auth.username, `${field}.username`)
      checkHeaderValue(auth.password, `${field}.password`)
      break
    case 'oauth2-client-credentials': {
      let u: URL
      try {
        u = new URL(auth.tokenUrl)
      } catch {
        throw invalid(`${field}.tokenUrl`, 'not a valid absolute URL')
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`${field}.tokenUrl`, `protocol must be http: or https:, got ${u.protocol}`)
      if (u.username !== '' || u.password !== '') throw invalid(`${field}.tokenUrl`, 'must not contain credentials; use clientId/clientSecret')
      break
    }
  }
}

/**
 * Resolves a system's config.
 * @param effectiveBaseUrls overrides `baseUrl` (mock systems served by Switchboard itself).
 */
export function resolveSystemOptions(name: string, config: SystemConfig, effectiveBaseUrls?: readonly string[]): ResolvedSystemOptions {
  const field = `systems.${name}`
  const configured = config.baseUrl === undefined ? [] : typeof config.baseUrl === 'string' ? [config.baseUrl] : config.baseUrl
  const urls = effectiveBaseUrls && effectiveBaseUrls.length > 0 ? effectiveBaseUrls : configured
  if (urls.length === 0) throw invalid(`${field}.baseUrl`, 'required (no base URL, and no mock server address was provided)')
  const baseUrls = urls.map((u, i) => parseBaseUrl(u, urls.length > 1 ? `${field}.baseUrl[${i}]` : `${field}.baseUrl`))

  const headers: Array<readonly [string, string]> = []
  for (const [key, value] of Object.entries(config.headers ?? {})) {
    if (!HEADER_NAME.test(key)) throw invalid(`${field}.headers.${key}`, 'not a valid header name')
    checkHeaderValue(value, `${field}.headers.${key}`)
    headers.push([key.toLowerCase(), value] as const)
  }
  checkAuth(config.auth, `${field}.auth`)

  const cb = config.circuitBreaker ?? {}
  const d = SYSTEM_DEFAULTS
  const resolved: ResolvedSystemOptions = {
    name,
    baseUrls,
    headers,
    auth: config.auth,
    timeoutMs: config.timeout === undefined ? d.timeoutMs : durationMs(config.timeout),
    connectTimeoutMs: config.connectTimeout === undefined ? d.connectTimeoutMs : durationMs(config.connectTimeout),
    connections: config.pool?.connections ?? d.connections,
    keepAliveMs: config.pool?.keepAlive === undefined ? d.keepAliveMs : durationMs(config.pool.keepAlive),
    breaker: {
      failureRate: cb.failureRate ?? d.breaker.failureRate,
      minRequests: cb.minRequests ?? d.breaker.minRequests,
      windowMs: cb.window === undefined ? d.breaker.windowMs : durationMs(cb.window),
      cooldownMs: cb.cooldown === undefined ? d.breaker.cooldownMs : durationMs(cb.cooldown),
      halfOpenProbes: cb.halfOpenProbes ?? d.breaker.halfOpenProbes,
    },
    passiveHealth: {
      failures: config.passiveHealth?.failures ?? d.passiveHealth.failures,
      cooldownMs: config.passiveHealth?.cooldown === undefined ? d.passiveHealth.cooldownMs : durationMs(config.passiveHealth.cooldown),
    },
    rateLimit: config.rateLimit ? { perSecond: config.rateLimit.perSecond, burst: config.rateLimit.burst } : undefined,
  }
  // The schema already demands positive durations; programmatic configs skip the schema.
  if (!(resolved.timeoutMs > 0)) throw invalid(`${field}.timeout`, 'must be greater than 0')
  if (!(resolved.connectTimeoutMs > 0)) throw invalid(`${field}.connectTimeout`, 'must be greater than 0')
  return resolved
}
