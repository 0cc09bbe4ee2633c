/** A FlowsService on an in-memory SQLite store, with real system clients to loopback sinks. */
import { setTimeout as sleep } from 'node:timers/promises'
import type { FlowConfig } from '../../../src/config/spec/flow.js'
import type { SystemConfig } from '../../../src/config/spec/system.js'
import type { TopicConfig } from '../../../src/config/spec/topic.js'
import { FlowsService, type FlowsServiceOptions } from '../../../src/flows/service.js'
import type { Store } from '../../../src/store/contract.js'
import { openStore } from '../../../src/store/open.js'
import { Systems } from '../../../src/systems/registry.js'

export interface Harness {
  store: Store
  service: FlowsService
  systems: Systems
  close(): Promise<void>
}

export interface HarnessOptions {
  topics?: Record<string, TopicConfig>
  flows: FlowConfig[]
  systems: Record<string, SystemConfig>
  service?: Partial<FlowsServiceOptions>
  storeUrl?: string
}

/** A fast retry schedule for tests (real time). */
export const FAST_RETRY = { attempts: 5, initial: '20ms', max: '80ms', factor: 2, jitter: 'none' } as const

export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const store = await openStore(o.storeUrl ?? 'sqlite::memory:')
  await store.migrate()
  const systems = Systems.fromConfig(o.systems)
  const service = await FlowsService.start({
    store,
    systems,
    config: { config: { topics: o.topics ?? { 'order.created': {} }, flows: o.flows, systems: o.systems }, dir: process.cwd() },
    worker: { pollMs: 50, leaseMs: 5000 },
    retentionIntervalMs: 0,
    ...o.service,
  })
  return {
    store,
    service,
    systems,
    async close() {
      await service.stop(1000)
      await systems.close()
      await store.close()
    },
  }
}

/** Poll `check` until it returns a truthy value (or fail after `timeoutMs`). */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}
