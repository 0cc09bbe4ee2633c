#!/usr/bin/env node
// Runs the whole suite with node's test runner on the TypeScript sources (tsx loader).
// Node 20's runner has no glob support, so the files are listed here.
// Usage: npm test [-- <path filter>...]
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (name.endsWith('.test.ts')) out.push(p)
  }
  return out
}

const filters = process.argv.slice(2)
const files = walk('test', []).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
// Tests that kill and restart whole hub processes run alone, after the rest: on a 2-core machine
// their child processes must not compete with other test files for the CPU.
const SOLO = ['test/flows/crash.test.ts']
const solo = files.filter((f) => SOLO.includes(f))
const shared = files.filter((f) => !SOLO.includes(f))
function run(list, concurrency) {
  if (list.length === 0) return 0
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...list],
    { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
  )
  return res.status ?? 1
}
const first = run(shared, 2)
const second = run(solo, 1)
process.exit(first !== 0 ? first : second)
