/**
 * `npm run bench -- <name> [options]`: runs the benchmark in `bench/<name>.ts` (which exports
 * `run(args)`). Without a name, lists the benchmarks. Results go to docs/benchmarks.md by hand,
 * with the machine they ran on; benchmarks never assert timings.
 */
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
// Helper modules (servers a benchmark forks, shared helpers, scratch files) are not benchmarks.
const HELPERS = new Set(['run.ts', 'compile.ts', 'wrk.ts', 'callgrind.ts'])
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !HELPERS.has(f) && !f.endsWith('-servers.ts') && !f.includes('tmp'))
  .map((f) => f.slice(0, -3))
  .sort()

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2)
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(`usage: npm run bench -- <name> [options]\nbenchmarks: ${available.join(', ') || '(none yet)'}`)
    return 0
  }
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(', ') || '(none yet)'}`)
    return 2
  }
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { run?: (args: string[]) => Promise<void> }
  if (typeof mod.run !== 'function') {
    console.error(`bench/${name}.ts does not export run(args)`)
    return 2
  }
  await mod.run(args)
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err)
    process.exitCode = 1
  },
)
