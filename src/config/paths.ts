/**
 * Paths into the config. Internally a path is a list of segments (`['routes', 2, 'proxy']`);
 * users see it as `routes[2].proxy`, and ajv reports it as a JSON Pointer (`/routes/2/proxy`).
 */
export type Segment = string | number
export type ConfigPath = readonly Segment[]

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/

/** `['routes', 2, 'proxy', 'system']` → `routes[2].proxy.system`; odd keys are quoted: `topics["order.created"]`. */
export function formatPath(path: ConfigPath): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

/**
 * Segments of an ajv instance path. Numeric segments become numbers only where the data at that
 * point is an array, so a system named `"2"` stays a string key.
 */
export function pointerToPath(pointer: string, root: unknown): Segment[] {
  if (pointer === '') return []
  const out: Segment[] = []
  let node: unknown = root
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(key)) {
      out.push(Number(key))
      node = node[Number(key)]
    } else {
      out.push(key)
      node = isRecord(node) ? node[key] : undefined
    }
  }
  return out
}

/** A stable string key for a path (for sets and maps). */
export function pathKey(path: ConfigPath): string {
  return JSON.stringify(path)
}

/** True when `inner` equals `outer` or lies below it. */
export function isWithin(inner: ConfigPath, outer: ConfigPath): boolean {
  return outer.length <= inner.length && outer.every((seg, i) => inner[i] === seg)
}

/** The value at `path` inside `root`, or undefined. */
export function getAt(root: unknown, path: ConfigPath): unknown {
  let node = root
  for (const seg of path) {
    if (Array.isArray(node) && typeof seg === 'number') node = node[seg]
    else if (isRecord(node) && typeof seg === 'string') node = node[seg]
    else return undefined
  }
  return node
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
