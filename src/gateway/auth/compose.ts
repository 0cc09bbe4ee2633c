/**
 * A route's authentication, built once from its `auth` setting:
 * `'none' | 'apiKey' | 'jwt' | { apiKey } | { jwt } | { webhook } | [ …several ]`.
 *
 * Semantics: policies are tried in order; the first `ok` wins; the first `invalid` stops (bad
 * credentials are refused even when another method might have passed); when every policy finds
 * nothing, the answer is 401 SB_ERR_AUTH_MISSING with {@link RouteAuth.wwwAuthenticate} listing
 * each scheme — unless `none` is in the list, which makes authentication optional: the caller
 * then proceeds anonymously (`none` is always the fallback, wherever it is listed).
 *
 * String forms take their options from the top-level `auth:` block (`auth.jwt`, `auth.apiKey`);
 * object forms use only their own options. A route without `auth` is anonymous, like `none`.
 */
import { SwitchboardError } from '../../core/errors.js'
import type { AuthDefaultsConfig } from '../../config/spec/root.js'
import type { AuthMethodConfig, RouteConfig } from '../../config/spec/route.js'
import type { ApiKeyCacheOptions } from './api-key-cache.js'
import { apiKeyPolicy } from './api-key.js'
import { optionError } from './errors.js'
import { jwtPolicy } from './jwt.js'
import type { AuthDeps, AuthInput, AuthPolicy, AuthResult, Principal } from './policy.js'
import { webhookPolicy } from './webhook/index.js'

export type RouteAuthConfig = RouteConfig['auth']

export interface BuildAuthOptions {
  /** The top-level `auth:` block (options of the string forms). */
  defaults?: AuthDefaultsConfig | undefined
  /** Path of the setting, for boot errors (`routes[2].auth`). */
  at?: string
  /** Tuning of the process-wide API key cache (tests). */
  apiKeyCache?: ApiKeyCacheOptions
}

export interface RouteAuth {
  /** The credentialed policies, in order (`none` is not one: see {@link anonymous}). */
  readonly policies: readonly AuthPolicy[]
  /** True when a policy verifies the raw body (the gateway must buffer it). */
  readonly needsRawBody: boolean
  /** True when callers without credentials proceed anonymously. */
  readonly anonymous: boolean
  /** `WWW-Authenticate` value for 401 answers (undefined when there is no credentialed policy). */
  readonly wwwAuthenticate: string | undefined
  /** Synchronous whenever every policy consulted answers synchronously (API key cache hits). */
  authenticate(input: AuthInput): AuthResult | Promise<AuthResult>
  /** Release the policies' timers and caches (config reload, shutdown). */
  close(): void
}

const ANONYMOUS: AuthResult = Object.freeze({
  ok: true,
  principal: Object.freeze({ consumer: null, scopes: Object.freeze([]), method: 'none' }) as Principal,
}) as AuthResult

const METHOD_NOUN: Record<string, string> = { ApiKey: 'an API key', Bearer: 'a bearer token', Signature: 'a signed webhook' }

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown }).then === 'function'
}

function buildOne(method: AuthMethodConfig, deps: AuthDeps, options: BuildAuthOptions, at: string): AuthPolicy | 'none' {
  if (method === 'none') return 'none'
  if (method === 'apiKey') return apiKeyPolicy(options.defaults?.apiKey ?? {}, deps, 'auth.apiKey', options.apiKeyCache)
  if (method === 'jwt') {
    const jwt = options.defaults?.jwt
    if (jwt === undefined) throw optionError(at, '"jwt" takes its options from the top-level `auth.jwt` block (jwksUrl or key, issuer, audience…), which is missing; add it or use `{ jwt: {…} }`')
    return jwtPolicy(jwt, deps, 'auth.jwt')
  }
  if (typeof method === 'object' && method !== null) {
    if ('apiKey' in method) return apiKeyPolicy(method.apiKey, deps, `${at}.apiKey`, options.apiKeyCache)
    if ('jwt' in method) return jwtPolicy(method.jwt, deps, `${at}.jwt`)
    if ('webhook' in method) return webhookPolicy(method.webhook, deps, `${at}.webhook`)
  }
  throw optionError(at, `unknown authentication method ${JSON.stringify(method)} (use none, apiKey, jwt, { apiKey }, { jwt } or { webhook })`)
}

/** Build a route's authentication. Throws SB_ERR_CONFIG_INVALID naming the bad option. */
export function buildAuth(auth: RouteAuthConfig | undefined, deps: AuthDeps, options: BuildAuthOptions = {}): RouteAuth {
  const at = options.at ?? 'auth'
  const methods: readonly AuthMethodConfig[] = auth === undefined ? ['none'] : Array.isArray(auth) ? auth : [auth as AuthMethodConfig]
  if (methods.length === 0) throw optionError(at, 'list at least one method (use "none" for a public route)')

  const policies: AuthPolicy[] = []
  let anonymous = false
  try {
    methods.forEach((m, i) => {
      const p = buildOne(m, deps, options, Array.isArray(auth) ? `${at}[${i}]` : at)
      if (p === 'none') anonymous = true
      else policies.push(p)
    })
  } catch (err) {
    for (const p of policies) p.close?.()
    throw err
  }

  const schemes = [...new Set(policies.map((p) => p.scheme))]
  const wwwAuthenticate = schemes.length ? schemes.map((s) => `${s} realm="switchboard"`).join(', ') : undefined
  const wanted = schemes.map((s) => METHOD_NOUN[s] ?? s).join(' or ')

  function settle(): AuthResult {
    if (anonymous) return ANONYMOUS
    return { ok: false, reason: 'invalid', error: new SwitchboardError('SB_ERR_AUTH_MISSING', `authentication required: send ${wanted}`) }
  }

  function from(input: AuthInput, start: number): AuthResult | Promise<AuthResult> {
    for (let i = start; i < policies.length; i++) {
      const r = (policies[i] as AuthPolicy).authenticate(input)
      if (isPromise(r)) return r.then((res) => (res.ok || res.reason === 'invalid' ? res : from(input, i + 1)))
      if (r.ok || r.reason === 'invalid') return r
    }
    return settle()
  }

  return {
    policies,
    needsRawBody: policies.some((p) => p.needsRawBody),
    anonymous,
    wwwAuthenticate,
    authenticate: (input) => from(input, 0),
    close(): void {
      for (const p of policies) p.close?.()
    },
  }
}
