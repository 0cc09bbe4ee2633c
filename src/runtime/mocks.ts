/** Starts the mock systems of a config and computes every system's effective base URLs. */
import type { Logger } from 'pino'
import type { RawConfig } from '../config/spec/root.js'
import { startMockSystem, type MockSystem } from '../systems/mock/server.js'

export interface StartedMocks {
  mocks: Map<string, MockSystem>
  /** System name → base URLs: the mock's URL for mocked systems, else the configured ones. */
  effectiveBaseUrls: Map<string, string[]>
  close(): Promise<void>
}

/** `anyPort` ignores `mock.port` (every mock on a free port). */
export async function startMocks(config: Readonly<RawConfig>, configDir: string, logger: Logger, anyPort = false): Promise<StartedMocks> {
  const mocks = new Map<string, MockSystem>()
  const effectiveBaseUrls = new Map<string, string[]>()
  const close = async () => {
    await Promise.allSettled([...mocks.values()].map((m) => m.close()))
  }
  try {
    for (const [name, system] of Object.entries(config.systems ?? {})) {
      if (system.mock) {
        const mock = await startMockSystem({ name, system, configDir, logger, ...(anyPort ? { port: 0 } : {}) })
        mocks.set(name, mock)
        effectiveBaseUrls.set(name, [mock.url])
        logger.info({ system: name, url: mock.url }, `mock system ${name} listening on ${mock.url}`)
      } else if (system.baseUrl !== undefined) {
        effectiveBaseUrls.set(name, Array.isArray(system.baseUrl) ? [...system.baseUrl] : [system.baseUrl])
      }
    }
  } catch (err) {
    await close()
    throw err
  }
  return { mocks, effectiveBaseUrls, close }
}
