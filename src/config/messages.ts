/**
 * Human wording for schema problems: what a field expects (read off its JSON Schema) and what was
 * found. Kept apart from the ajv plumbing so semantic checks can phrase things the same way.
 */
import { isRecord } from './paths.js'

type Schema = Record<string, unknown>

const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
const PATTERN_WORDS: Record<string, string> = {
  [NAME_PATTERN]: 'a name of letters, digits, ".", "_" or "-" (starting with a letter or digit, at most 64 characters)',
  '^[a-z0-9][a-z0-9._-]*$': 'a topic name of lowercase letters, digits, ".", "_" or "-" (like order.created)',
  "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$": 'an HTTP header name',
  '^/': 'a path starting with "/"',
}

export const DURATION_EXAMPLES = 'like 250ms, 30s, 5m, 1d'

/** "an integer 0–65535", "a duration like 250ms, …", "one of: none, key" … */
export function describeExpected(schema: unknown): string {
  if (!isRecord(schema)) return 'a value'
  if (schema['x-kind'] === 'duration') {
    return schema['x-positive'] === true ? `a duration greater than 0 ${DURATION_EXAMPLES}` : `a duration ${DURATION_EXAMPLES}`
  }
  if ('const' in schema) return JSON.stringify(schema.const)
  if (Array.isArray(schema.enum)) return `one of: ${schema.enum.map((v) => String(v)).join(', ')}`
  if (Array.isArray(schema.anyOf)) return describeUnion(flattenUnion(schema))
  switch (schema.type) {
    case 'integer':
    case 'number':
      return describeNumber(schema)
    case 'string':
      return describeString(schema)
    case 'boolean':
      return 'true or false'
    case 'array':
      return 'a list'
    case 'object':
      return describeObject(schema)
    default:
      return 'a value'
  }
}

/** The branches of a union, with nested plain unions spread out (`A | (B | C)` → A, B, C). */
export function flattenUnion(schema: Schema): Schema[] {
  const out: Schema[] = []
  for (const b of Array.isArray(schema.anyOf) ? schema.anyOf : []) {
    if (!isRecord(b)) continue
    if (Array.isArray(b.anyOf) && b['x-kind'] === undefined && b['x-discriminator'] === undefined) out.push(...flattenUnion(b))
    else out.push(b)
  }
  return out
}

function describeUnion(branches: Schema[]): string {
  const consts = branches.filter((b) => 'const' in b).map((b) => String(b.const))
  const wrapperKey = (b: Schema) => (b.type === 'object' && Array.isArray(b.required) && b.required.length === 1 ? String(b.required[0]) : undefined)
  const wrappers = branches.map(wrapperKey).filter((k): k is string => k !== undefined)
  const rest = branches.filter((b) => !('const' in b) && (wrappers.length < 2 || wrapperKey(b) === undefined)).map(describeExpected)
  const parts: string[] = []
  if (consts.length === 1) parts.push(JSON.stringify(consts[0]))
  if (consts.length > 1) parts.push(`one of: ${consts.join(', ')}`)
  // `{ apiKey: … }`, `{ jwt: … }`, `{ webhook: … }` read as one alternative.
  if (wrappers.length > 1) parts.push(`a mapping with one of the keys ${wrappers.join(', ')}`)
  parts.push(...rest)
  return [...new Set(parts)].join(' or ')
}

function describeNumber(s: Schema): string {
  const noun = s.type === 'integer' ? 'an integer' : 'a number'
  const min = typeof s.minimum === 'number' ? s.minimum : undefined
  const max = typeof s.maximum === 'number' ? s.maximum : undefined
  const xmin = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : undefined
  if (min !== undefined && max !== undefined) return `${noun} ${min}–${max}`
  if (xmin !== undefined && max !== undefined) return `${noun} greater than ${xmin} and at most ${max}`
  if (xmin !== undefined) return `${noun} greater than ${xmin}`
  if (min !== undefined) return `${noun} ≥ ${min}`
  if (max !== undefined) return `${noun} ≤ ${max}`
  return noun
}

function describeString(s: Schema): string {
  if (typeof s.pattern === 'string') return describePattern(s.pattern)
  if (s.format === 'date') return 'a date like 2027-06-30'
  if (s['x-kind'] === 'url') return 'an absolute http(s) URL'
  return typeof s.minLength === 'number' && s.minLength > 0 ? 'a non-empty string' : 'a string'
}

/** Words for the patterns the spec uses; an unknown one is shown as a regular expression. */
export function describePattern(pattern: string): string {
  const known = PATTERN_WORDS[pattern]
  if (known) return known
  const alternatives = /^\^\(([A-Za-z0-9|\\*]+)\)\$$/.exec(pattern)
  if (alternatives?.[1]) return `one of: ${alternatives[1].replace(/\\/g, '').split('|').join(', ')}`
  return `a string matching /${pattern}/`
}

function describeObject(s: Schema): string {
  const required = Array.isArray(s.required) ? s.required.map(String) : []
  const props = isRecord(s.properties) ? Object.keys(s.properties) : []
  // Single-key wrapper objects such as `{ jwt: … }` read best by their key.
  if (props.length === 1 && required.length === 1) return `a mapping with key "${required[0]}"`
  return 'a mapping'
}

/** How a found value is shown: strings quoted (shortened), lists and mappings by kind. */
export function describeFound(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}…` : value
    return JSON.stringify(shown)
  }
  if (value === null) return 'an empty value'
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return String(value)
}

/** The wording of a value that came from a secret reference: the reference, never the value. */
export function describeSecret(written: string): string {
  return `the value of ${JSON.stringify(written)}`
}
