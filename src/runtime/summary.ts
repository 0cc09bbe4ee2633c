/** The one start-up log line that tells an operator what this node is and where it listens. */
import type { RawConfig } from '../config/spec/root.js'
import type { Store } from '../store/contract.js'

export interface SummaryInput {
  role: string
  adminUrl: string
  gatewayUrl: string | undefined
  store: Pick<Store, 'description'>
  config: Readonly<RawConfig>
  revision: number | undefined
  mocks: number
  tokenSource: string
  /** Routes the gateway of this node serves (0 for the worker role). */
  servedRoutes: number
}

export function startupSummary(input: SummaryInput): { message: string; fields: Record<string, unknown> } {
  const c = input.config
  const counts = {
    systems: Object.keys(c.systems ?? {}).length,
    consumers: Object.keys(c.consumers ?? {}).length,
    routes: (c.routes ?? []).length,
    topics: Object.keys(c.topics ?? {}).length,
    flows: (c.flows ?? []).length,
    pollers: (c.pollers ?? []).length,
  }
  const listening = [`admin ${input.adminUrl}`, ...(input.gatewayUrl ? [`gateway ${input.gatewayUrl}`] : [])].join(', ')
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`
  const publishRoutes = (c.routes ?? []).filter((r) => r.publish !== undefined).length
  const served = input.gatewayUrl ? '' : ' (not served: no gateway on this node)'
  const message =
    `switchboard started (role ${input.role}, mode ${c.mode ?? 'development'}): ${listening}; store ${input.store.description}; ` +
    `${n(counts.systems, 'system')} (${input.mocks} mocked), ${n(counts.consumers, 'consumer')}, ${n(counts.routes, 'route')}${served}, ${n(counts.topics, 'topic')}, ${n(counts.flows, 'flow')}`
  return {
    message,
    fields: {
      role: input.role,
      mode: c.mode ?? 'development',
      admin: input.adminUrl,
      gateway: input.gatewayUrl ?? null,
      store: input.store.description,
      configRevision: input.revision ?? 'unchanged',
      adminToken: input.tokenSource,
      mocks: input.mocks,
      ...counts,
      servedRoutes: input.servedRoutes,
      proxyRoutes: counts.routes - publishRoutes,
      publishRoutes,
    },
  }
}
