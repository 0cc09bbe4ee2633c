/**
 * The total time budget of one call: one AbortController aborted either by a timer (reason: a
 * `SB_ERR_SYSTEM_TIMEOUT` error) or by the caller's signal (reason: the caller's). undici rejects
 * the request — or errors the response body — with that reason, so the outcome can be told
 * apart by identity. The timer is unref'd and disposed as soon as the body has been read.
 */
import { SwitchboardError } from '../core/errors.js'

export class Deadline {
  readonly controller = new AbortController()
  readonly timeoutMs: number
  readonly #system: string
  readonly #callerSignal: AbortSignal | undefined
  #timer: NodeJS.Timeout | undefined
  /** Set when the timer fired (the reason of the abort is then a SB_ERR_SYSTEM_TIMEOUT error). */
  timedOut = false

  constructor(system: string, timeoutMs: number, callerSignal: AbortSignal | undefined) {
    this.#system = system
    this.timeoutMs = timeoutMs
    this.#callerSignal = callerSignal
    if (callerSignal !== undefined) {
      if (callerSignal.aborted) this.controller.abort(callerSignal.reason)
      else callerSignal.addEventListener('abort', this, { once: true })
    }
    this.#timer = setTimeout(Deadline.#expire, timeoutMs, this)
    this.#timer.unref()
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** True when the caller's own signal aborted the call (not a timeout). */
  get callerAborted(): boolean {
    return this.#callerSignal?.aborted === true && !this.timedOut
  }

  /** EventListener for the caller's signal (an object listener avoids a closure per call). */
  handleEvent(): void {
    this.#clearTimer()
    this.controller.abort(this.#callerSignal?.reason)
  }

  /** Stops the timer and detaches from the caller's signal; idempotent. */
  readonly dispose = (): void => {
    this.#clearTimer()
    this.#callerSignal?.removeEventListener('abort', this)
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
  }

  static #expire(self: Deadline): void {
    self.#timer = undefined
    if (self.controller.signal.aborted) return
    self.timedOut = true
    self.controller.abort(
      new SwitchboardError('SB_ERR_SYSTEM_TIMEOUT', `system "${self.#system}" did not answer within ${self.timeoutMs}ms`),
    )
  }
}
