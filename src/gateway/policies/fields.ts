/**
 * Response field allow/deny lists (`response.allow`, `response.deny`): dotted paths into the
 * JSON body, traversing arrays at any level — `items.sku` keeps (or drops) `sku` in every item,
 * and a top-level array is filtered item by item. An allow list is the guard against excessive
 * data exposure: a field the route does not declare never leaves the gateway, however the
 * backend evolves. Paths are compiled once into a tree.
 */
import { SwitchboardError } from '../../core/errors.js'

/** A compiled path set: `true` means "the whole value at this key". */
type FieldTree = Map<string, FieldTree | true>

/** Applies a compiled allow or deny list to a parsed JSON value, returning a new value. */
export type FieldFilter = (value: unknown) => unknown

function compileTree(paths: readonly string[], where: string): FieldTree {
  const root: FieldTree = new Map()
  for (const path of paths) {
    const parts = path.split('.')
    if (parts.some((p) => p === '')) throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: "${path}" is not a dotted field path`)
    let node = root
    for (let i = 0; i < parts.length; i++) {
      const key = parts[i] as string
      const existing = node.get(key)
      if (existing === true) break // a shorter path already covers this one
      if (i === parts.length - 1) {
        node.set(key, true)
        break
      }
      const child: FieldTree = existing ?? new Map()
      node.set(key, child)
      node = child
    }
  }
  return root
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Sets an own property even when the key is `__proto__` (plain assignment would change the prototype). */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

function keep(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((item) => keep(item, tree))
  if (!isPlainObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const [key, sub] of tree) {
    if (!Object.hasOwn(value, key)) continue
    put(out, key, sub === true ? value[key] : keep(value[key], sub))
  }
  return out
}

function drop(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((item) => drop(item, tree))
  if (!isPlainObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    const sub = tree.get(key)
    if (sub === true) continue
    put(out, key, sub === undefined ? value[key] : drop(value[key], sub))
  }
  return out
}

/** Compiles `response.allow` (keep only) or `response.deny` (remove) into a filter. */
export function compileFieldFilter(kind: 'allow' | 'deny', paths: readonly string[], where: string): FieldFilter {
  const tree = compileTree(paths, where)
  return kind === 'allow' ? (value) => keep(value, tree) : (value) => drop(value, tree)
}
