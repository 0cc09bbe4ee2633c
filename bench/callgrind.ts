/**
 * Reading callgrind's output for the benches: a thread's self cost (instructions) per function,
 * with V8's compiled JavaScript named. callgrind sees JIT code only as addresses; a process
 * started with `--perf-basic-prof` lists every piece of code it compiles, with its address, in
 * `/tmp/perf-<pid>.map`. Addresses are reused once old code is collected, so the *latest* entry
 * covering an address names it.
 */
import { readFile } from 'node:fs/promises'

interface MapEntry {
  start: number
  end: number
  order: number
  name: string
}

/** Resolves a code address to the JavaScript function most recently compiled there. */
export async function perfMapNames(path: string): Promise<(address: number) => string | undefined> {
  const entries: MapEntry[] = []
  let longest = 0
  const lines = (await readFile(path, 'utf8')).split('\n')
  lines.forEach((line, order) => {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line)
    if (m === null) return
    const start = parseInt(m[1] as string, 16)
    const size = parseInt(m[2] as string, 16)
    longest = Math.max(longest, size)
    // V8 marks the tier before the name (`JS:*` optimised, `JS:~` interpreted, …): one name for all.
    entries.push({ start, end: start + size, order, name: (m[3] as string).replace(/^(JS:)?[*~^+]?/, '') })
  })
  entries.sort((a, b) => a.start - b.start)
  return (address) => {
    // The last entry starting at or before the address, then back as far as the longest code.
    let lo = 0
    let hi = entries.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if ((entries[mid] as MapEntry).start <= address) lo = mid + 1
      else hi = mid - 1
    }
    let best: MapEntry | undefined
    for (let i = hi; i >= 0; i--) {
      const e = entries[i] as MapEntry
      if (e.start < address - longest) break
      if (address < e.end && (best === undefined || e.order > best.order)) best = e
    }
    return best?.name
  }
}

/**
 * Self instructions per function in one callgrind output file (one thread), JIT addresses named
 * by `name` (prefixed `JS `), natives by callgrind. The format: `fn=(id) name` starts a
 * function's lines (`cfn=` names a callee with the same ids), cost lines are `<position> <instructions>`, and the cost line right after a
 * `calls=` line is what the call cost (inclusive), not the function's own.
 */
export async function selfCosts(file: string, name: (address: number) => string | undefined): Promise<Map<string, number>> {
  const names = new Map<string, string>()
  const costs = new Map<string, number>()
  let fn = ''
  let skipNext = false
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    if (line.startsWith('fn=') || line.startsWith('cfn=')) {
      // Names are compressed: the first mention, in either, is `(id) name`; later ones `(id)`.
      const m = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line)
      if (m === null) continue
      if (m[2] !== undefined) names.set(m[1] as string, m[2])
      if (line.startsWith('fn=')) fn = names.get(m[1] as string) ?? `fn ${m[1] as string}`
    } else if (line.startsWith('calls=')) {
      skipNext = true
    } else if (/^[\d+\-*]/.test(line)) {
      if (skipNext) {
        skipNext = false
        continue
      }
      const ir = Number(line.slice(line.lastIndexOf(' ') + 1))
      if (Number.isFinite(ir)) costs.set(fn, (costs.get(fn) ?? 0) + ir)
    }
  }
  const named = new Map<string, number>()
  for (const [raw, ir] of costs) {
    // `'2` marks a recursive call of the same function.
    const bare = raw.replace(/'\d+$/, '')
    const jit = /^0x([0-9a-f]+)$/.exec(bare)
    const key = jit === null ? bare : `JS ${name(parseInt(jit[1] as string, 16)) ?? '(unnamed compiled code)'}`
    named.set(key, (named.get(key) ?? 0) + ir)
  }
  return named
}
