import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
const autocannon = createRequire(import.meta.url)('autocannon')
const modes = (process.argv[2] ?? 'fastify-proxy,sb-plain').split(',')
const dur = Number(process.argv[3] ?? 5), rounds = Number(process.argv[4] ?? 3)
const up = fork('bench/gateway-servers.ts', ['upstream', ''], { execArgv: ['--import', 'tsx'] })
const [u] = await once(up, 'message') as [{port:number}]
const url = `http://127.0.0.1:${u.port}`
async function cpu(c: ChildProcess): Promise<number> { c.send({ cmd: 'cpu' }); const [m] = await once(c, 'message') as [{cpuUs:number}]; return m.cpuUs }
const targets = []
for (const m of modes) {
  const gw = fork('bench/gateway-servers.ts', [m, url], { execArgv: ['--import', 'tsx'] })
  const [g] = await once(gw, 'message') as [{port:number, apiKey?: string}]
  targets.push({ m, gw, url: `http://127.0.0.1:${g.port}/orders/1`, headers: g.apiKey ? { 'x-api-key': g.apiKey } : {} })
}
const res: Record<string, string[]> = {}
for (const t of targets) await autocannon({ url: t.url, connections: 50, duration: 2, headers: t.headers })
for (let r = 0; r < rounds; r++) for (const t of targets) {
  const c0 = await cpu(t.gw)
  const x = await autocannon({ url: t.url, connections: 50, duration: dur, headers: t.headers })
  const c1 = await cpu(t.gw)
  ;(res[t.m] ??= []).push(`${Math.round(x.requests.average)} rps ${((c1 - c0) / x.requests.total).toFixed(1)}us/req`)
  if (x.non2xx || x.errors) console.log('ERR', t.m, x.non2xx, x.errors)
}
console.log(res)
for (const t of targets) t.gw.kill('SIGINT')
up.kill('SIGINT')
