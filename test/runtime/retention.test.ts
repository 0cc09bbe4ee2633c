/**
 * `retention:` reaches the running hub: a delivered event older than `retention.events` is
 * pruned by the job running every `retention.interval`; one with a dead delivery stays. A gateway
 * node runs no pruning at all.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { waitFor } from '../flows/helpers/harness.js'
import { startSink, type Sink } from '../flows/helpers/sink.js'
import { captureStderr, memoryLogger, tempConfig, type TempConfig } from './helpers.js'

const config = (sinkUrl: string, storeFile = '$DIR/hub.db') => `
version: 1
store: sqlite:${storeFile}
systems:
  sink: { baseUrl: ${sinkUrl}, retry: { attempts: 1 } }
topics:
  order.created: { dedupeWindow: 100ms }
flows:
  - id: to-sink
    on: order.created
    to: { system: sink, post: '/orders/{id}' }
retention: { events: 200ms, interval: 50ms }
`

describe('retention from the config', () => {
  let sink: Sink
  let cfg: TempConfig
  let hub: Hub
  before(async () => {
    // Order "bad" is refused (4xx, not retried): its delivery is dead and must be kept.
    sink = await startSink((req) => (req.path.endsWith('/bad') ? { status: 422 } : { status: 200 }))
    cfg = await tempConfig(config(sink.url))
    hub = await startHub({ configFile: cfg.file, anyPort: true, stderr: captureStderr().stderr, logger: memoryLogger().logger })
  })
  after(async () => {
    await hub.stop()
    await sink.close()
    await cfg.cleanup()
  })

  it('deletes a delivered event once older than retention.events, and keeps one with a dead delivery', async () => {
    const ok = await hub.flows.publish({ topic: 'order.created', id: 'src-ok', body: { id: 'ok' } })
    const bad = await hub.flows.publish({ topic: 'order.created', id: 'src-bad', body: { id: 'bad' } })
    await waitFor('the dead delivery', async () => (await hub.store.deliveries.list({ eventId: bad.id }))[0]?.status === 'dead')
    await waitFor('the delivered event to be pruned', async () => (await hub.store.events.get(ok.id)) === undefined)
    assert.equal((await hub.store.deliveries.list({ eventId: ok.id })).length, 0, 'its deliveries went with it')
    assert.ok(await hub.store.events.get(bad.id), 'an event with a dead delivery is kept whatever its age')
  })
})

describe('retention on a gateway node', () => {
  it('does not prune: pruning runs where deliveries are worked', async () => {
    const sink = await startSink()
    const cfg = await tempConfig(config(sink.url))
    const gateway = await startHub({ configFile: cfg.file, role: 'gateway', anyPort: true, stderr: captureStderr().stderr, logger: memoryLogger().logger })
    try {
      const e = await gateway.flows.publish({ topic: 'order.created', body: { id: 'g' } })
      // Several intervals past retention.events: a running job would have had every chance.
      await sleep(500)
      assert.ok(await gateway.store.events.get(e.id))
    } finally {
      await gateway.stop()
      await sink.close()
      await cfg.cleanup()
    }
  })
})
