/** Route options are checked at boot: a bad one fails the start, naming the route and field. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SwitchboardError } from '../../src/core/errors.js'
import { gatewayFor } from './helpers.js'

async function bootError(routes: unknown[], extra: Record<string, unknown> = {}, configDir?: string): Promise<SwitchboardError> {
  try {
    const t = await gatewayFor({ routes, ...extra } as never, { systems: { erp: 'http://127.0.0.1:9' }, ...(configDir ? { configDir } : {}) })
    await t.close()
  } catch (err) {
    assert.ok(err instanceof SwitchboardError, String(err))
    assert.equal(err.code, 'SB_ERR_CONFIG_INVALID')
    return err
  }
  assert.fail('the gateway started')
}

describe('route compilation errors', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown system', { id: 'r', get: '/a', proxy: { system: 'billing' } }, /route "r": routes\[0\]\.proxy\.system: unknown system "billing"/],
    ['template param not in the path', { id: 'r', get: '/a/:id', proxy: { system: 'erp', path: '/x/:other' } }, /routes\[0\]\.proxy\.path: ":other" is not a parameter/],
    ['wildcard in the middle', { id: 'r', get: '/a/*/b', proxy: { system: 'erp' } }, /routes\[0\]\.get: a wildcard must be the whole last segment/],
    ['template wildcard without a route wildcard', { id: 'r', get: '/a', proxy: { system: 'erp', path: '/b/*' } }, /routes\[0\]\.proxy\.path: "\*" needs a route path/],
    ['no method', { id: 'r', proxy: { system: 'erp' } }, /routes\[0\]: needs exactly one method key/],
    ['two methods', { id: 'r', get: '/a', post: '/a', proxy: { system: 'erp' } }, /found get, post/],
    ['proxy and publish', { id: 'r', post: '/a', proxy: { system: 'erp' }, publish: { topic: 't' } }, /exactly one of `proxy` or `publish`/],
    ['bad JSONata', { id: 'r', post: '/a', request: { transform: '{ "a": ' }, proxy: { system: 'erp' } }, /routes\[0\]\.request\.transform: invalid JSONata/],
    ['bad publish id expression', { id: 'r', post: '/a', publish: { topic: 't', id: '$$$(' } }, /routes\[0\]\.publish\.id/],
    ['bad inline schema', { id: 'r', post: '/a', request: { validate: { body: { type: 'nope' } } }, proxy: { system: 'erp' } }, /routes\[0\]\.request\.validate\.body: invalid JSON Schema/],
    ['missing schema file', { id: 'r', post: '/a', request: { validate: { body: './missing.json' } }, proxy: { system: 'erp' } }, /routes\[0\]\.request\.validate\.body: cannot read schema file/],
    ['openapi without a document', { id: 'r', post: '/a', request: { validate: { openapi: true } }, proxy: { system: 'erp' } }, /system "erp" has no `openapi` document/],
    ['credentials with any origin', { id: 'r', get: '/a', cors: { origins: ['*'], credentials: true }, proxy: { system: 'erp' } }, /routes\[0\]\.cors\.credentials/],
    ['origin with a path', { id: 'r', get: '/a', cors: { origins: ['https://a.example/x'] }, proxy: { system: 'erp' } }, /routes\[0\]\.cors\.origins/],
    ['rate limit without a rate', { id: 'r', get: '/a', rateLimit: { burst: 3 }, proxy: { system: 'erp' } }, /routes\[0\]\.rateLimit: set exactly one of perSecond or perMinute/],
    ['managed header', { id: 'r', get: '/a', request: { headers: { set: { Host: 'x' } } }, proxy: { system: 'erp' } }, /routes\[0\]\.request\.headers\.set\.Host/],
    ['bad host', { id: 'r', get: '/a', host: 'a b', proxy: { system: 'erp' } }, /routes\[0\]\.host/],
    ['response on publish', { id: 'r', post: '/a', response: { allow: ['a'] }, publish: { topic: 't' } }, /routes\[0\]\.response/],
    ['bad field path', { id: 'r', get: '/a', response: { allow: ['a..b'] }, proxy: { system: 'erp' } }, /routes\[0\]\.response\.allow/],
  ]
  for (const [name, route, message] of cases) {
    it(`rejects ${name}`, async () => {
      const err = await bootError([route])
      assert.match(err.message, message)
    })
  }

  it('rejects duplicate route ids and duplicate method+path', async () => {
    const ids = await bootError([
      { id: 'r', get: '/a', proxy: { system: 'erp' } },
      { id: 'r', get: '/b', proxy: { system: 'erp' } },
    ])
    assert.match(ids.message, /routes\[1\]\.id: "r" is already used by routes\[0\]/)
    const paths = await bootError([
      { id: 'r1', get: '/a', proxy: { system: 'erp' } },
      { id: 'r2', get: '/a', proxy: { system: 'erp' } },
    ])
    assert.match(paths.message, /route "r2": GET \/a is also route "r1"; when routes share a method and path, each needs a distinct `version`/)
  })

  it('names the missing OpenAPI operation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-gw-boot-'))
    try {
      await writeFile(join(dir, 'api.yaml'), 'openapi: 3.0.0\ninfo: { title: x, version: "1" }\npaths: { /orders: { get: { responses: {} } } }\n')
      const err = await bootError(
        [{ id: 'r', post: '/orders', request: { validate: { openapi: true } }, proxy: { system: 'api' } }],
        { systems: { api: { baseUrl: 'http://127.0.0.1:9', openapi: 'api.yaml' } } },
        dir,
      )
      assert.match(err.message, /has no operation POST \/orders/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
