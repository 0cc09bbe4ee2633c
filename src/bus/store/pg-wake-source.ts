/**
 * Cross-node wake-ups for the store bus on PostgreSQL: a dedicated connection LISTENs on the
 * channel the deliveries repository NOTIFYs when it enqueues, replays or releases work (the
 * notification is delivered when that transaction commits). If the connection drops it is
 * re-established with backoff; meanwhile the bus's polling backstop keeps work moving, so a
 * lost notification only delays, never loses, a delivery.
 */
import pg from 'pg'
import type { WakeSource } from './store-bus.js'

export const DELIVERIES_CHANNEL = 'sb_deliveries'

export interface PgWakeSourceOptions {
  /** First reconnect delay (doubles up to 30 s). */
  reconnectMs?: number
  /** Called with connection errors (for logs); they are otherwise handled here. */
  onError?: (err: unknown) => void
}

export class PgWakeSource implements WakeSource {
  private client: pg.Client | undefined
  private closed = false
  private timer: NodeJS.Timeout | undefined
  private onWake: () => void = () => undefined

  constructor(
    private readonly connectionString: string,
    private readonly options: PgWakeSourceOptions = {},
  ) {}

  async start(onWake: () => void): Promise<void> {
    this.onWake = onWake
    await this.connect(this.options.reconnectMs ?? 250)
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    const c = this.client
    this.client = undefined
    await c?.end().catch(() => undefined)
  }

  private async connect(delayMs: number): Promise<void> {
    if (this.closed) return
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'switchboard-bus' })
    const retry = (err: unknown) => {
      this.options.onError?.(err)
      if (this.client === client) this.client = undefined
      client.removeAllListeners()
      client.on('error', () => undefined)
      void client.end().catch(() => undefined)
      if (this.closed) return
      // Work may have been enqueued while we were deaf: wake once, then reconnect later.
      this.onWake()
      clearTimeout(this.timer)
      this.timer = setTimeout(() => void this.connect(Math.min(delayMs * 2, 30_000)), delayMs)
      this.timer.unref()
    }
    client.on('error', retry)
    client.on('end', () => {
      if (this.client === client && !this.closed) retry(new Error('LISTEN connection ended'))
    })
    client.on('notification', () => this.onWake())
    try {
      await client.connect()
      await client.query(`LISTEN ${DELIVERIES_CHANNEL}`)
      if (this.closed) {
        await client.end()
        return
      }
      this.client = client
    } catch (err) {
      retry(err)
    }
  }
}
