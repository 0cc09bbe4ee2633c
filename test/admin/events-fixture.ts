/**
 * An admin server with a real flows service on a SQLite file: topic `order.created` (with a
 * schema), flow `to-sink` delivering to a loopback sink that answers as the test says.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildAdminServer } from '../../src/admin/server.js'
import { resolveAdminToken } from '../../src/admin/token.js'
import { loadConfig } from '../../src/config/load.js'
import { FlowsService } from '../../src/flows/service.js'
import type { Store } from '../../src/store/contract.js'
import { openStore } from '../../src/store/open.js'
import { Systems } from '../../src/systems/index.js'
import { startSink, type Sink, type SinkHandler } from '../flows/helpers/sink.js'

export const TOKEN = 'test-admin-token-0123456789'
export const auth = { authorization: `Bearer ${TOKEN}` }

const config = (sinkUrl: string) => `
version: 1
admin: { token: "\${env:ADMIN_TOKEN}" }
systems:
  sink:
    baseUrl: ${sinkUrl}
    retry: { attempts: 2, initial: 10ms, max: 20ms, jitter: none }
topics:
  order.created:
    schema:
      type: object
      required: [id, total]
      properties:
        id: { type: string }
        total: { type: number, minimum: 0 }
  note.added: {}
flows:
  - id: to-sink
    on: order.created
    transform: "{ 'order': id, 'amount': total }"
    to: { system: sink, post: '/orders/{id}' }
`

export interface EventsFixture {
  app: FastifyInstance
  store: Store
  flows: FlowsService
  sink: Sink
  close(): Promise<void>
}

export async function eventsFixture(handler: SinkHandler = () => ({ status: 200 })): Promise<EventsFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-admin-events-'))
  const sink = await startSink(handler)
  const loaded = await loadConfig(join(dir, 'switchboard.yaml'), { text: config(sink.url), env: { ADMIN_TOKEN: TOKEN } })
  const store = await openStore(`sqlite:${join(dir, 'hub.db')}`)
  await store.migrate()
  const systems = Systems.fromConfig(loaded.config.systems ?? {})
  const flows = await FlowsService.start({ store, systems, config: loaded, worker: { pollMs: 50, leaseMs: 5000 }, retentionIntervalMs: 0 })
  const token = await resolveAdminToken({ configured: loaded.config.admin?.token, env: {}, mode: 'development', settings: store.settings })
  const app = await buildAdminServer({ store, config: () => loaded, effectiveBaseUrls: new Map([['sink', [sink.url]]]), mocks: new Map(), systems, flows, verifyToken: token.verify })
  await app.ready()
  return {
    app,
    store,
    flows,
    sink,
    async close() {
      await app.close()
      await flows.stop(1000)
      await systems.close()
      await store.close()
      await sink.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
