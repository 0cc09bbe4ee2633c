/**
 * A FIFO gate that lets one task at a time use the SQLite connection. better-sqlite3 runs
 * statements synchronously on one connection, so a transaction that awaits between statements
 * must keep everyone else out until it commits: synchronous tasks pass straight through when
 * the gate is free (the common case costs no queueing), and queue behind an open transaction
 * otherwise.
 */
export class SerialGate {
  private held = false
  private draining = false
  private readonly waiting: Array<() => void> = []

  /** True while a task (in particular an open transaction) holds the gate. */
  get busy(): boolean {
    return this.held
  }

  /** Run a synchronous task now if the gate is free, else after the tasks queued before it. */
  run<T>(task: () => T): Promise<T> {
    if (!this.held && this.waiting.length === 0) {
      this.held = true
      try {
        return Promise.resolve(task())
      } catch (err) {
        return Promise.reject(err)
      } finally {
        this.release()
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        try {
          resolve(task())
        } catch (err) {
          reject(err)
        } finally {
          this.release()
        }
      })
    })
  }

  /** Run an asynchronous task holding the gate until its promise settles. */
  runAsync<T>(task: () => Promise<T>): Promise<T> {
    const start = (): Promise<T> => {
      let p: Promise<T>
      try {
        p = task()
      } catch (err) {
        p = Promise.reject(err)
      }
      return p.finally(() => this.release())
    }
    if (!this.held && this.waiting.length === 0) {
      this.held = true
      return start()
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        start().then(resolve, reject)
      })
    })
  }

  /** Hand the gate to the next waiter; a loop, not recursion, so long queues cannot overflow the stack. */
  private release(): void {
    this.held = false
    if (this.draining) return
    this.draining = true
    try {
      let next: (() => void) | undefined
      while (!this.held && (next = this.waiting.shift()) !== undefined) {
        this.held = true
        next()
      }
    } finally {
      this.draining = false
    }
  }
}
