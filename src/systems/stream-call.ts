/**
 * One call of {@link SystemClient.stream}: an undici dispatch handler that hands the head and the
 * body chunks of the system's answer straight to a {@link ResponseSink} — no response stream, no
 * promise per step, no AbortController — while keeping every rule of `SystemClient.request`:
 * a deadline over the whole call (token, connect, headers, body), failover to the next base URL
 * for a replayable body that never reached the system, one OAuth2 retry after a 401, exactly one
 * breaker outcome, passive health, diagnostics. This is the gateway's hot path; flows, which want
 * a response object, use `request`.
 *
 * Life of a call: begin() → [auth token wait] → dispatch() → undici calls onConnect → onHeaders
 * → onData* → onComplete, or onError at any point. The deadline timer and a caller signal end a
 * call through the same undici abort, so the outcome is decided in one place (onError).
 */
import type { Readable } from 'node:stream'
import { SwitchboardError } from '../core/errors.js'
import type { OutboundAuth, OutboundCall } from './auth/index.js'
import type { CircuitBreaker } from './breaker.js'
import { classifyError } from './error-map.js'
import { systemCallChannel } from './diagnostics.js'
import { buildOutboundHeaders } from './headers.js'
import type { Target, TargetSet } from './targets.js'
import type { SystemCallOptions } from './types.js'

/** undici's own header/body timers are set this much later than the call's deadline. */
export const TIMEOUT_BACKSTOP_MS = 1_000

/** Lets a {@link ResponseSink} steer the body of the call that feeds it. */
export interface StreamControl {
  /** Resumes a body paused by {@link ResponseSink.onData} returning false. */
  resume(): void
  /**
   * Stops the call (the reader went away). The upstream connection is closed; the call's promise
   * rejects with `reason`. Has no effect once the call is over.
   */
  abort(reason: Error): void
}

/**
 * Receives a streamed answer (see {@link SystemClient.stream}). Nothing is called before the
 * system's final head arrived, so an error before that can still become a proper error answer.
 */
export interface ResponseSink {
  /**
   * The head of the system's answer (status ≥ 200, any status). `rawHeaders` alternates names
   * and values exactly as received (Buffers, names in the system's spelling; decode with
   * latin1) — valid only during this call.
   */
  onHead(statusCode: number, rawHeaders: readonly Buffer[], control: StreamControl): void
  /** One body chunk. Return false to pause the body until `control.resume()`. */
  onData(chunk: Buffer): boolean
  /** The body ended; the call's promise resolves right after. */
  onEnd(): void
}

/** What a call needs from its {@link SystemClient}, built once per client. */
export interface ClientParts {
  readonly name: string
  readonly targets: TargetSet
  readonly breaker: CircuitBreaker
  readonly auth: OutboundAuth | null
  readonly staticHeaders: ReadonlyArray<readonly [string, string]>
  readonly timeoutMs: number
  /** Publishes the call on the diagnostics channel (only called when someone listens). */
  publish(o: SystemCallOptions, statusCode: number | null, errorCode: string | null, start: number, target: Target | null): void
}

/** Static credentials never wait, so they never look at the signal they are given. */
const NEVER_ABORTED = new AbortController().signal

const enum Phase {
  /** Waiting for a token, a connection or the head. */
  Waiting,
  /** Reading and dropping a 401 body before retrying with a fresh token. */
  Discarding,
  /** Handing the body to the sink. */
  Streaming,
  Done,
}

/** A Buffer or string body can be sent again (OAuth2 retry, next base URL); a stream cannot. */
export function isReplayable(body: SystemCallOptions['body']): boolean {
  return body === undefined || body === null || typeof body === 'string' || Buffer.isBuffer(body)
}

export class StreamCall {
  readonly #p: ClientParts
  readonly #o: SystemCallOptions
  readonly #sink: ResponseSink
  readonly #probe: boolean
  readonly #start: number
  readonly #replayable: boolean
  readonly #timeoutMs: number
  #phase = Phase.Waiting
  #call: OutboundCall | undefined = undefined
  #target: Target | null = null
  #attempts = 0
  #reauthenticated = false
  /** undici's abort for the attempt in flight (null while none has a connection). */
  #abort: ((err: Error) => void) | null = null
  #resumeBody: (() => void) | null = null
  /** Why the call must end, set before an attempt got its connection. */
  #pendingReason: Error | null = null
  /** An abort by the sink, or the sink's own exception: the promise rejects with it unchanged. */
  #sinkReason: unknown = null
  #timedOut = false
  #timer: NodeJS.Timeout | undefined = undefined
  /** Created only for auth that may wait for a token. */
  #authAbort: AbortController | null = null
  #resolve!: () => void
  #reject!: (err: unknown) => void

