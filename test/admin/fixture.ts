/** Builds an admin server on an in-memory store with a small config, for inject() tests. */
import { loadConfig, type LoadedConfig } from '../../src/config/load.js'
import { openStore } from '../../src/store/open.js'
import type { Store } from '../../src/store/contract.js'
import { buildAdminServer, type AdminServerOptions } from '../../src/admin/server.js'
import { resolveAdminToken } from '../../src/admin/token.js'
import type { AdminDeps } from '../../src/admin/deps.js'
import type { MockSystem } from '../../src/systems/mock/server.js'
import { Systems } from '../../src/systems/index.js'
import type { FastifyInstance } from 'fastify'

export const TOKEN = 'test-admin-token-0123456789'
export const SECRET = 'crm-secret-value-that-must-never-leak'

export const CONFIG = `
version: 1
admin:
  token: "\${env:ADMIN_TOKEN}"
systems:
  crm:
    owner: sales
    baseUrl: https://crm.example.com
    auth: { type: bearer, token: "\${env:CRM_TOKEN}" }
  billing:
    baseUrl: [https://b1.example.com, https://b2.example.com]
consumers:
  partner-acme: { owner: partnerships, scopes: [orders:read], quota: { limit: 10, per: 1d } }
`

export interface Fixture {
  app: FastifyInstance
  store: Store
  loaded: LoadedConfig
  systems: Systems
  close(): Promise<void>
}

export interface FixtureOptions extends AdminServerOptions {
  mocks?: Map<string, MockSystem>
  shuttingDown?: () => boolean
  /** YAML appended to {@link CONFIG} (e.g. a `routes:` block). */
  extraConfig?: string
}

export async function adminFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const loaded = await loadConfig('/virtual/switchboard.yaml', { text: CONFIG + (options.extraConfig ?? ''), env: { ADMIN_TOKEN: TOKEN, CRM_TOKEN: SECRET } })
  const store = await openStore('sqlite::memory:')
  await store.migrate()
  await store.consumers.upsert({ name: 'partner-acme', source: 'config', scopes: ['orders:read'] })
  const token = await resolveAdminToken({ configured: loaded.config.admin?.token, env: {}, mode: 'development', settings: store.settings })
  const effectiveBaseUrls = new Map([
    ['crm', ['https://crm.example.com']],
    ['billing', ['https://b1.example.com', 'https://b2.example.com']],
  ])
  const systems = Systems.fromConfig(loaded.config.systems ?? {}, { effectiveBaseUrls })
  const deps: AdminDeps = {
    store,
    config: () => loaded,
    effectiveBaseUrls,
    mocks: options.mocks ?? new Map(),
    systems,
    verifyToken: token.verify,
    ...(options.shuttingDown ? { isShuttingDown: options.shuttingDown } : {}),
  }
  const app = await buildAdminServer(deps, options)
  await app.ready()
  return {
    app,
    store,
    loaded,
    systems,
    close: async () => {
      await app.close()
      await systems.close()
      await store.close().catch(() => undefined)
    },
  }
}

export const auth = { authorization: `Bearer ${TOKEN}` }
