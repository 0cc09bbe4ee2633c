/**
 * The outbound client of one system — the only way the gateway, the flows and the pollers call
 * it. One call goes through, in order:
 *   circuit open? → outbound rate limit → breaker permit → deadline (total timeout) → headers →
 *   auth → pick a base URL → undici pool → (connection refused: next base URL) →
 *   (401 with OAuth2: refresh, retry once) → breaker/passive-health outcome → diagnostics.
 * A response with any status is returned; only failures to get one are thrown, as
 * SwitchboardErrors with stable codes. The hot path allocates the header object, the deadline
 * and what undici needs; it never logs.
 */
import { performance } from 'node:perf_hooks'
import type { Readable } from 'node:stream'
import { systemClock, type Clock } from '../core/clock.js'
import { CircuitOpenError, RetryAfterError, SwitchboardError } from '../core/errors.js'
import { createOutboundAuth, type OutboundAuth, type OutboundCall } from './auth/index.js'
import { CircuitBreaker } from './breaker.js'
import { Deadline } from './deadline.js'
import { systemCallChannel, type SystemCallMessage } from './diagnostics.js'
import { classifyError } from './error-map.js'
import { buildOutboundHeaders } from './headers.js'
import type { ResolvedSystemOptions } from './options.js'
import { TokenBucket } from './rate-limit.js'
import { isReplayable, StreamCall, TIMEOUT_BACKSTOP_MS, type ClientParts, type ResponseSink } from './stream-call.js'
import { TargetSet, type Target } from './targets.js'
import type { SystemCallOptions, SystemHealth, SystemResponse } from './types.js'


/**
 * 5xx answers count as failures for the breaker and passive health; every other status
 * (including 429, which is the system protecting itself while healthy) counts as a success.
 */
function isFailureStatus(statusCode: number): boolean {
  return statusCode >= 500
}

export class SystemClient {
  readonly name: string
  readonly breaker: CircuitBreaker
  /** `null` when the system has no `rateLimit`. */
  readonly rateLimit: TokenBucket | null
  readonly #targets: TargetSet
  readonly #auth: OutboundAuth | null
  readonly #headers: ReadonlyArray<readonly [string, string]>
  readonly #timeoutMs: number
  /** What a {@link StreamCall} needs, shared by all of them. */
  readonly #parts: ClientParts

