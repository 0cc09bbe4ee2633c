/**
 * Tests that need a real server (PostgreSQL, NATS, Redis) call {@link requireService}.
 * - Server reachable: the test runs.
 * - Unreachable and CI=true: the test fails (CI must never silently skip them).
 * - Unreachable on a laptop: the test is skipped with one line naming the missing server.
 */
import { connect } from 'node:net'

export type ServiceName = 'postgres' | 'nats' | 'redis'

const ADDRESSES: Record<ServiceName, { env: string; host: string; port: number }> = {
  postgres: { env: 'SWITCHBOARD_TEST_PG', host: '127.0.0.1', port: 5432 },
  nats: { env: 'SWITCHBOARD_TEST_NATS', host: '127.0.0.1', port: 4222 },
  redis: { env: 'SWITCHBOARD_TEST_REDIS', host: '127.0.0.1', port: 6379 },
}

const probes = new Map<ServiceName, Promise<boolean>>()

function probe(name: ServiceName): Promise<boolean> {
  let p = probes.get(name)
  if (!p) {
    const { host, port } = ADDRESSES[name]
    p = new Promise<boolean>((resolve) => {
      const sock = connect({ host, port })
      const done = (ok: boolean) => {
        sock.destroy()
        resolve(ok)
      }
      sock.setTimeout(1000, () => done(false))
      sock.once('connect', () => done(true))
      sock.once('error', () => done(false))
    })
    probes.set(name, p)
  }
  return p
}

/**
 * Returns `false` when the test should run, or a skip reason. Throws under CI=true when the
 * server is unreachable. Use as: `describe('x', { skip: await requireService('postgres') }, …)`.
 */
export async function requireService(name: ServiceName): Promise<string | false> {
  if (await probe(name)) return false
  const { host, port } = ADDRESSES[name]
  const msg = `${name} is not reachable at ${host}:${port}`
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: tests needing ${name} must run)`)
  console.log(`# skip: ${msg}; tests that need ${name} are skipped`)
  return `${name} not reachable at ${host}:${port}`
}

/** Connection string for a PostgreSQL admin connection (creating/dropping test databases). */
export function pgAdminUrl(database = 'postgres'): string {
  return process.env.SWITCHBOARD_TEST_PG ?? `postgres://postgres@127.0.0.1:5432/${database}`
}
