/** The pieces behind the loader's messages: paths, suggestions, union wording, positions. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, formatIssue, formatPath, loadConfig } from '../../src/config/index.js'
import { closest } from '../../src/config/suggest.js'

async function issues(text: string): Promise<string[]> {
  try {
    await loadConfig('c.yaml', { text, env: {} })
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue)
    throw err
  }
  return []
}

describe('paths and suggestions', () => {
  it('formats paths the way users write them', () => {
    assert.equal(formatPath(['routes', 2, 'proxy', 'system']), 'routes[2].proxy.system')
    assert.equal(formatPath(['topics', 'order.created', 'schema']), 'topics["order.created"].schema')
    assert.equal(formatPath(['systems', 'erp-v2', 'headers', 'X-Api-Key']), 'systems.erp-v2.headers.X-Api-Key')
    assert.equal(formatPath([]), '')
  })

  it('suggests only close names', () => {
    assert.equal(closest('timout', ['timeout', 'connectTimeout']), 'timeout')
    assert.equal(closest('retyr', ['retry', 'rateLimit']), 'retry')
    assert.equal(closest('foo', ['bus', 'store']), undefined)
  })

  it('formats an issue with and without a place and a path', () => {
    assert.equal(formatIssue({ file: 'a.yaml', line: 3, col: 7, path: 'listen.admin', message: 'm' }), 'a.yaml:3:7 listen.admin: m')
    assert.equal(formatIssue({ file: 'a.yaml', line: 1, col: 1, path: '', message: 'm' }), 'a.yaml:1:1 m')
    assert.equal(formatIssue({ file: 'a.yaml', line: 0, col: 0, path: '', message: 'm' }), 'a.yaml m')
  })
})

describe('union messages name the variant that was meant', () => {
  it('asks for the discriminator when it is missing', async () => {
    assert.deepEqual(await issues('version: 1\nsystems:\n  erp:\n    baseUrl: http://x\n    auth: { token: abc }\n'), [
      'c.yaml:5:5 systems.erp.auth.type: missing required field "type" (one of: none, apiKey, bearer, basic, oauth2-client-credentials)',
    ])
  })

  it('explains only the chosen variant', async () => {
    const out = await issues('version: 1\nsystems:\n  erp:\n    baseUrl: http://x\n    auth: { type: oauth2-client-credentials, tokenUrl: http://t, clientId: a }\n')
    assert.deepEqual(out, ['c.yaml:5:5 systems.erp.auth.clientSecret: missing required field "clientSecret"'])
  })

  it('refuses two auth wrappers in one item', async () => {
    const out = await issues('version: 1\nsystems: { erp: { baseUrl: "http://x" } }\nroutes:\n  - id: r\n    get: /a\n    auth: { apiKey: {}, jwt: { key: k } }\n    proxy: { system: erp }\n')
    assert.equal(out.length, 1, out.join('\n'))
    assert.match(out[0] ?? '', /routes\[0\]\.auth: expected only one of the keys apiKey, jwt, webhook, found apiKey and jwt/)
  })

  it('explains an item of an auth list by its key', async () => {
    const out = await issues('version: 1\nsystems: { erp: { baseUrl: "http://x" } }\nroutes:\n  - id: r\n    get: /a\n    auth: [apiKey, { webhook: { scheme: gitlab, secret: s } }]\n    proxy: { system: erp }\n')
    assert.deepEqual(out, ['c.yaml:6:41 routes[0].auth[1].webhook.scheme: expected one of: standard-webhooks, stripe, github, found "gitlab" (did you mean "github"?)'])
  })

  it('says what a duration looks like', async () => {
    assert.deepEqual(await issues('version: 1\nserver: { requestTimeout: 30 seconds }\n'), [
      'c.yaml:2:27 server.requestTimeout: expected a duration greater than 0 like 250ms, 30s, 5m, 1d, found "30 seconds"',
    ])
  })
})

describe('positions', () => {
  it('points inside single-quoted and plain expressions', async () => {
    const base = 'version: 1\nsystems: { inv: { baseUrl: "http://x" } }\ntopics: { t: {} }\nflows:\n  - id: f\n    on: t\n    to: { system: inv, post: /x }\n'
    assert.deepEqual(await issues(`${base}    filter: 'a and'\n`), ['c.yaml:8:18 flows[0].filter: invalid JSONata at position 5: Unexpected end of expression (S0207)'])
    assert.deepEqual(await issues(`${base}    filter: a and\n`), ['c.yaml:8:17 flows[0].filter: invalid JSONata at position 5: Unexpected end of expression (S0207)'])
  })

  it('falls back to the start of a string whose escapes shift columns', async () => {
    const out = await issues('version: 1\nsystems: { inv: { baseUrl: "http://x" } }\ntopics: { t: {} }\nflows:\n  - id: f\n    on: t\n    to: { system: inv, post: /x }\n    filter: "\\u0061 and"\n')
    assert.deepEqual(out, ['c.yaml:8:13 flows[0].filter: invalid JSONata at position 5: Unexpected end of expression (S0207)'])
  })

  it('points at the key of an unknown field and at the parent of a missing one', async () => {
    assert.deepEqual(await issues('version: 1\nsystems:\n  erp:\n    baseUrl: http://x\n    retry: { attempts: 3, atempts: 4, initial: 1s }\n'), [
      'c.yaml:5:27 systems.erp.retry.atempts: unknown field "atempts", did you mean "attempts"? (expected one of: attempts, initial, max, factor, maxAge, jitter)',
    ])
  })
})

describe('semantic rules', () => {
  it('finds a publish loop through three topics once', async () => {
    const out = await issues(
      'version: 1\ntopics: { a: {}, b: {}, c: {} }\nflows:\n  - { id: ab, on: a, publish: { topic: b } }\n  - { id: bc, on: b, publish: { topic: c } }\n  - { id: ca, on: c, publish: { topic: a } }\n',
    )
    assert.deepEqual(out, ['c.yaml:6:40 flows[2].publish.topic: flows publish in a loop: a → b → c → a (flows ab, bc, ca)'])
  })

  it('lets routes on different hosts share a path', async () => {
    const out = await issues(
      'version: 1\nsystems: { erp: { baseUrl: "http://x" } }\nroutes:\n  - { id: a, get: /x/:id, host: a.example.com, proxy: { system: erp } }\n  - { id: b, get: /x/:id, host: b.example.com, proxy: { system: erp } }\n  - { id: c, get: /x/:id, proxy: { system: erp } }\n',
    )
    assert.deepEqual(out, [])
  })

  it('accepts a mock system without a baseUrl', async () => {
    assert.deepEqual(await issues('version: 1\nsystems:\n  pay: { mock: { responses: [{ path: /x, body: { ok: true } }] } }\n'), [])
  })
})
