/**
 * The circuit breaker of one system, shared by the gateway and the flows.
 *
 * closed ──(failure rate ≥ failureRate over ≥ minRequests calls in the window)──▶ open
 * open ──(cooldown elapsed)──▶ half-open: up to `halfOpenProbes` concurrent probe calls
 * half-open ──(a probe succeeds)──▶ closed (fresh window) · (a probe fails)──▶ open (fresh cooldown)
 *
 * The window is a ring of {@link BUCKETS} buckets, so recording is O(1) and nothing is
 * allocated per call. Time comes from the {@link Clock} seam (tests step a ManualClock); the
 * open → half-open move happens lazily when someone looks, plus one timer while callers wait.
 * Transitions are published on `switchboard:circuit:transition`; the breaker never logs.
 */
import { systemClock, type Clock } from '../core/clock.js'
import { circuitTransitionChannel, type CircuitTransitionMessage } from './diagnostics.js'
import type { CircuitState } from './types.js'

/** Buckets in the rolling window; the window slides by `window / BUCKETS`. */
const BUCKETS = 10
/** Retry hint while half-open and every probe slot is taken: a probe usually ends within a second. */
const BUSY_PROBES_RETRY_MS = 1_000

export interface CircuitBreakerOptions {
  /** Open when `failures / calls` in the window reaches this share (0 < rate ≤ 1). */
  failureRate: number
  /** Calls needed in the window before the rate is judged. */
  minRequests: number
  windowMs: number
  cooldownMs: number
  /** Concurrent probe calls let through while half-open. */
  halfOpenProbes: number
}

/** The answer of {@link CircuitBreaker.tryAcquire}. */
export type CircuitPermit = { readonly ok: true; readonly probe: boolean } | { readonly ok: false; readonly retryAfterMs: number }

const PASS: CircuitPermit = Object.freeze({ ok: true, probe: false })
const PROBE: CircuitPermit = Object.freeze({ ok: true, probe: true })

interface Waiter {
  resolve: () => void
  reject: (reason: unknown) => void
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

export class CircuitBreaker {
  readonly system: string
  readonly options: Readonly<CircuitBreakerOptions>
  readonly #clock: Clock
  #state: CircuitState = 'closed'
  #openedAt: number | null = null
  #probes = 0
  readonly #bucketMs: number
  /** Epoch (time / bucketMs) each bucket currently counts; -1 = empty. */
  readonly #epochs = new Float64Array(BUCKETS).fill(-1)
  readonly #ok = new Uint32Array(BUCKETS)
  readonly #failed = new Uint32Array(BUCKETS)
  #waiters: Waiter[] = []
  #timer: NodeJS.Timeout | undefined

  constructor(system: string, options: CircuitBreakerOptions, clock: Clock = systemClock) {
    if (!(options.failureRate > 0 && options.failureRate <= 1)) throw new RangeError('failureRate must be in (0, 1]')
    if (!(options.minRequests >= 1 && options.halfOpenProbes >= 1)) throw new RangeError('minRequests and halfOpenProbes must be ≥ 1')
    if (!(options.windowMs > 0 && options.cooldownMs > 0)) throw new RangeError('windowMs and cooldownMs must be > 0')
    this.system = system
    this.options = Object.freeze({ ...options })
    this.#clock = clock
    this.#bucketMs = Math.max(1, options.windowMs / BUCKETS)
  }

  /** The current state (moving open → half-open if the cooldown has elapsed). */
  get state(): CircuitState {
    this.#tick()
    return this.#state
  }

  /** Epoch ms at which the circuit last opened; `null` while closed. */
  get openedAt(): number | null {
    return this.#openedAt
  }

