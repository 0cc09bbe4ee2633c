/**
 * `keys create|list|revoke`, `consumers list` and `routes list` against a running hub; the key
 * printed by `keys create` really opens the gateway route, and stops doing so once revoked.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { createLogger } from '../../src/observe/logger.js'
import { runCli as run } from './run.js'

const CONFIG = (dir: string) => `
version: 1
store: sqlite:${join(dir, 'hub.db')}
systems:
  erp:
    mock: { responses: [{ method: GET, path: '/orders/:id', template: '{ "id": params.id }' }] }
consumers:
  partner-acme: { owner: partnerships, scopes: [orders:read], quota: { limit: 100, per: 1d } }
  storefront: { scopes: [products:read] }
routes:
  - id: get-order
    get: /v1/orders/:id
    version: v1
    auth: apiKey
    scopes: [orders:read]
    proxy: { system: erp, path: /orders/:id }
  - id: get-order-v0
    get: /v0/orders/:id
    auth: apiKey
    scopes: [orders:read]
    proxy: { system: erp, path: /orders/:id }
    deprecated: { sunset: 2027-06-30, successor: /v1/orders/:id }
`

describe('switchboard keys, consumers and routes', () => {
  let dir: string
  let hub: Hub
  let env: Record<string, string>
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-cli-keys-'))
    const file = join(dir, 'hub.yaml')
    await writeFile(file, CONFIG(dir))
    let banner = ''
    hub = await startHub({ configFile: file, env: {}, anyPort: true, stderr: { write: (s: string) => (banner += s) }, logger: createLogger({ level: 'silent', env: {} }) })
    env = { SWITCHBOARD_URL: hub.adminUrl, SWITCHBOARD_ADMIN_TOKEN: /sbadm_[A-Za-z0-9_-]+/.exec(banner)?.[0] ?? '' }
  })
  after(async () => {
    await hub.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const order = (key?: string) => fetch(`${hub.gatewayUrl}/v1/orders/7`, key ? { headers: { 'x-api-key': key } } : {})

  it('keys create prints the key alone on stdout, with a cannot-be-shown-again warning on stderr', async () => {
    const r = await run(['keys', 'create', 'partner-acme', '--label', 'walkthrough'], env)
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /^sbk_[A-Za-z0-9_-]{43}\n$/)
    assert.match(r.err, /created API key [0-9a-f-]{36} \(prefix sbk_[\w-]+\) for consumer partner-acme/)
    assert.match(r.err, /cannot be shown again/)
    const key = r.out.trim()
    const res = await order(key)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { id: '7' })
  })

  it('keys create --json prints id, key, prefix and consumer', async () => {
    const r = await run(['keys', 'create', 'storefront', '--json'], env)
    assert.equal(r.code, 0, r.err)
    const created = JSON.parse(r.out) as { id: string; key: string; prefix: string; consumer: string }
    assert.equal(created.consumer, 'storefront')
    assert.ok(created.key.startsWith(created.prefix))
    assert.match(r.err, /cannot be shown again/)
    assert.equal((await order(created.key)).status, 403, 'storefront lacks orders:read')
  })

  it('keys list shows prefixes and labels, never a key; --consumer filters', async () => {
    const created = JSON.parse((await run(['keys', 'create', 'partner-acme', '--json'], env)).out) as { id: string; key: string; prefix: string }
    const r = await run(['keys', 'list', '--consumer', 'partner-acme'], env)
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /^ID +CONSUMER +PREFIX +LABEL +STATUS +CREATED +LAST USED\n/)
    assert.match(r.out, new RegExp(`${created.id} +partner-acme +${created.prefix} +- +active`))
    assert.match(r.out, /walkthrough +active/)
    assert.ok(!r.out.includes(created.key))
    assert.ok(!r.out.includes('storefront'))
    const all = JSON.parse((await run(['keys', 'list', '--json'], env)).out) as { items: Array<{ consumer: string }> }
    assert.deepEqual([...new Set(all.items.map((k) => k.consumer))].sort(), ['partner-acme', 'storefront'])
  })

  it('keys revoke revokes; the gateway refuses the key soon after; a second revoke fails with exit 1', { timeout: 20_000 }, async () => {
    const created = JSON.parse((await run(['keys', 'create', 'partner-acme', '--json'], env)).out) as { id: string; key: string }
    assert.equal((await order(created.key)).status, 200)
    const r = await run(['keys', 'revoke', created.id], env)
    assert.equal(r.code, 0, r.err)
    assert.equal(r.out, `revoked API key ${created.id}\n`)
    let status = 200
    for (let i = 0; i < 100 && status === 200; i++) {
      status = (await order(created.key)).status
      if (status === 200) await sleep(100)
    }
    assert.equal(status, 401)
    const again = await run(['keys', 'revoke', created.id], env)
    assert.equal(again.code, 1)
    assert.match(again.err, /^error: SB_ERR_ADMIN_NOT_FOUND \(404 Not found\): .*already revoked/)
    const listed = await run(['keys', 'list', '--consumer', 'partner-acme'], env)
    assert.match(listed.out, new RegExp(`${created.id} .* revoked`))
  })

  it('refuses an unknown consumer (exit 1), missing arguments and path tricks (exit 2), and a missing token (exit 1)', async () => {
    const unknown = await run(['keys', 'create', 'nobody'], env)
    assert.equal(unknown.code, 1)
    assert.match(unknown.err, /SB_ERR_ADMIN_NOT_FOUND .*consumer "nobody" does not exist/)
    assert.equal(unknown.out, '', 'nothing on stdout: a script capturing the key gets nothing')
    assert.equal((await run(['keys', 'create'], env)).code, 2)
    assert.equal((await run(['keys', 'revoke'], env)).code, 2)
    for (const id of ['..', '.']) assert.equal((await run(['keys', 'revoke', id], env)).code, 2, id)
    const encoded = await run(['keys', 'revoke', '../consumers'], env)
    assert.equal(encoded.code, 1, 'a slash is encoded: one bad id, never another endpoint')
    assert.match(encoded.err, /SB_ERR_ADMIN_BAD_REQUEST/)
    const noToken = await run(['keys', 'create', 'partner-acme'], { SWITCHBOARD_URL: hub.adminUrl })
    assert.equal(noToken.code, 1)
    assert.match(noToken.err, /SB_ERR_ADMIN_UNAUTHORIZED/)
  })

  it('consumers list shows scopes, quota and key counts', async () => {
    const r = await run(['consumers', 'list'], env)
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /^NAME +SOURCE +SCOPES +QUOTA +KEYS +OWNER\n/)
    assert.match(r.out, /partner-acme +config +orders:read +100\/1d +2 active, 1 revoked +partnerships\n/)
    assert.match(r.out, /storefront +config +products:read +- +1 active +-\n/)
  })

  it('routes list shows auth, scopes, target and deprecation', async () => {
    const r = await run(['routes', 'list'], env)
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /^ID +METHOD +PATH +VERSION +AUTH +SCOPES +TARGET +DEPRECATED\n/)
    assert.match(r.out, /get-order +GET +\/v1\/orders\/:id +v1 +apiKey +orders:read +erp GET \/orders\/:id +-\n/)
    assert.match(r.out, /get-order-v0 +GET +\/v0\/orders\/:id +- +apiKey +orders:read +erp GET \/orders\/:id +sunset 2027-06-30 → \/v1\/orders\/:id\n/)
    const json = JSON.parse((await run(['routes', 'list', '--json'], env)).out) as { items: Array<{ id: string }> }
    assert.deepEqual(json.items.map((x) => x.id), ['get-order', 'get-order-v0'])
  })
})

describe('switchboard init: the starter config serves its route', () => {
  it('init, start, keys create, then the route answers from the mock CRM', { timeout: 20_000 }, async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'sb-cli-init-'))
    try {
      assert.equal((await run(['init'], {}, cwd)).code, 0)
      let banner = ''
      const hub = await startHub({ configFile: join(cwd, 'switchboard.yaml'), cwd, env: {}, anyPort: true, stderr: { write: (s: string) => (banner += s) }, logger: createLogger({ level: 'silent', env: {} }) })
      try {
        const env = { SWITCHBOARD_URL: hub.adminUrl, SWITCHBOARD_ADMIN_TOKEN: /sbadm_[A-Za-z0-9_-]+/.exec(banner)?.[0] ?? '' }
        const created = await run(['keys', 'create', 'website'], env)
        assert.equal(created.code, 0, created.err)
        const res = await fetch(`${hub.gatewayUrl}/v1/contacts/7`, { headers: { 'x-api-key': created.out.trim() } })
        assert.equal(res.status, 200)
        assert.deepEqual(await res.json(), { id: '7', name: 'Ada Lovelace' })
      } finally {
        await hub.stop()
      }
    } finally {
      await rm(cwd, { recursive: true, force: true })
    }
  })
})
