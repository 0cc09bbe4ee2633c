/**
 * What the loader reports. A {@link Finding} is a problem at a config path; the loader turns it
 * into a {@link ConfigIssue} by looking up where that path sits in the YAML text.
 */
import { SwitchboardError, type ErrorCode } from '../core/errors.js'
import type { Segment } from './paths.js'

/** One problem in a config file, located to the line and column of the offending node. */
export interface ConfigIssue {
  /** The config file as the caller named it. */
  file: string
  /** 1-based; 0 when the problem is not tied to a place in the file (e.g. it does not exist). */
  line: number
  /** 1-based; 0 with line 0. */
  col: number
  /** The field, as users write it: `routes[2].proxy.system` (empty for the whole file). */
  path: string
  message: string
  /** Set for problems with their own code (missing secret, missing file); otherwise SB_ERR_CONFIG_INVALID. */
  code?: ErrorCode
}

/** A problem found by a check, before it is located in the source. */
export interface Finding {
  /** The field the message is about. */
  path: Segment[]
  message: string
  /** Where to point, when not at `path` itself (a missing field points at its parent object). */
  node?: Segment[]
  /** Point at the key of `node` rather than its value (unknown fields, duplicate ids). */
  at?: 'key' | 'value'
  /** Character index inside a string value (JSONata error position, secret reference). */
  offset?: number
  code?: ErrorCode
}

/** `file:line:col path: message` — the form editors and terminals make clickable. */
export function formatIssue(i: ConfigIssue): string {
  const where = i.line > 0 ? `${i.file}:${i.line}:${i.col}` : i.file
  return i.path === '' ? `${where} ${i.message}` : `${where} ${i.path}: ${i.message}`
}

/**
 * The config could not be loaded. `issues` lists every problem found (not just the first);
 * the message is those issues formatted one per line. Never contains a resolved secret.
 */
export class ConfigError extends SwitchboardError {
  override readonly name = 'ConfigError'
  readonly issues: ConfigIssue[]

  constructor(issues: ConfigIssue[]) {
    super(codeFor(issues), issues.map(formatIssue).join('\n'), { details: { issues } })
    this.issues = issues
  }
}

/** The most specific code that covers every issue: a lone missing file or only missing secrets. */
function codeFor(issues: ConfigIssue[]): ErrorCode {
  if (issues.some((i) => i.code === 'SB_ERR_CONFIG_NOT_FOUND')) return 'SB_ERR_CONFIG_NOT_FOUND'
  if (issues.length > 0 && issues.every((i) => i.code === 'SB_ERR_CONFIG_SECRET_MISSING')) return 'SB_ERR_CONFIG_SECRET_MISSING'
  return 'SB_ERR_CONFIG_INVALID'
}
