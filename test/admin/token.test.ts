import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { openStore } from '../../src/store/open.js'
import type { Store } from '../../src/store/contract.js'
import { ADMIN_TOKEN_SETTING, resolveAdminToken, resetStoredAdminToken } from '../../src/admin/token.js'
import { hashSecret } from '../../src/core/secrets.js'
import { isSwitchboardError } from '../../src/core/errors.js'

describe('admin token resolution', () => {
  let store: Store
  before(async () => {
    store = await openStore('sqlite::memory:')
    await store.migrate()
  })
  after(() => store.close())

  it('prefers admin.token, then SWITCHBOARD_ADMIN_TOKEN', async () => {
    const fromConfig = await resolveAdminToken({ configured: 'config-token-0123456789', env: { SWITCHBOARD_ADMIN_TOKEN: 'env-token-0123456789' }, mode: 'production', settings: store.settings })
    assert.equal(fromConfig.source, 'config')
    assert.ok(fromConfig.verify('config-token-0123456789'))
    assert.ok(!fromConfig.verify('env-token-0123456789'))
    const fromEnv = await resolveAdminToken({ env: { SWITCHBOARD_ADMIN_TOKEN: 'env-token-0123456789' }, mode: 'production', settings: store.settings })
    assert.equal(fromEnv.source, 'env')
    assert.ok(fromEnv.verify('env-token-0123456789'))
    assert.equal(await store.settings.get(ADMIN_TOKEN_SETTING), undefined, 'nothing generated or stored')
  })

  it('refuses a short SWITCHBOARD_ADMIN_TOKEN', async () => {
    await assert.rejects(resolveAdminToken({ env: { SWITCHBOARD_ADMIN_TOKEN: 'short' }, mode: 'development', settings: store.settings }), /at least 16/)
  })

  it('refuses production mode without a configured token, even with a stored hash', async () => {
    await store.settings.set('unrelated', 'x')
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        resolveAdminToken({ env: {}, mode: 'production', settings: store.settings }),
        (err: unknown) => isSwitchboardError(err) && err.code === 'SB_ERR_ADMIN_TOKEN_REQUIRED',
      )
      await store.settings.set(ADMIN_TOKEN_SETTING, hashSecret('old-generated-token-xyz'))
    }
  })

  it('generates once in development, stores only the hash, and accepts it on later starts', async () => {
    const fresh = await openStore('sqlite::memory:')
    await fresh.migrate()
    try {
      const first = await resolveAdminToken({ env: {}, mode: 'development', settings: fresh.settings })
      assert.equal(first.source, 'generated')
      const token = first.generated
      assert.ok(token && token.startsWith('sbadm_') && token.length > 40)
      const stored = await fresh.settings.get(ADMIN_TOKEN_SETTING)
      assert.equal(stored, hashSecret(token))
      assert.ok(!stored.includes(token))
      assert.ok(first.verify(token))
      const second = await resolveAdminToken({ env: {}, mode: 'development', settings: fresh.settings })
      assert.equal(second.source, 'stored')
      assert.equal(second.generated, undefined)
      assert.ok(second.verify(token))
      assert.ok(!second.verify(token + 'x'))
      assert.ok(!second.verify(stored), 'the hash itself is not a token')
      const replaced = await resetStoredAdminToken(fresh.settings)
      const third = await resolveAdminToken({ env: {}, mode: 'development', settings: fresh.settings })
      assert.ok(third.verify(replaced))
      assert.ok(!third.verify(token))
    } finally {
      await fresh.close()
    }
  })
})