  constructor(options: ResolvedSystemOptions, clock: Clock = systemClock) {
    this.name = options.name
    this.breaker = new CircuitBreaker(options.name, options.breaker, clock)
    this.rateLimit = options.rateLimit ? new TokenBucket(options.rateLimit.perSecond, options.rateLimit.burst, clock) : null
    this.#auth = createOutboundAuth(options.name, options.auth, { timeoutMs: options.timeoutMs, connectTimeoutMs: options.connectTimeoutMs, clock })
    this.#headers = options.headers
    this.#timeoutMs = options.timeoutMs
    this.#targets = new TargetSet(
      options.baseUrls,
      { connections: options.connections, keepAliveMs: options.keepAliveMs, connectTimeoutMs: options.connectTimeoutMs, timeoutMs: options.timeoutMs },
      options.passiveHealth,
      clock,
    )
    this.#parts = {
      name: this.name,
      targets: this.#targets,
      breaker: this.breaker,
      auth: this.#auth,
      staticHeaders: this.#headers,
      timeoutMs: this.#timeoutMs,
      publish: (o, statusCode, errorCode, start, target) => this.#publish(o, statusCode, errorCode, start, target),
    }
  }

  /**
   * Calls the system. Resolves with the response whatever its status; rejects with
   * `CircuitOpenError` (SB_ERR_SYSTEM_CIRCUIT_OPEN, 503), `RetryAfterError`
   * SB_ERR_SYSTEM_RATE_LIMITED (429), or a SwitchboardError SB_ERR_SYSTEM_UNREACHABLE (502),
   * SB_ERR_SYSTEM_TIMEOUT (504), SB_ERR_SYSTEM_AUTH_FAILED (502), SB_ERR_SYSTEM_REQUEST_INVALID
   * (500). When `signal` aborts, rejects with the signal's reason.
   */
  async request(o: SystemCallOptions): Promise<SystemResponse> {
    const start = performance.now()
    // Peek first, so a call the circuit would refuse does not spend a rate-limit token.
    if (this.breaker.state === 'open') throw this.#refuse(o, start, new CircuitOpenError(this.name, this.breaker.retryAfterMs()))
    const bucket = this.rateLimit
    if (bucket !== null && !bucket.tryTake()) {
      if (o.waitForRateLimit !== true) throw this.#rateLimited(o, start, bucket)
      await bucket.take(o.signal)
    }
    const permit = this.breaker.tryAcquire()
    if (!permit.ok) throw this.#refuse(o, start, new CircuitOpenError(this.name, permit.retryAfterMs))
    return this.#exchange(o, permit.probe, start)
  }

  /**
   * Calls the system and hands its answer to `sink` as it arrives — head, then body chunks —
   * instead of returning a response object: the gateway's transparent proxy writes it straight
   * into its own response. Same admission, timeouts, failover, OAuth2 retry, breaker accounting,
   * passive health and diagnostics as {@link request}. Resolves once the sink got the whole body;
   * rejects with the same errors as `request` — before `sink.onHead` (no answer to forward yet)
   * or after it (the body failed, the deadline passed, the sink aborted).
   */
  stream(o: SystemCallOptions, sink: ResponseSink): Promise<void> {
    const start = performance.now()
    if (this.breaker.state === 'open') return Promise.reject(this.#refuse(o, start, new CircuitOpenError(this.name, this.breaker.retryAfterMs())))
    const bucket = this.rateLimit
    if (bucket !== null && !bucket.tryTake()) {
      if (o.waitForRateLimit !== true) return Promise.reject(this.#rateLimited(o, start, bucket))
      return bucket.take(o.signal).then(() => this.#startStream(o, sink, start))
    }
    return this.#startStream(o, sink, start)
  }

  #startStream(o: SystemCallOptions, sink: ResponseSink, start: number): Promise<void> {
    const permit = this.breaker.tryAcquire()
    if (!permit.ok) return Promise.reject(this.#refuse(o, start, new CircuitOpenError(this.name, permit.retryAfterMs)))
    return new StreamCall(this.#parts, o, sink, permit.probe, start).begin()
  }

  #rateLimited(o: SystemCallOptions, start: number, bucket: TokenBucket): SwitchboardError {
    const retryAfterMs = bucket.retryAfterMs()
    return this.#refuse(
      o,
      start,
      new RetryAfterError('SB_ERR_SYSTEM_RATE_LIMITED', `outbound rate limit of system "${this.name}" reached; retry in ${retryAfterMs}ms`, retryAfterMs, {
        details: { retryAfterMs },
      }),
    )
  }

  /** Everything after admission: exactly one breaker outcome is reported, whatever happens. */
  async #exchange(o: SystemCallOptions, probe: boolean, start: number): Promise<SystemResponse> {
    const timeoutMs = o.timeoutMs ?? this.#timeoutMs
    const deadline = new Deadline(this.name, timeoutMs > 0 ? timeoutMs : this.#timeoutMs, o.signal)
    const replayable = isReplayable(o.body)
    let target: Target | null = null
    try {
      if (typeof o.path !== 'string' || o.path.charCodeAt(0) !== 47 /* / */) {
        throw new SwitchboardError('SB_ERR_SYSTEM_REQUEST_INVALID', `call to system "${this.name}": path must start with "/"`)
      }
      const call: OutboundCall = { headers: buildOutboundHeaders(o.headers, this.#headers, replayable), path: o.path }
      const auth = this.#auth
      if (auth !== null) {
        const pending = auth.apply(call, deadline.signal)
        if (pending !== undefined) await pending
      }
      let attempts = 0
      let reauthenticated = false
      for (;;) {
        target = this.#targets.pick()
        attempts++
        let res: SystemResponse
        try {
          res = await target.pool.request({
            method: o.method,
            path: target.prefix + call.path,
            headers: call.headers,
            // undici takes any Node stream or async iterable; its types only name stream.Readable.
            body: (o.body ?? null) as Buffer | string | Readable | null,
            signal: deadline.signal,
            // Backstops only: the deadline fires first, so the error is always our timeout.
            headersTimeout: deadline.timeoutMs + TIMEOUT_BACKSTOP_MS,
            bodyTimeout: deadline.timeoutMs + TIMEOUT_BACKSTOP_MS,
          })
        } catch (err) {
          const c = classifyError(this.name, target.origin, err, deadline.callerAborted)
          // Never reached the system: safe to try the next base URL with a replayable body.
          if (c.notSent && replayable && attempts < this.#targets.size) {
            this.#targets.onFailure(target)
            continue
          }
          throw err
        }
        if (res.statusCode === 401 && !reauthenticated && replayable && auth?.invalidate !== undefined) {
          reauthenticated = true
          await res.body.dump()
          target = null // while fetching a new token no request is in flight at the system
          auth.invalidate(call)
          const pending = auth.apply(call, deadline.signal)
          if (pending !== undefined) await pending
          continue
        }
        if (isFailureStatus(res.statusCode)) {
          this.#targets.onFailure(target)
          this.breaker.onFailure(probe)
        } else {
          this.#targets.onSuccess(target)
          this.breaker.onSuccess(probe)
        }
        // The total timeout keeps running while the caller reads the body.
        res.body.once('close', deadline.dispose)
        if (systemCallChannel.hasSubscribers) this.#publish(o, res.statusCode, null, start, target)
        return res
      }
    } catch (err) {
      deadline.dispose()
      const c = classifyError(this.name, target?.origin ?? null, err, deadline.callerAborted)
      // Only what happened while a request was at the system says something about it: a
      // deadline that passes while waiting for an OAuth2 token is the identity provider's fault.
      if (c.failure && target !== null) {
        this.#targets.onFailure(target)
        this.breaker.onFailure(probe)
      } else {
        this.breaker.onCancel(probe)
      }
      if (systemCallChannel.hasSubscribers) this.#publish(o, null, c.code, start, target)
      throw c.error
    }
  }

  /** Point-in-time health of the system (circuit, window, base URLs). */
  health(): SystemHealth {
    const { requests, failures } = this.breaker.windowStats()
    const state = this.breaker.state
    return {
      system: this.name,
      state,
      baseUrls: this.#targets.targets.map((t) => t.baseUrl),
      openedAt: this.breaker.openedAt,
      retryAfterMs: this.breaker.retryAfterMs(),
      windowRequests: requests,
      windowFailures: failures,
      targets: this.#targets.health(),
    }
  }

  /** Closes the pools (in-flight calls finish first) and the token endpoint pool. */
  async close(): Promise<void> {
    await Promise.all([this.#targets.close(), this.#auth?.close?.()])
  }

  #refuse(o: SystemCallOptions, start: number, err: SwitchboardError): SwitchboardError {
    if (systemCallChannel.hasSubscribers) this.#publish(o, null, err.code, start, null)
    return err
  }

  #publish(o: SystemCallOptions, statusCode: number | null, errorCode: string | null, start: number, target: Target | null): void {
    const message: SystemCallMessage = {
      system: this.name,
      method: o.method,
      statusCode,
      errorCode,
      durationMs: performance.now() - start,
      baseUrl: target?.baseUrl ?? null,
    }
    systemCallChannel.publish(message)
  }
}
