/**
 * The hub as a real child process (the CLI's `start`, run from source through tsx): SIGTERM
 * drains in-flight requests (through the gateway to a mock system) and exits 0; a second signal
 * forces the exit.
 */
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { tempConfig, tokenFromBanner, type TempConfig } from './helpers.js'

const CONFIG = `
version: 1
store: sqlite:$DIR/data/hub.db
listen: { admin: 0, gateway: 0 }
server: { shutdownTimeout: 15s }
systems:
  slow:
    mock:
      responses:
        - { path: /slow, delay: 1500ms, body: { done: true } }
        - { path: /very-slow, delay: 60s, body: { done: true } }
routes:
  - { id: slow, get: /slow, proxy: { system: slow } }
`

interface Running {
  child: ChildProcess
  adminUrl: string
  gatewayUrl: string
  mockUrl: string
  token: string
  stdout: () => string
  exit: Promise<[number | null, NodeJS.Signals | null]>
}

async function spawnHub(configFile: string): Promise<Running> {
  const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'test' }
  delete env.SWITCHBOARD_ADMIN_TOKEN
  delete env.SWITCHBOARD_LOG_LEVEL
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main-entry.ts', 'start', '-c', configFile], { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] })
  const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c))
  const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
  // Generous: tsx compiles the sources on the fly, which is slow on a loaded machine.
  for (let i = 0; i < 800; i++) {
    const started = lines().find((l) => String(l.msg).startsWith('switchboard started'))
    const mock = lines().find((l) => l.system === 'slow' && typeof l.url === 'string')
    const token = tokenFromBanner(err)
    if (started && mock && token) return { child, adminUrl: String(started.admin), gatewayUrl: String(started.gateway), mockUrl: String(mock.url), token, stdout: () => out, exit }
    if (child.exitCode !== null) break
    await sleep(50)
  }
  child.kill('SIGKILL')
  throw new Error(`hub did not start.\nstdout:\n${out}\nstderr:\n${err}`)
}

/** Waits until the mock has received a request (so the signal surely lands mid-request). */
async function waitForRequest(r: Running, path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${r.adminUrl}/v1/systems/slow/mock/requests`, { headers: { authorization: `Bearer ${r.token}` } })
    const body = (await res.json()) as { items: Array<{ path: string }> }
    if (body.items.some((x) => x.path === path)) return
    await sleep(25)
  }
  throw new Error(`the mock never received ${path}`)
}

describe('hub process signals', { timeout: 110_000 }, () => {
  // One fresh store per test: the admin token banner is printed only on a store's first start.
  const configs: TempConfig[] = []
  const children: ChildProcess[] = []
  const freshConfig = async () => {
    const cfg = await tempConfig(CONFIG)
    configs.push(cfg)
    return cfg.file
  }
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    for (const cfg of configs) await cfg.cleanup()
  })

  it('SIGTERM lets an in-flight gateway request finish (its system pool stays open meanwhile), then exits 0', { timeout: 50_000 }, async () => {
    const r = await spawnHub(await freshConfig())
    children.push(r.child)
    const inFlight = fetch(`${r.gatewayUrl}/slow`)
    await waitForRequest(r, '/slow')
    r.child.kill('SIGTERM')
    const res = await inFlight
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { done: true })
    const [code, signal] = await r.exit
    assert.equal(signal, null)
    assert.equal(code, 0)
    assert.match(r.stdout(), /"msg":"stopped"/)
  })

  it('a second signal forces the exit while a request is still draining', { timeout: 50_000 }, async () => {
    const r = await spawnHub(await freshConfig())
    children.push(r.child)
    fetch(`${r.mockUrl}/very-slow`).catch(() => undefined)
    await waitForRequest(r, '/very-slow')
    r.child.kill('SIGTERM')
    for (let i = 0; i < 200 && !r.stdout().includes('SIGTERM received'); i++) await sleep(25)
    r.child.kill('SIGTERM')
    const [code] = await r.exit
    assert.equal(code, 1)
    assert.match(r.stdout(), /second SIGTERM/)
  })
})
