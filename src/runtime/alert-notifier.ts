/**
 * The alert notifier of a node until the flows machinery delivers notifications: each channel
 * gets the rendered request (`renderChannelRequest`) over undici, with a few bounded in-process
 * retries. A notification is accepted when every one of its channels answered 2xx; otherwise
 * `notify` rejects and the evaluator offers it again at its next evaluation — channels that
 * already accepted it are skipped then, so a flaky channel does not make the others repeat.
 *
 * Not durable: a notification a channel has not accepted when the process dies is offered again
 * after the restart only if its state was persisted (the alert loop persists after every
 * evaluation). Durable delivery, with the retry schedule and dead-letter queue of flows, comes
 * with the flows wiring (swap this notifier with `Observability.setAlertNotifier`).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { request, type Dispatcher } from 'undici'
import type { AlertChannelConfig } from '../config/spec/alert.js'
import { systemClock, type Clock } from '../core/clock.js'
import { SwitchboardError } from '../core/errors.js'
import { renderChannelRequest, type AlertNotification, type AlertNotifier } from '../observe/index.js'

export interface HttpAlertNotifierOptions {
  /** `channels` from the config, secrets resolved. */
  channels: Readonly<Record<string, AlertChannelConfig>>
  clock?: Clock
  /** Sends per channel and notification, this call. Default 3. */
  attempts?: number
  /** Delay before the second attempt; doubles after each. Default 500 ms. */
  backoffMs?: number
  /** Limit of one attempt, headers and body. Default 10 s. */
  timeoutMs?: number
  /** undici dispatcher (tests); default the global one. */
  dispatcher?: Dispatcher
}

/** How many (notification, channel) acceptances are remembered to skip on a re-offer. */
const REMEMBERED = 1000

/** Statuses worth another attempt: the receiver may accept the same request a moment later. */
const RETRYABLE = (status: number): boolean => status === 408 || status === 425 || status === 429 || status >= 500

class SendFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message)
  }
}

export class HttpAlertNotifier implements AlertNotifier {
  readonly #channels: Readonly<Record<string, AlertChannelConfig>>
  readonly #clock: Clock
  readonly #attempts: number
  readonly #backoffMs: number
  readonly #timeoutMs: number
  readonly #dispatcher: Dispatcher | undefined
  readonly #accepted = new Set<string>()
  readonly #closing = new AbortController()

  constructor(options: HttpAlertNotifierOptions) {
    this.#channels = options.channels
    this.#clock = options.clock ?? systemClock
    this.#attempts = Math.max(1, options.attempts ?? 3)
    this.#backoffMs = options.backoffMs ?? 500
    this.#timeoutMs = options.timeoutMs ?? 10_000
    this.#dispatcher = options.dispatcher
  }

  async notify(n: AlertNotification): Promise<void> {
    const results = await Promise.all(
      n.channels.map(async (name) => {
        const mark = `${n.id}\u0000${name}`
        if (this.#accepted.has(mark)) return undefined
        const channel = Object.hasOwn(this.#channels, name) ? this.#channels[name] : undefined
        if (channel === undefined) return `${name}: no such channel`
        try {
          await this.#deliver(n, channel)
        } catch (err) {
          return `${name}: ${(err as Error).message}`
        }
        this.#remember(mark)
        return undefined
      }),
    )
    const failures = results.filter((r): r is string => r !== undefined)
    if (failures.length > 0) {
      throw new SwitchboardError('SB_ERR_ALERT_NOTIFY_FAILED', `alert ${n.key} (${n.status}) not accepted by ${failures.join('; ')}`)
    }
  }

  /** Aborts sends and retry waits in progress (at shutdown); later calls fail at once. */
  close(): void {
    this.#closing.abort()
  }

  #remember(mark: string): void {
    this.#accepted.add(mark)
    if (this.#accepted.size > REMEMBERED) {
      const oldest = this.#accepted.values().next().value
      if (oldest !== undefined) this.#accepted.delete(oldest)
    }
  }

  async #deliver(n: AlertNotification, channel: AlertChannelConfig): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#send(n, channel)
      } catch (err) {
        if (!(err instanceof SendFailure && err.retryable) || attempt >= this.#attempts) throw err
      }
      await sleep(this.#backoffMs * 2 ** (attempt - 1), undefined, { signal: this.#closing.signal }).catch(() => undefined)
      if (this.#closing.signal.aborted) throw new SendFailure('shutting down', false)
    }
  }

  async #send(n: AlertNotification, channel: AlertChannelConfig): Promise<void> {
    if (this.#closing.signal.aborted) throw new SendFailure('shutting down', false)
    // Rendered per attempt: a signed webhook's timestamp must be fresh.
    const req = renderChannelRequest(n, channel, this.#clock.now())
    let res: Dispatcher.ResponseData
    try {
      res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#timeoutMs)]),
        ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
      })
    } catch (err) {
      // The URL may embed a token (Slack): name the failure, not the URL.
      const code = (err as { code?: string }).code ?? (err as Error).name
      throw new SendFailure(`request failed (${code})`, !this.#closing.signal.aborted)
    }
    await res.body.dump().catch(() => undefined)
    if (res.statusCode >= 200 && res.statusCode < 300) return
    throw new SendFailure(`answered ${res.statusCode}`, RETRYABLE(res.statusCode))
  }
}
