import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { createLogger } from '../../src/observe/logger.js'

async function run(args: string[], env: Record<string, string | undefined> = {}, cwd = process.cwd()) {
  let out = ''
  let err = ''
  const code = await main(['node', 'switchboard', ...args], { out: (s) => void (out += s), err: (s) => void (err += s), env, cwd })
  return { code, out, err }
}

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-cli-'))
})
after(() => rm(dir, { recursive: true, force: true }))

describe('switchboard validate', () => {
  it('exits 0 with one summary line for a valid config (the demo)', async () => {
    const r = await run(['validate', '-c', 'examples/demo/switchboard.yaml'])
    assert.equal(r.code, 0, r.err)
    assert.equal(r.out.trim().split('\n').length, 1)
    assert.match(r.out, /^examples\/demo\/switchboard\.yaml: valid \(4 systems, 3 consumers, 5 routes, 1 topic, 2 flows/)
  })

  it('exits 1 and prints every issue as file:line:col path: message', async () => {
    const file = join(dir, 'bad.yaml')
    await writeFile(file, 'version: 1\nsystems:\n  crm:\n    timout: 5s\n    baseUrl: http://x\nconsumers:\n  a: { scopes: nope }\n')
    const r = await run(['validate', '-c', file])
    assert.equal(r.code, 1)
    const issues = r.err.split('\n').filter((l) => l.startsWith(file))
    assert.ok(issues.length >= 2, r.err)
    for (const line of issues) assert.match(line, /^.+:\d+:\d+ \S+: .+/)
    assert.ok(issues.some((l) => l.startsWith(`${file}:4:`) && l.includes('systems.crm')), r.err)
    assert.ok(issues.some((l) => l.startsWith(`${file}:7:`) && l.includes('consumers.a.scopes')), r.err)
  })

  it('exits 2 for a missing file, an unknown option or an unknown command', async () => {
    const missing = await run(['validate', '-c', join(dir, 'nope.yaml')])
    assert.equal(missing.code, 2)
    assert.match(missing.err, /nope\.yaml.*not found/)
    assert.equal((await run(['validate', '--bogus'])).code, 2)
    assert.equal((await run(['frobnicate'])).code, 2)
    assert.equal((await run([])).code, 2)
  })

  it('exits 2 as a real process too (bin path)', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main-entry.ts', 'validate', '-c', join(dir, 'nope.yaml')], { encoding: 'utf8', timeout: 60_000 })
    assert.equal(res.status, 2, res.stderr)
  })
})

describe('switchboard --help and --version', () => {
  it('prints help for the program and each command, exit 0', async () => {
    const top = await run(['--help'])
    assert.equal(top.code, 0)
    for (const cmd of ['start', 'validate', 'init', 'config', 'audit', 'revisions', 'systems', 'keys', 'consumers', 'routes', 'admin-token']) assert.match(top.out, new RegExp(`\\b${cmd}\\b`))
    const sub = await run(['config', 'show', '--help'])
    assert.equal(sub.code, 0)
    assert.match(sub.out, /--url <url>/)
    assert.match(sub.out, /--token <token>/)
    const ver = await run(['--version'])
    assert.equal(ver.code, 0)
    assert.match(ver.out, /^\d+\.\d+\.\d+/)
  })
})

describe('switchboard init', () => {
  it('writes a starter config that validates, and refuses to overwrite without --force', async () => {
    const file = join(dir, 'init', 'switchboard.yaml')
    await rm(join(dir, 'init'), { recursive: true, force: true })
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'init')))
    const first = await run(['init', file])
    assert.equal(first.code, 0, first.err)
    const written = await readFile(file, 'utf8')
    assert.match(written, /^# /, 'commented')
    const valid = await run(['validate', '-c', file])
    assert.equal(valid.code, 0, valid.err)

    await writeFile(file, 'mine: true\n')
    const again = await run(['init', file])
    assert.equal(again.code, 1)
    assert.match(again.err, /already exists.*--force/)
    assert.equal(await readFile(file, 'utf8'), 'mine: true\n', 'untouched')

    const forced = await run(['init', file, '--force'])
    assert.equal(forced.code, 0)
    assert.equal(await readFile(file, 'utf8'), written)
  })

  it('defaults to ./switchboard.yaml in the working directory', async () => {
    const cwd = await mkdtemp(join(dir, 'cwd-'))
    assert.equal((await run(['init'], {}, cwd)).code, 0)
    assert.match(await readFile(join(cwd, 'switchboard.yaml'), 'utf8'), /version: 1/)
  })
})

