/**
 * `request.headers` / `response.headers`: set and remove headers, compiled once. Names are
 * lower-cased at boot (Node delivers them so); hop-by-hop names cannot be set (they would be
 * stripped or break the framing), and values are checked for CR/LF so a config value cannot
 * split a header.
 */
import { SwitchboardError } from '../../core/errors.js'
import type { HeaderOpsConfig } from '../../config/spec/route.js'

/** Mutates a header object (lower-case names) in place. */
export type HeaderOps = (headers: Record<string, unknown>) => void

const FORBIDDEN = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length'])
const BAD_VALUE_RE = /[\r\n\0]/

/** Compiles header ops, or returns undefined when there are none. Bad names/values throw naming `where`. */
export function compileHeaderOps(config: HeaderOpsConfig | undefined, where: string): HeaderOps | undefined {
  if (!config) return undefined
  const remove = (config.remove ?? []).map((n) => n.toLowerCase())
  const set: Array<[string, string]> = []
  for (const [name, value] of Object.entries(config.set ?? {})) {
    const lower = name.toLowerCase()
    if (FORBIDDEN.has(lower) || lower.startsWith('proxy-')) {
      throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}.set.${name}: this header is managed by the gateway and cannot be set`)
    }
    if (BAD_VALUE_RE.test(value)) throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}.set.${name}: value contains CR, LF or NUL`)
    set.push([lower, value])
  }
  if (remove.length === 0 && set.length === 0) return undefined
  return (headers) => {
    for (const name of remove) delete headers[name]
    for (const [name, value] of set) headers[name] = value
  }
}
