/** The printable copy of a config: secret-derived values replaced by the reference they came from. */
import { isRecord, pathKey, type Segment } from './paths.js'

/** A deep copy of `config` where each path in `secretPaths` reads `[redacted ${env:NAME}]`. */
export function redact(config: unknown, secretPaths: ReadonlyMap<string, string>): unknown {
  const visit = (node: unknown, path: Segment[]): unknown => {
    const written = secretPaths.get(pathKey(path))
    if (written !== undefined) return `[redacted ${written}]`
    if (Array.isArray(node)) return node.map((item, i) => visit(item, [...path, i]))
    if (isRecord(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, visit(v, [...path, k])]))
    return node
  }
  return visit(config, [])
}
