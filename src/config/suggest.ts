/** "Did you mean …?" for unknown names: the closest candidate by edit distance, if close enough. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase())
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  // Allow about one typo per three characters, so `timout` → `timeout` but `foo` ↛ `bus`.
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
export function distance(a: string, b: string): number {
  const rows: number[][] = []
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i]
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j)
        continue
      }
      const prev = rows[i - 1] as number[]
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1)
      row.push(d)
    }
    rows.push(row)
  }
  return rows[a.length]?.[b.length] ?? Math.max(a.length, b.length)
}

/** `a, b, c` — or the first `max` and a count, so messages stay one line. */
export function listNames(names: readonly string[], max = 12): string {
  if (names.length <= max) return names.join(', ')
  return `${names.slice(0, max).join(', ')}, … (${names.length - max} more)`
}