  /**
   * Asks to make a call. `{ ok: true, probe }` — go ahead, then report the outcome with
   * {@link onSuccess}/{@link onFailure}/{@link onCancel} passing `probe` back. `{ ok: false }` —
   * do not call; `retryAfterMs` says when asking again may succeed. Allocation-free when closed.
   */
  tryAcquire(): CircuitPermit {
    if (this.#state === 'closed') return PASS
    this.#tick()
    if (this.#state === 'half-open') {
      if (this.#probes < this.options.halfOpenProbes) {
        this.#probes++
        return PROBE
      }
      return { ok: false, retryAfterMs: Math.min(BUSY_PROBES_RETRY_MS, this.options.cooldownMs) }
    }
    return { ok: false, retryAfterMs: this.retryAfterMs() }
  }

  /** The call succeeded (the system answered, with a status below 500). */
  onSuccess(probe: boolean): void {
    if (probe && this.#state === 'half-open') {
      this.#probes = Math.max(0, this.#probes - 1)
      this.#transition('closed')
    } else if (this.#state === 'closed') {
      this.#record(false)
    }
    // Outcomes of calls admitted before the circuit opened are ignored: the window restarts on close.
  }

  /** The call failed (5xx, network error or timeout). */
  onFailure(probe: boolean): void {
    if (probe && this.#state === 'half-open') {
      this.#probes = Math.max(0, this.#probes - 1)
      this.#transition('open')
    } else if (this.#state === 'closed') {
      this.#record(true)
    }
  }

  /**
   * The admitted call ended without telling anything about the system (the caller aborted, the
   * request was invalid, credentials could not be obtained): frees a probe slot, counts nothing.
   */
  onCancel(probe: boolean): void {
    if (probe && this.#state === 'half-open' && this.#probes > 0) {
      this.#probes--
      this.#wakeAll()
    }
  }

  /** Milliseconds until a call may be admitted: 0 when closed or a probe slot is free. */
  retryAfterMs(): number {
    this.#tick()
    if (this.#state === 'open') return Math.max(0, (this.#openedAt ?? 0) + this.options.cooldownMs - this.#clock.now())
    if (this.#state === 'half-open' && this.#probes >= this.options.halfOpenProbes) {
      return Math.min(BUSY_PROBES_RETRY_MS, this.options.cooldownMs)
    }
    return 0
  }

  /** Calls and failures in the rolling window (what the failure rate is judged on). */
  windowStats(): { requests: number; failures: number } {
    let requests = 0
    let failures = 0
    const current = Math.floor(this.#clock.now() / this.#bucketMs)
    for (let i = 0; i < BUCKETS; i++) {
      const epoch = this.#epochs[i]!
      if (epoch > current - BUCKETS && epoch <= current) {
        requests += this.#ok[i]! + this.#failed[i]!
        failures += this.#failed[i]!
      }
    }
    return { requests, failures }
  }

  /**
   * Resolves when a call may be admitted: at once if closed or a probe slot is free; otherwise
   * on the next transition to half-open or closed, or when a probe slot frees up. Every waiter
   * is woken on each such event (they then race for the probe slots through `tryAcquire`; the
   * losers wait again), so no woken waiter can strand the others, and nothing polls: one timer
   * per breaker covers the cooldown. Rejects with `signal.reason` when the signal aborts.
   */
  waitUntilClosedOrProbe(signal?: AbortSignal): Promise<void> {
    if (this.retryAfterMs() === 0) return Promise.resolve()
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined }
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#waiters.indexOf(waiter)
          if (i >= 0) this.#waiters.splice(i, 1)
          if (this.#waiters.length === 0) this.#disarm()
          reject(signal.reason)
        }
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      this.#waiters.push(waiter)
      this.#arm()
    })
  }

  /** Moves open → half-open once the cooldown has elapsed. */
  #tick(): void {
    if (this.#state === 'open' && this.#clock.now() >= (this.#openedAt ?? 0) + this.options.cooldownMs) {
      this.#transition('half-open')
    }
  }

  #record(failure: boolean): void {
    const now = this.#clock.now()
    const epoch = Math.floor(now / this.#bucketMs)
    const i = ((epoch % BUCKETS) + BUCKETS) % BUCKETS
    if (this.#epochs[i] !== epoch) {
      this.#epochs[i] = epoch
      this.#ok[i] = 0
      this.#failed[i] = 0
    }
    if (!failure) {
      this.#ok[i]!++
      return
    }
    this.#failed[i]!++
    const { requests, failures } = this.windowStats()
    if (requests >= this.options.minRequests && failures / requests >= this.options.failureRate) this.#transition('open')
  }

  #transition(to: CircuitState): void {
    const from = this.#state
    if (from === to) return
    const at = this.#clock.now()
    this.#state = to
    this.#probes = 0
    if (to === 'open') {
      this.#openedAt = at
    } else if (to === 'closed') {
      this.#openedAt = null
      this.#epochs.fill(-1)
    }
    if (circuitTransitionChannel.hasSubscribers) {
      const message: CircuitTransitionMessage = { system: this.system, from, to, at }
      circuitTransitionChannel.publish(message)
    }
    if (to === 'open') this.#arm()
    else this.#wakeAll()
  }

  #wakeAll(): void {
    if (this.#waiters.length === 0) return
    const waiters = this.#waiters
    this.#waiters = []
    this.#disarm()
    for (const w of waiters) {
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort)
      w.resolve()
    }
  }

  /** One timer per breaker, only while callers wait on an open circuit. */
  #arm(): void {
    if (this.#timer !== undefined || this.#waiters.length === 0 || this.#state !== 'open') return
    const delay = Math.max(1, (this.#openedAt ?? 0) + this.options.cooldownMs - this.#clock.now())
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#tick()
      this.#arm() // still open (the clock is behind the timer): wait again
    }, delay)
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
