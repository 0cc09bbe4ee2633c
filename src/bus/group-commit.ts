/**
 * Group commit: many concurrent writes share one transaction, so durability costs one fsync per
 * batch instead of one per write (a SQLite commit with synchronous=FULL is a few milliseconds —
 * a hard ceiling of a few hundred commits per second if each write had its own).
 *
 * The first item of an idle batcher waits at most `maxWaitMs` for company; a batch is flushed
 * at once when it reaches `maxBatch`; items arriving while a commit is in flight form the next
 * batch, flushed as soon as it ends (one commit in flight at a time). Each `submit` resolves
 * only after its batch committed. When a batch fails, its items are retried one commit each, so
 * one bad item fails alone.
 *
 * An item submitted `urgent` (someone is waiting on it, e.g. the next delivery of an ordering
 * key) does not wait `maxWaitMs`: its batch is flushed once the current turn of the event loop
 * is done, so items submitted in the same turn still share the commit.
 */
export interface GroupCommitOptions {
  /** Most items per commit (default 256). */
  maxBatch?: number
  /** How long the first item of a batch waits for others (default 1 ms). */
  maxWaitMs?: number
}

interface Pending<T, R> {
  item: T
  resolve(r: R): void
  reject(err: unknown): void
}

export class GroupCommit<T, R> {
  private readonly maxBatch: number
  private readonly maxWaitMs: number
  private queue: Array<Pending<T, R>> = []
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  private committing: Promise<void> | undefined

  /** `commit` writes a batch in one transaction and answers one result per item, in order. */
  constructor(
    private readonly commit: (items: T[]) => Promise<R[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 256)
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 1)
  }

  submit(item: T, urgent = false): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject })
      if (this.committing) return // flushed when the commit in flight ends
      if (this.queue.length >= this.maxBatch) this.flushNow()
      else if (urgent) this.immediate ??= setImmediate(() => this.flushNow())
      else this.timer ??= setTimeout(() => this.flushNow(), this.maxWaitMs)
    })
  }

  /** Commit everything queued and wait for it. */
  async flush(): Promise<void> {
    if (!this.committing && this.queue.length > 0) this.flushNow()
    while (this.committing) await this.committing
  }

  private flushNow(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    clearImmediate(this.immediate)
    this.immediate = undefined
    const batch = this.queue.splice(0, this.maxBatch)
    if (batch.length === 0) return
    this.committing = this.run(batch).finally(() => {
      this.committing = undefined
      // Whatever queued during the commit has waited long enough.
      if (this.queue.length > 0) this.flushNow()
    })
  }

  private async run(batch: Array<Pending<T, R>>): Promise<void> {
    try {
      const results = await this.commit(batch.map((p) => p.item))
      batch.forEach((p, i) => p.resolve(results[i] as R))
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err)
        return
      }
      for (const p of batch) {
        try {
          p.resolve((await this.commit([p.item]))[0] as R)
        } catch (e) {
          p.reject(e)
        }
      }
    }
  }
}
