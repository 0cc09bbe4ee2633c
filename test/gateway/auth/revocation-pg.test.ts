/**
 * Revocation across nodes: two gateways on one PostgreSQL store. A key revoked through one node
 * must stop working on the other (which has it cached) within its revocation poll.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { requireService } from '../../helpers/services.js'
import { createTestDatabase, type TestDatabase } from '../../store/pg-database.js'
import { openStore } from '../../../src/store/open.js'
import { apiKeyPolicy } from '../../../src/gateway/auth/api-key.js'
import { createApiKey, revokeApiKey } from '../../../src/gateway/auth/keys.js'
import type { Store } from '../../../src/store/contract.js'
import { deps, eventually, outcome, req } from './helpers.js'

describe('API key revocation on PostgreSQL', { skip: await requireService('postgres') }, () => {
  let db: TestDatabase
  let nodeA: Store
  let nodeB: Store

  before(async () => {
    db = await createTestDatabase()
    nodeA = await openStore(db.url)
    await nodeA.migrate()
    nodeB = await openStore(db.url)
    await nodeA.consumers.upsert({ name: 'acme', source: 'config', scopes: ['orders:read'] })
  })
  after(async () => {
    await nodeA?.close()
    await nodeB?.close()
    await db?.drop()
  })

  it('stops a key revoked on another node within the revocation poll', async () => {
    const policy = apiKeyPolicy({}, deps(nodeB, { acme: { scopes: ['orders:read'] } }))
    try {
      const { id, key } = await createApiKey(nodeA, 'acme', 'cross-node')
      const headers = { 'x-api-key': key }
      assert.equal(outcome(await policy.authenticate(req({ headers }))), 'ok')
      assert.equal(outcome(await policy.authenticate(req({ headers }))), 'ok')
      assert.equal(await revokeApiKey(nodeA, id, { actor: 'test' }), true)
      const stopped = await eventually(async () => outcome(await policy.authenticate(req({ headers }))) === 'SB_ERR_AUTH_REVOKED_KEY', 1500)
      assert.ok(stopped, 'node B must refuse the key revoked on node A')
    } finally {
      policy.close?.()
    }
  })

  it('stops keys of a removed consumer', async () => {
    await nodeA.consumers.upsert({ name: 'leaving', source: 'api', scopes: [] })
    const policy = apiKeyPolicy({}, deps(nodeB))
    try {
      const { key } = await createApiKey(nodeA, 'leaving')
      const headers = { 'x-api-key': key }
      assert.equal(outcome(await policy.authenticate(req({ headers }))), 'ok')
      assert.equal(await nodeA.consumers.remove('leaving'), true)
      assert.ok(await eventually(async () => outcome(await policy.authenticate(req({ headers }))) !== 'ok', 1500))
    } finally {
      policy.close?.()
    }
  })
})
