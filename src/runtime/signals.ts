/**
 * Graceful shutdown on SIGINT/SIGTERM: the first signal stops the hub (in-flight requests
 * finish, bounded by `server.shutdownTimeout`) and resolves with exit code 0; a second signal
 * while draining forces the process out at once.
 */
import type { Hub } from './hub.js'

export interface ShutdownOptions {
  signals?: readonly NodeJS.Signals[]
  /** How to force an exit on the second signal (default `process.exit`). */
  forceExit?: (code: number) => void
}

/** Resolves with the process exit code once the hub has stopped after a signal. */
export function stopOnSignals(hub: Hub, options: ShutdownOptions = {}): Promise<number> {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM']
  const forceExit = options.forceExit ?? ((code: number) => process.exit(code))
  return new Promise((resolve) => {
    let received: NodeJS.Signals | undefined
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        hub.logger.warn({ signal }, `second ${signal}: exiting without waiting for in-flight work`)
        hub.logger.flush()
        forceExit(1)
        return
      }
      received = signal
      hub.logger.info({ signal }, `${signal} received: stopping (send it again to force)`)
      hub.stop().then(
        () => finish(0),
        (err: unknown) => {
          hub.logger.error({ err }, 'shutdown failed')
          finish(1)
        },
      )
    }
    const finish = (code: number) => {
      for (const s of signals) process.off(s, onSignal)
      resolve(code)
    }
    for (const s of signals) process.on(s, onSignal)
  })
}
