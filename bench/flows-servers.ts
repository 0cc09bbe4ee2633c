/**
 * The sink of the flows benchmark, in its own process so the hub being measured never shares an
 * event loop (or a core) with its target — as in production, and as the gateway benchmark does
 * with its upstream. Started by bench/flows.ts with `fork()`; reports `{ port }` over IPC, then
 * answers:
 *   { cmd: 'count' }                  → { count }      distinct event numbers received so far
 *   { cmd: 'arrivals', from, to }     → { times }      arrival time of each number in [from, to)
 *                                                      (epoch ms, `performance.timeOrigin` based)
 *   { cmd: 'cpu' }                    → { cpuUs }      CPU time this process has used
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'

const arrivals = new Map<number, number>()
const server = createServer((req, res) => {
  const n = Number((req.url ?? '').split('/').pop())
  if (!arrivals.has(n)) arrivals.set(n, performance.timeOrigin + performance.now())
  req.resume()
  req.on('end', () => res.end())
})

type Command = { cmd: 'count' } | { cmd: 'arrivals'; from: number; to: number } | { cmd: 'cpu' }

process.on('message', (m: Command) => {
  if (m.cmd === 'count') process.send?.({ count: arrivals.size })
  else if (m.cmd === 'arrivals') {
    const times: Array<number | null> = []
    for (let n = m.from; n < m.to; n++) times.push(arrivals.get(n) ?? null)
    process.send?.({ times })
  } else if (m.cmd === 'cpu') {
    const u = process.cpuUsage()
    process.send?.({ cpuUs: u.user + u.system })
  }
})
process.on('disconnect', () => process.exit(0))

server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }))
