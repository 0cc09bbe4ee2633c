/**
 * The node's side of the span worker (span-worker.ts): a {@link GatewaySpanSink} that posts each
 * batch of gateway span records to the worker thread. Never holds the process open (the thread
 * is unref'd), never blocks a request: when the worker falls behind by more than
 * {@link MAX_IN_FLIGHT} records, new batches are dropped and counted, as the SDK's own batch
 * processor drops spans when its queue is full.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { GatewaySpanRecord, GatewaySpanSink } from '../observe/index.js'
import type { SpanWorkerData, SpanWorkerReply, SpanWorkerRequest } from './span-worker.js'

/** Records posted and not yet recorded by the worker beyond which batches are dropped. */
export const MAX_IN_FLIGHT = 8192

/**
 * How long a stop waits for a worker that is still loading (the SDK's modules; from source, tsx
 * compiling them) before its own flush bound starts: a node stopped right after it started still
 * flushes its spans, and a worker that never loads cannot hold the shutdown.
 */
const READY_WAIT_MS = 5_000

export interface SpanWorkerEvents {
  /** OpenTelemetry's warnings in the worker (already rate-limited), and the host's own. */
  warn(message: string, detail: unknown[]): void
}

/** The worker's entry next to this file: `.ts` when run from source (tsx), `.js` when built. */
const ENTRY = new URL(`./span-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

/**
 * Starts the worker thread. From source (tests, `tsx`), Node 20 does not carry the main thread's
 * TypeScript loader into workers: the thread registers tsx's loader itself, then imports the entry.
 */
function startWorker(data: SpanWorkerData): Worker {
  const options = { workerData: data, name: 'switchboard-spans' }
  if (!ENTRY.pathname.endsWith('.ts')) return new Worker(ENTRY, options)
  const tsx = import.meta.resolve('tsx/esm/api')
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}) })`
  return new Worker(boot, { ...options, eval: true })
}

export class SpanWorkerHost implements GatewaySpanSink {
  readonly #worker: Worker
  readonly #events: SpanWorkerEvents
  #inFlight = 0
  #dropped = 0
  #gone = false
  #stopped: Promise<void> | undefined
  readonly #ready: Promise<void>

  constructor(data: SpanWorkerData, events: SpanWorkerEvents) {
    this.#events = events
    this.#worker = startWorker(data)
    this.#worker.unref()
    let ready = (): void => undefined
    this.#ready = new Promise<void>((resolve) => (ready = resolve))
    this.#worker.on('message', (m: SpanWorkerReply) => {
      if (m.type === 'ready') ready()
      else if (m.type === 'done') this.#inFlight -= m.count
      else if (m.type === 'diag') events.warn(m.message, m.detail)
    })
    this.#worker.on('error', (err) => {
      this.#gone = true
      ready()
      events.warn(`the span worker failed, gateway spans are no longer exported: ${err.message}`, [])
    })
    this.#worker.on('exit', () => {
      this.#gone = true
      ready()
    })
  }

  /** Records posted that the worker has not recorded yet. */
  get inFlight(): number {
    return this.#inFlight
  }

  record(batch: readonly GatewaySpanRecord[]): void {
    if (this.#gone || this.#stopped !== undefined) return
    if (this.#inFlight + batch.length > MAX_IN_FLIGHT) {
      if (this.#dropped === 0) this.#events.warn(`the span worker is behind by ${this.#inFlight} spans: dropping gateway spans until it catches up`, [])
      this.#dropped += batch.length
      return
    }
    if (this.#dropped > 0) this.#events.warn(`the span worker caught up; ${this.#dropped} gateway spans were dropped meanwhile`, [])
    this.#dropped = 0
    this.#inFlight += batch.length
    this.#worker.postMessage({ type: 'spans', records: batch } satisfies SpanWorkerRequest)
  }

  /**
   * Flushes the worker's spans (given up `timeoutMs` after the worker has loaded, and waiting at
   * most {@link READY_WAIT_MS} for that), then ends the thread.
   */
  stop(timeoutMs: number): Promise<void> {
    return (this.#stopped ??= (async () => {
      let loading: NodeJS.Timeout | undefined
      await Promise.race([this.#ready, new Promise<void>((resolve) => (loading = setTimeout(resolve, READY_WAIT_MS)))])
      clearTimeout(loading)
      if (!this.#gone) {
        const worker = this.#worker
        let timer: NodeJS.Timeout | undefined
        await new Promise<void>((resolve) => {
          const onMessage = (m: SpanWorkerReply): void => {
            if (m.type === 'stopped') resolve()
          }
          worker.on('message', onMessage)
          worker.once('exit', () => resolve())
          timer = setTimeout(resolve, timeoutMs)
          worker.postMessage({ type: 'stop' } satisfies SpanWorkerRequest)
        })
        clearTimeout(timer)
      }
      await this.#worker.terminate()
    })())
  }
}
