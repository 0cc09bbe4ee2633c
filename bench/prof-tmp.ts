import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
const autocannon = createRequire(import.meta.url)('autocannon')
const mode = process.argv[2] ?? 'sb-plain'
const up = fork('bench/gateway-servers.ts', ['upstream', ''], { execArgv: ['--import', 'tsx'] })
const [u] = await once(up, 'message') as [{port:number}]
const url = `http://127.0.0.1:${u.port}`
const gw = fork('bench/gateway-servers.ts', [mode, url], { execArgv: ['--import', 'tsx', '--cpu-prof', '--cpu-prof-dir=/tmp/prof'] })
const [g] = await once(gw, 'message') as [{port:number, apiKey?: string}]
const headers = g.apiKey ? { 'x-api-key': g.apiKey } : {}
const r = await autocannon({ url: `http://127.0.0.1:${g.port}/orders/1`, connections: 50, duration: Number(process.argv[3] ?? 8), headers })
console.log(mode, r.requests.average, r.latency.p50, r.latency.p99, r.non2xx, r.errors)
gw.kill('SIGINT'); up.kill('SIGINT')
await once(gw, 'exit')