  constructor(parts: ClientParts, o: SystemCallOptions, sink: ResponseSink, probe: boolean, start: number) {
    this.#p = parts
    this.#o = o
    this.#sink = sink
    this.#probe = probe
    this.#start = start
    this.#replayable = isReplayable(o.body)
    const t = o.timeoutMs ?? parts.timeoutMs
    this.#timeoutMs = t > 0 ? t : parts.timeoutMs
  }

  /** Starts the call; resolves once the sink got the whole body. */
  begin(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    const o = this.#o
    if (typeof o.path !== 'string' || o.path.charCodeAt(0) !== 47 /* / */) {
      this.#failBeforeHead(new SwitchboardError('SB_ERR_SYSTEM_REQUEST_INVALID', `call to system "${this.#p.name}": path must start with "/"`))
      return done
    }
    const signal = o.signal
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#failBeforeHead(signal.reason)
        return done
      }
      signal.addEventListener('abort', this)
    }
    // Not unref'd: a call in flight keeps the process alive anyway, and with many calls in
    // flight a ref'd timer spares Node two native ref-count toggles per call.
    this.#timer = setTimeout(StreamCall.#expire, this.#timeoutMs, this)
    this.#call = { headers: buildOutboundHeaders(o.headers, this.#p.staticHeaders, this.#replayable), path: o.path }
    this.#authorize()
    return done
  }

  // --- StreamControl -------------------------------------------------------------------------

  resume(): void {
    const resume = this.#resumeBody
    if (resume !== null && this.#phase === Phase.Streaming) resume()
  }

  abort(reason: Error): void {
    if (this.#phase === Phase.Done) return
    this.#sinkReason = reason
    this.#stop(reason)
  }

  /** EventListener of the caller's signal (an object listener: no closure per call). */
  handleEvent(): void {
    if (this.#phase !== Phase.Done) this.#stop(this.#o.signal?.reason)
  }

  // --- undici dispatch handler ---------------------------------------------------------------

  onConnect(abort: (err: Error) => void): void {
    if (this.#pendingReason !== null) {
      abort(this.#pendingReason)
      return
    }
    this.#abort = abort
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200 || this.#phase !== Phase.Waiting) return true
    const p = this.#p
    const target = this.#target as Target
    if (statusCode === 401 && !this.#reauthenticated && this.#replayable && p.auth?.invalidate !== undefined) {
      // Read the body to the end so the connection stays reusable, then retry with a new token.
      this.#phase = Phase.Discarding
      return true
    }
    if (statusCode >= 500) {
      p.targets.onFailure(target)
      p.breaker.onFailure(this.#probe)
    } else {
      p.targets.onSuccess(target)
      p.breaker.onSuccess(this.#probe)
    }
    if (systemCallChannel.hasSubscribers) p.publish(this.#o, statusCode, null, this.#start, target)
    this.#phase = Phase.Streaming
    this.#resumeBody = resume
    try {
      this.#sink.onHead(statusCode, rawHeaders, this)
    } catch (err) {
      this.#sinkFailed(err)
    }
    // The sink may have aborted (its reader is gone): stop reading.
    return this.#phase === Phase.Streaming
  }

  onData(chunk: Buffer): boolean {
    if (this.#phase !== Phase.Streaming) return true
    try {
      return this.#sink.onData(chunk)
    } catch (err) {
      this.#sinkFailed(err)
      return false
    }
  }

  onComplete(): void {
    if (this.#phase === Phase.Discarding) {
      this.#reauthenticate()
      return
    }
    if (this.#phase !== Phase.Streaming) return
    this.#finish()
    try {
      this.#sink.onEnd()
    } catch (err) {
      this.#reject(err)
      return
    }
    this.#resolve()
  }

  onError(err: Error): void {
    const phase = this.#phase
    if (phase === Phase.Done) return
    this.#abort = null
    if (phase === Phase.Streaming) {
      // The outcome was reported with the head; only the reader learns about this.
      this.#finish()
      const own = this.#sinkReason !== null || this.#callerAborted()
      this.#reject(own ? (this.#sinkReason ?? err) : classifyError(this.#p.name, this.#target?.origin ?? null, err, false).error)
      return
    }
    const target = this.#target
    const c = classifyError(this.#p.name, target?.origin ?? null, err, this.#callerAborted())
    // Never reached the system: safe to try the next base URL with a replayable body.
    if (c.notSent && this.#replayable && target !== null && this.#attempts < this.#p.targets.size && this.#pendingReason === null) {
      this.#p.targets.onFailure(target)
      this.#target = null
      // Not from inside undici's error callback: the pool may still be unwinding.
      process.nextTick(StreamCall.#redispatch, this)
      return
    }
    this.#failBeforeHead(err)
  }

  // --- internals ------------------------------------------------------------------------------

  #callerAborted(): boolean {
    return this.#o.signal?.aborted === true && !this.#timedOut
  }

  /** Adds credentials, then dispatches (at once unless a token must be fetched first). */
  #authorize(): void {
    const auth = this.#p.auth
    if (auth !== null) {
      let pending: void | Promise<void>
      try {
        pending = auth.apply(this.#call as OutboundCall, auth.invalidate === undefined ? NEVER_ABORTED : this.#authSignal())
      } catch (err) {
        this.#failBeforeHead(err)
        return
      }
      if (pending !== undefined) {
        pending.then(
          () => {
            if (this.#phase === Phase.Waiting) this.#dispatch()
          },
          (err: unknown) => {
            if (this.#phase !== Phase.Done) this.#failBeforeHead(err)
          },
        )
        return
      }
    }
    this.#dispatch()
  }

  #authSignal(): AbortSignal {
    this.#authAbort ??= new AbortController()
    return this.#authAbort.signal
  }

  static #redispatch(self: StreamCall): void {
    if (self.#phase === Phase.Waiting) self.#dispatch()
  }

  #dispatch(): void {
    const p = this.#p
    const target = p.targets.pick()
    const call = this.#call as OutboundCall
    this.#target = target
    this.#attempts++
    const backstop = this.#timeoutMs + TIMEOUT_BACKSTOP_MS
    // undici reports a refused request (bad path, header) through onError, synchronously.
    target.pool.dispatch(
      {
        method: this.#o.method,
        path: target.prefix + call.path,
        headers: call.headers,
        // undici takes any Node stream or async iterable; its types only name stream.Readable.
        body: (this.#o.body ?? null) as Buffer | string | Readable | null,
        headersTimeout: backstop,
        bodyTimeout: backstop,
      },
      this,
    )
  }

  #reauthenticate(): void {
    const auth = this.#p.auth as OutboundAuth
    const call = this.#call as OutboundCall
    this.#reauthenticated = true
    this.#abort = null
    this.#target = null // while fetching a new token no request is in flight at the system
    this.#phase = Phase.Waiting
    ;(auth.invalidate as (c: OutboundCall) => void)(call)
    // Not from inside undici's completion callback: the connection is still being released.
    process.nextTick(StreamCall.#authorizeLater, this)
  }

  static #authorizeLater(self: StreamCall): void {
    if (self.#phase === Phase.Waiting) self.#authorize()
  }

  /** The sink threw: a bug on the reader's side, reported as is (never as the system's fault). */
  #sinkFailed(err: unknown): void {
    if (this.#phase === Phase.Done) return
    this.#sinkReason = err
    this.#stop(err instanceof Error ? err : new Error(String(err)))
  }

  /** Ends the call with `reason`: through undici when an attempt is connected, else at once. */
  #stop(reason: Error): void {
    this.#authAbort?.abort(reason)
    const abort = this.#abort
    if (abort !== null) {
      abort(reason) // undici calls onError(reason) synchronously
      return
    }
    // Queued in the pool or waiting for a token: undici aborts on connect (see onConnect).
    this.#pendingReason = reason
    if (this.#phase === Phase.Streaming) {
      this.#finish()
      this.#reject(this.#sinkReason ?? reason)
    } else {
      this.#failBeforeHead(reason)
    }
  }

  /** Reports the one breaker outcome of a call that got no usable head, and rejects. */
  #failBeforeHead(err: unknown): void {
    const p = this.#p
    const target = this.#target
    const c = classifyError(p.name, target?.origin ?? null, err, this.#callerAborted())
    this.#finish()
    // Only what happened while a request was at the system says something about it: a
    // deadline that passes while waiting for an OAuth2 token is the identity provider's fault.
    if (c.failure && target !== null) {
      p.targets.onFailure(target)
      p.breaker.onFailure(this.#probe)
    } else {
      p.breaker.onCancel(this.#probe)
    }
    if (systemCallChannel.hasSubscribers) p.publish(this.#o, null, c.code, this.#start, target)
    this.#reject(c.error)
  }

  #finish(): void {
    this.#phase = Phase.Done
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    this.#o.signal?.removeEventListener('abort', this)
  }

  static #expire(self: StreamCall): void {
    self.#timer = undefined
    if (self.#phase === Phase.Done) return
    self.#timedOut = true
    self.#stop(new SwitchboardError('SB_ERR_SYSTEM_TIMEOUT', `system "${self.#p.name}" did not answer within ${self.#timeoutMs}ms`))
  }
}
