/**
 * The contract between the gateway and its inbound authentication policies. A policy is built
 * once per route from its options (`factory(options, deps) → AuthPolicy`, options checked at
 * boot) and called per request. A route may accept several policies; the gateway tries them in
 * order and the first that finds its credentials decides.
 */
import type { Clock } from '../../core/clock.js'
import type { SwitchboardError } from '../../core/errors.js'
import type { Store } from '../../store/contract.js'
import type { ConsumerConfig } from '../../config/spec/consumer.js'

/** Who is calling, once authenticated. */
export interface Principal {
  /** Consumer name, or null for an anonymous (`none`) route or an unmapped JWT subject. */
  consumer: string | null
  scopes: readonly string[]
  method: 'apiKey' | 'jwt' | 'webhook' | 'none'
  /** Key id, JWT subject or webhook id — for logs and audit, never a secret. */
  subject?: string
  claims?: Readonly<Record<string, unknown>>
}

/** The minimal view of a request a policy needs (keeps policies independent of fastify). */
export interface AuthInput {
  headers: Readonly<Record<string, string | string[] | undefined>>
  query: Readonly<Record<string, unknown>>
  /** Raw body bytes; present only when the policy declared `needsRawBody`. */
  rawBody: Buffer | undefined
  /** Epoch ms (from the gateway's clock; tests move it). */
  now: number
}

export type AuthResult =
  | { ok: true; principal: Principal }
  /** This method's credentials are not in the request: the gateway tries the next method. */
  | { ok: false; reason: 'absent' }
  /** Credentials present but wrong (bad signature, expired, revoked): stop and answer `error`. */
  | { ok: false; reason: 'invalid'; error: SwitchboardError }

export interface AuthPolicy {
  /** Scheme for `WWW-Authenticate` on 401 (e.g. `Bearer`, `ApiKey`, `Signature`). */
  readonly scheme: string
  /** When true the gateway buffers the raw body before calling {@link authenticate}. */
  readonly needsRawBody: boolean
  /** May return synchronously (cache hits) to keep the hot path free of promise allocation. */
  authenticate(input: AuthInput): AuthResult | Promise<AuthResult>
  /** Release timers/caches (on config reload or shutdown). */
  close?(): void
}

export interface AuthDeps {
  store: Store
  consumers: ReadonlyMap<string, Readonly<ConsumerConfig>>
  clock: Clock
}

export type AuthPolicyFactory<O> = (options: O, deps: AuthDeps) => AuthPolicy
