/**
 * The loader on valid input: the full example config, secrets and their redaction, `$${`
 * escapes, defaults, freezing and the config hash.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, formatIssue, loadConfig } from '../../src/config/index.js'

const FULL = join(import.meta.dirname, '../fixtures/config/valid/full.yaml')
export const FULL_ENV = {
  ADMIN_TOKEN: 'admin-token-0123456789abcdef',
  INV_ID: 'inv-client-id-77',
  INV_SECRET: 'inv-secret-value-xyz',
  SHOP_KEY: 'shop-key-abc-123',
  JWT_HS_KEY: 'jwt-hs-key-0123456789abcdefghijklmnop',
  SHOP_SECRET: 'whsec_c2hvcC1zZWNyZXQ',
  SIGNING_SECRET: 'whsec_c2lnbmluZy1zZWNyZXQ=',
  SLACK_URL: 'https://hooks.slack.example/services/T000/B000/secret-slack-token',
}
const FILE_SECRET = 'erp-token-from-file-123'
const SECRET_VALUES = [...Object.values(FULL_ENV), FILE_SECRET]

async function loadError(text: string, env: Record<string, string> = {}): Promise<ConfigError> {
  try {
    await loadConfig('/virtual/switchboard.yaml', { text, env })
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  assert.fail('config loaded without error')
}

describe('loadConfig on the full example', () => {
  it('accepts a config that uses every block', async () => {
    const loaded = await loadConfig(FULL, { env: FULL_ENV })
    assert.equal(loaded.file, FULL)
    assert.equal(loaded.dir, join(import.meta.dirname, '../fixtures/config/valid'))
    assert.equal(loaded.config.version, 1)
    assert.deepEqual(Object.keys(loaded.config.systems ?? {}), ['erp', 'invoicing', 'shop', 'payments'])
    assert.equal(loaded.config.routes?.length, 4)
    assert.equal(loaded.config.flows?.length, 2)
    assert.equal(loaded.config.pollers?.length, 2)
    assert.equal(loaded.config.alerts?.length, 3)
  })

  it('resolves env and file secrets, alone or inside text', async () => {
    const { config } = await loadConfig(FULL, { env: FULL_ENV })
    const auth = config.systems?.invoicing?.auth
    assert.ok(auth && auth.type === 'oauth2-client-credentials')
    assert.equal(auth.clientSecret, FULL_ENV.INV_SECRET)
    const erp = config.systems?.erp?.auth
    assert.ok(erp && erp.type === 'bearer')
    assert.equal(erp.token, FILE_SECRET, 'file secret, trailing newline dropped')
    assert.equal(config.routes?.[2]?.request?.headers?.set?.Authorization, `Bearer ${FULL_ENV.SHOP_KEY}`)
  })

  it('redacts every secret-derived value and nothing else', async () => {
    const loaded = await loadConfig(FULL, { env: FULL_ENV })
    const printed = JSON.stringify(loaded.redacted)
    for (const secret of SECRET_VALUES) assert.ok(!printed.includes(secret), `redacted copy leaks ${secret}`)
    const r = loaded.redacted as { systems: Record<string, { auth: Record<string, unknown> }>; routes: Array<{ request: { headers: { set: Record<string, string> } } }> }
    assert.equal(r.systems.invoicing?.auth.clientSecret, '[redacted ${env:INV_SECRET}]')
    assert.equal(r.systems.erp?.auth.token, '[redacted ${file:secrets/erp-token}]')
    assert.equal(r.routes[2]?.request.headers.set.Authorization, '[redacted Bearer ${env:SHOP_KEY}]')
    assert.equal(r.systems.invoicing?.auth.tokenUrl, 'http://127.0.0.1:9102/oauth/token', 'plain values stay')
    assert.ok(Object.isFrozen(loaded.redacted))
  })

  it('keeps references, never values, in the source', async () => {
    const loaded = await loadConfig(FULL, { env: FULL_ENV })
    const source = JSON.stringify(loaded.source)
    for (const secret of SECRET_VALUES) assert.ok(!source.includes(secret))
    assert.ok(source.includes('${env:INV_SECRET}'))
    assert.ok(source.includes('$${not a reference}'), 'escapes are kept as written')
    assert.ok(!source.includes('"connectTimeout":"2s","retry"'), 'no defaults in the source')
  })

  it('turns $${ into a literal ${ that is neither resolved nor redacted', async () => {
    const loaded = await loadConfig(FULL, { env: FULL_ENV })
    assert.equal(loaded.config.topics?.['invoice.requested']?.description, 'Literal ${not a reference} kept as text.')
    const r = loaded.redacted as { topics: Record<string, { description: string }> }
    assert.equal(r.topics['invoice.requested']?.description, 'Literal ${not a reference} kept as text.')
  })

  it('applies defaults, including inside unions', async () => {
    const { config } = await loadConfig(FULL, { env: FULL_ENV })
    assert.equal(config.systems?.shop?.timeout, '10s')
    assert.equal(config.systems?.shop?.connectTimeout, '2s')
    const shopAuth = config.systems?.shop?.auth
    assert.ok(shopAuth && shopAuth.type === 'apiKey')
    assert.equal(shopAuth.header, 'X-Api-Key', 'default inside the apiKey branch of the auth union')
    const hook = config.routes?.[3]?.auth
    assert.ok(hook && typeof hook === 'object' && !Array.isArray(hook) && 'webhook' in hook)
    assert.equal(hook.webhook.tolerance, '5m', 'default inside the { webhook } branch')
    assert.equal(config.flows?.[1]?.concurrency, 16)
    assert.equal(config.flows?.[1]?.ordering, 'none')
    assert.equal(config.topics?.['invoice.requested']?.dedupeWindow, '7d')
  })

  it('fills in a minimal config', async () => {
    const { config } = await loadConfig('/virtual/switchboard.yaml', { text: 'version: 1\n', env: {} })
    assert.equal(config.store, 'sqlite:./data/switchboard.db')
    assert.equal(config.bus, 'store')
    assert.equal(config.mode, 'development')
    assert.deepEqual(config.listen, { host: '127.0.0.1', gateway: 8080, admin: 8081 })
    assert.equal(config.server?.headersTimeout, '10s')
    assert.deepEqual([config.systems, config.routes, config.flows, config.pollers], [{}, [], [], []])
  })

  it('freezes the whole result', async () => {
    const { config, source } = await loadConfig(FULL, { env: FULL_ENV })
    assert.ok(Object.isFrozen(config))
    assert.ok(Object.isFrozen(config.systems?.erp?.circuitBreaker))
    assert.ok(Object.isFrozen(config.routes?.[0]?.scopes))
    assert.ok(Object.isFrozen(source))
    assert.throws(() => {
      ;(config.systems as Record<string, unknown>).extra = {}
    }, TypeError)
    assert.throws(() => (config.routes as unknown[]).push({}), TypeError)
  })
})

describe('config hash', () => {
  const text = readFileSync(FULL, 'utf8')
  const load = (t: string, env: Record<string, string>) => loadConfig(FULL, { text: t, env })

  it('does not change when secret values change', async () => {
    const a = await load(text, FULL_ENV)
    const b = await load(text, { ...FULL_ENV, INV_SECRET: 'rotated-secret-value', SHOP_KEY: 'other-key-456' })
    assert.match(a.hash, /^[0-9a-f]{64}$/)
    assert.equal(a.hash, b.hash)
  })

  it('changes when the config changes, not when keys are reordered', async () => {
    const a = await loadConfig('/v/a.yaml', { text: 'version: 1\nstore: sqlite:./a.db\nbus: store\n', env: {} })
    const reordered = await loadConfig('/v/a.yaml', { text: 'bus: store\nstore: sqlite:./a.db\nversion: 1\n', env: {} })
    const changed = await loadConfig('/v/a.yaml', { text: 'version: 1\nstore: sqlite:./b.db\nbus: store\n', env: {} })
    assert.equal(a.hash, reordered.hash)
    assert.notEqual(a.hash, changed.hash)
  })
})

describe('secrets never leak into errors', () => {
  const value = 'Sup3r-Secret-Value!'
  it('shows the reference, not the value, when a secret-derived field is invalid', async () => {
    const err = await loadError(
      [
        'version: 1',
        'listen: { admin: "${env:S}" }',
        'systems:',
        '  erp: { baseUrl: "${env:S}" }',
        'store: "${env:S}"',
        'topics: { t: {} }',
        'flows:',
        '  - { id: f, on: t, filter: "${env:S} >", to: { system: erp, post: "/x" } }',
        'admin: { token: "${env:S}" }',
        '',
      ].join('\n'),
      { S: value },
    )
    assert.equal(err.issues.length, 4, err.message)
    for (const text of [err.message, JSON.stringify(err.toProblem()), JSON.stringify(err.issues)]) {
      assert.ok(!text.includes(value), `leaked in: ${text}`)
      assert.ok(!text.includes('Sup3r'), `partially leaked in: ${text}`)
    }
    assert.match(err.message, /listen\.admin: expected an integer 0–65535, found the value of "\$\{env:S\}"/)
    assert.match(err.message, /systems\.erp\.baseUrl: expected an absolute http\(s\) URL .*found the value of "\$\{env:S\}"/)
    assert.match(err.message, /flows\[0\]\.filter: invalid JSONata expression in the value of "\$\{env:S\} >"/)
  })

  it('reports a missing secret by reference with its own code', async () => {
    const err = await loadError('version: 1\nadmin: { token: "${env:MISSING_ADMIN_TOKEN}" }\n')
    assert.equal(err.code, 'SB_ERR_CONFIG_SECRET_MISSING')
    assert.equal(err.issues.length, 1, 'no follow-on complaint about the empty value')
    assert.equal(formatIssue(err.issues[0]!), '/virtual/switchboard.yaml:2:18 admin.token: secret ${env:MISSING_ADMIN_TOKEN}: environment variable MISSING_ADMIN_TOKEN is not set')
  })

  it('treats an empty variable as missing', async () => {
    const err = await loadError('version: 1\nadmin: { token: "${env:EMPTY}" }\n', { EMPTY: '' })
    assert.match(err.message, /environment variable EMPTY is empty/)
  })

  it('uses SB_ERR_CONFIG_INVALID when other problems come with a missing secret', async () => {
    const err = await loadError('version: 1\nadmin: { token: "${env:NOPE}" }\nbus: kafka://x\n')
    assert.equal(err.code, 'SB_ERR_CONFIG_INVALID')
    assert.equal(err.issues.length, 2)
  })
})

describe('secret reference syntax', () => {
  it('resolves several references and escapes in one string', async () => {
    const { config, redacted } = await loadConfig('/virtual/switchboard.yaml', {
      text: 'version: 1\nlog: { redact: ["$${A} ${env:A}-${env:B} $${B}", "$$${env:A}"] }\n',
      env: { A: 'alpha', B: 'beta' },
    })
    // `$${` is always a literal `${`, so `$$${env:A}` is `$` + `${env:A}` as text.
    assert.deepEqual(config.log?.redact, ['${A} alpha-beta ${B}', '$${env:A}'])
    assert.deepEqual((redacted as { log: { redact: string[] } }).log.redact, ['[redacted $${A} ${env:A}-${env:B} $${B}]', '$${env:A}'])
  })

  it('resolves ${file:…} relative to the config file', async () => {
    const { config } = await loadConfig(FULL, { env: FULL_ENV, text: 'version: 1\nadmin: { token: "${file:secrets/erp-token}" }\n' })
    assert.equal(config.admin?.token, FILE_SECRET)
  })
})

describe('YAML conveniences', () => {
  it('ignores top-level x- keys, so they can hold anchors reused with merge keys', async () => {
    const text = 'version: 1\nx-defaults: &sys { timeout: 5s, retry: { attempts: 3 } }\nsystems:\n  erp: { <<: *sys, baseUrl: "http://127.0.0.1:1" }\n  inv: { <<: *sys, baseUrl: "http://127.0.0.1:2", timeout: 1s }\n'
    const { config } = await loadConfig('/virtual/switchboard.yaml', { text, env: {} })
    assert.equal(config.systems?.erp?.timeout, '5s')
    assert.equal(config.systems?.erp?.retry?.attempts, 3)
    assert.equal(config.systems?.inv?.timeout, '1s', 'an explicit key wins over the merged one')
  })
})

describe('hostile input', () => {
  it('refuses an alias bomb instead of expanding it', async () => {
    const lines = ['version: 1', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`)
    const err = await loadError(`${lines.join('\n')}\n`)
    assert.equal(err.code, 'SB_ERR_CONFIG_INVALID')
  })

  it('keeps a __proto__ key a key (reported), never a prototype', async () => {
    const err = await loadError('version: 1\n__proto__: { polluted: true }\nsystems: { erp: { __proto__: { baseUrl: "http://x" } } }\n')
    assert.match(err.message, /2:1 __proto__: unknown field "__proto__"/)
    assert.match(err.message, /systems\.erp\.__proto__: unknown field/)
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  it('reports a file that does not exist with its own code', async () => {
    await assert.rejects(loadConfig('/nonexistent/dir/switchboard.yaml'), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.code, 'SB_ERR_CONFIG_NOT_FOUND')
      assert.equal(err.message, '/nonexistent/dir/switchboard.yaml config file not found')
      return true
    })
  })

  it('refuses a multi-document file', async () => {
    const err = await loadError('version: 1\n---\nversion: 1\n')
    assert.match(err.message, /YAML syntax error/)
  })
})