describe('operational commands through the admin API', () => {
  let hub: Hub
  let token = ''
  let env: Record<string, string>
  before(async () => {
    const file = join(dir, 'hub.yaml')
    await writeFile(file, `version: 1\nstore: sqlite:${join(dir, 'hub.db')}\nsystems:\n  crm:\n    baseUrl: http://127.0.0.1:1\n    auth: { type: bearer, token: "\${env:CRM_TOKEN}" }\n  erp:\n    mock: { responses: [{ path: /x, body: { ok: true } }] }\n`)
    let banner = ''
    hub = await startHub({
      configFile: file,
      env: { CRM_TOKEN: 'crm-secret-must-not-print' },
      anyPort: true,
      stderr: { write: (s: string) => (banner += s) },
      logger: createLogger({ level: 'silent', env: {} }),
    })
    token = /sbadm_[A-Za-z0-9_-]+/.exec(banner)?.[0] ?? ''
    env = { SWITCHBOARD_URL: hub.adminUrl, SWITCHBOARD_ADMIN_TOKEN: token }
  })
  after(() => hub.stop())

  it('config show prints the running config as YAML, secrets redacted', async () => {
    const r = await run(['config', 'show'], env)
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /^# .*hub\.yaml \(sha256 [0-9a-f]{12}\)\n/)
    assert.match(r.out, /systems:\n/)
    assert.ok(!r.out.includes('crm-secret-must-not-print'))
    const json = await run(['config', 'show', '--json'], env)
    assert.equal(JSON.parse(json.out).hash, hub.config.hash)
  })

  it('--url and --token override the environment', async () => {
    const r = await run(['config', 'show', '--url', hub.adminUrl, '--token', token], { SWITCHBOARD_URL: 'http://127.0.0.1:1', SWITCHBOARD_ADMIN_TOKEN: 'wrong-token-000000000' })
    assert.equal(r.code, 0, r.err)
  })

  it('prints problem+json errors readably and exits 1', async () => {
    const r = await run(['config', 'show'], { SWITCHBOARD_URL: hub.adminUrl })
    assert.equal(r.code, 1)
    assert.match(r.err, /^error: SB_ERR_ADMIN_UNAUTHORIZED \(401 Admin token required\): an admin bearer token is required\n/)
    assert.match(r.err, /fix: .*SWITCHBOARD_ADMIN_TOKEN/)
  })

  it('exits 1 with a hint when the admin API is unreachable', async () => {
    const r = await run(['audit', 'list', '--url', 'http://127.0.0.1:1'], {})
    assert.equal(r.code, 1)
    assert.match(r.err, /cannot reach the admin API at http:\/\/127\.0\.0\.1:1/)
  })

  it('audit list and revisions list show what the start recorded', async () => {
    const audit = await run(['audit', 'list'], env)
    assert.equal(audit.code, 0, audit.err)
    assert.match(audit.out, /^ID +AT +ACTOR +ACTION/)
    assert.match(audit.out, /config\.applied/)
    const filtered = await run(['audit', 'list', '--action', 'nothing.like.this'], env)
    assert.equal(filtered.out.trim().split('\n').length, 1, 'header only')
    const revs = await run(['revisions', 'list', '--json'], env)
    assert.equal(JSON.parse(revs.out).items[0].hash, hub.config.hash)
  })

  it('systems list and systems requests show mocks', async () => {
    const list = await run(['systems', 'list'], env)
    assert.match(list.out, /^NAME +OWNER +MOCK +CIRCUIT +BASE URL\n/)
    assert.match(list.out, /erp +- +yes +closed +http:\/\/127\.0\.0\.1:\d+/)
    assert.match(list.out, /crm +- +no +closed +http:\/\/127\.0\.0\.1:1\n/)
    await fetch(`${hub.effectiveBaseUrls.get('erp')?.[0]}/x?y=1`)
    const reqs = await run(['systems', 'requests', 'erp'], env)
    assert.equal(reqs.code, 0, reqs.err)
    assert.match(reqs.out, /GET +\/x +200/)
    const notMock = await run(['systems', 'requests', 'crm'], env)
    assert.equal(notMock.code, 1)
    assert.match(notMock.err, /SB_ERR_ADMIN_NOT_FOUND/)
  })

  it('rejects a bad --limit as a usage error (exit 2)', async () => {
    assert.equal((await run(['audit', 'list', '--limit', 'abc'], env)).code, 2)
    assert.equal((await run(['revisions', 'list', '--limit', '0'], env)).code, 2)
  })
})

describe('switchboard admin-token reset', () => {
  it('prints a new token that a restarted node accepts', async () => {
    const file = join(dir, 'reset.yaml')
    await writeFile(file, `version: 1\nstore: sqlite:${join(dir, 'reset.db')}\n`)
    const quiet = { logger: createLogger({ level: 'silent', env: {} }), stderr: { write: () => true }, anyPort: true, env: {} }
    await (await startHub({ configFile: file, ...quiet })).stop()
    const r = await run(['admin-token', 'reset', '-c', file])
    assert.equal(r.code, 0, r.err)
    const token = r.out.trim()
    assert.match(token, /^sbadm_/)
    const hub = await startHub({ configFile: file, ...quiet })
    try {
      assert.equal((await fetch(`${hub.adminUrl}/v1/config`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
      assert.equal((await hub.store.audit.list({ action: 'admin.token.reset' })).length, 1)
    } finally {
      await hub.stop()
    }
  })

  it('refuses when the token comes from the environment', async () => {
    const file = join(dir, 'reset.yaml')
    const r = await run(['admin-token', 'reset', '-c', file], { SWITCHBOARD_ADMIN_TOKEN: 'x'.repeat(20) })
    assert.equal(r.code, 1)
  })
})
