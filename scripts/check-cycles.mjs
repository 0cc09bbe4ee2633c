#!/usr/bin/env node
// Fails when src/ has a circular import or a dependency pointing the wrong way
// (DESIGN.md: cli → runtime → gateway/flows/observe/catalog/admin → systems/store/bus → config/core).
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, dirname, resolve, relative } from 'node:path'

const LAYER = { core: 0, config: 1, store: 2, bus: 3, systems: 3, observe: 4, catalog: 4, flows: 5, gateway: 6, admin: 7, runtime: 8, cli: 9 }
const files = []
;(function walk(d) {
  for (const n of readdirSync(d)) {
    const p = join(d, n)
    if (statSync(p).isDirectory()) walk(p)
    else if (n.endsWith('.ts')) files.push(p)
  }
})('src')

const graph = new Map()
const problems = []
for (const f of files) {
  const src = readFileSync(f, 'utf8')
  const deps = []
  for (const m of src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
    if (/^\s*import\s+type\s/.test(m[0])) continue // type-only imports vanish at runtime
    const target = relative('.', resolve(dirname(f), m[1].replace(/\.js$/, '.ts')))
    deps.push(target)
    const from = f.split('/')[1]
    const to = target.split('/')[1]
    if (from !== to && LAYER[from] !== undefined && LAYER[to] !== undefined && LAYER[to] > LAYER[from]) {
      problems.push(`${f} imports ${target}: ${from} must not depend on ${to}`)
    }
  }
  graph.set(f, deps)
}
const state = new Map()
const stack = []
function visit(n) {
  state.set(n, 1)
  stack.push(n)
  for (const d of graph.get(n) ?? []) {
    if (state.get(d) === 1) problems.push(`import cycle: ${[...stack.slice(stack.indexOf(d)), d].join(' → ')}`)
    else if (!state.has(d)) visit(d)
  }
  stack.pop()
  state.set(n, 2)
}
for (const f of graph.keys()) if (!state.has(f)) visit(f)
if (problems.length) {
  console.error(problems.join('\n'))
  process.exit(1)
}
console.log(`dependency check: ${files.length} files, no cycles, layers respected`)
