/**
 * Turns ajv's raw errors into one human message per problem: what was found and what is
 * expected. Unions get special care: instead of a dump of every branch's failure, the branch the
 * user meant is picked (by `type` discriminator, by which key is present, or by JSON type) and
 * only its problems are reported.
 */
import type { ErrorObject } from 'ajv'
import { compile, explainAjv } from './ajv.js'
import type { Finding } from './issues.js'
import { describeExpected, describeFound, describePattern, describeSecret, flattenUnion } from './messages.js'
import { isRecord, pointerToPath, type Segment } from './paths.js'
import { closest, listNames } from './suggest.js'

type Schema = Record<string, unknown>

/** Looks up whether a path's value came from a secret reference (then it must not be echoed). */
export type SecretLookup = (path: Segment[]) => string | undefined

/** Findings for the ajv `errors` of validating `data` (which sits at `base` in the config). */
export function explainErrors(errors: readonly ErrorObject[], data: unknown, base: Segment[], secret: SecretLookup): Finding[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf')
  const inUnion = (e: ErrorObject) =>
    unions.some((u) => u !== e && e.schemaPath.startsWith(`${u.schemaPath}/`) && (e.instancePath === u.instancePath || e.instancePath.startsWith(`${u.instancePath}/`)))
  const kept = errors.filter((e) => !inUnion(e))

  // A typo in a required field shows up twice (unknown `sytem`, missing `system`): keep the typo.
  const typoFixes = new Set<string>()
  for (const e of kept) {
    if (e.keyword !== 'additionalProperties' || !isRecord(e.parentSchema) || !isRecord(e.parentSchema.properties)) continue
    const guess = closest(String(e.params.additionalProperty), Object.keys(e.parentSchema.properties))
    if (guess) typoFixes.add(`${e.instancePath}\0${guess}`)
  }

  const out: Finding[] = []
  for (const e of kept) {
    const path = [...base, ...pointerToPath(e.instancePath, data)]
    if (e.keyword === 'required' && typoFixes.has(`${e.instancePath}\0${String(e.params.missingProperty)}`)) continue
    if (e.keyword === 'anyOf') out.push(...explainUnion(e.parentSchema as Schema, e.data, path, secret))
    else out.push(explainOne(e, path, secret))
  }
  return out
}

function found(value: unknown, path: Segment[], secret: SecretLookup): string {
  const written = secret(path)
  return written === undefined ? describeFound(value) : describeSecret(written)
}

function explainOne(e: ErrorObject, path: Segment[], secret: SecretLookup): Finding {
  const parent = isRecord(e.parentSchema) ? e.parentSchema : {}
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty)
      return { path: [...path, missing], node: path, message: `missing required field "${missing}"` }
    }
    case 'additionalProperties': {
      const key = String(p.additionalProperty)
      const at: Segment[] = [...path, key]
      if (isRecord(parent.properties)) {
        const names = Object.keys(parent.properties)
        const guess = closest(key, names)
        const hint = guess ? `, did you mean "${guess}"?` : ''
        return { path: at, at: 'key', message: `unknown field "${key}"${hint} (expected one of: ${listNames(names)})` }
      }
      const patterns = isRecord(parent.patternProperties) ? Object.keys(parent.patternProperties) : []
      const expected = patterns.length === 1 && patterns[0] ? describePattern(patterns[0]) : 'a valid name'
      return { path: at, at: 'key', message: `invalid name "${key}": expected ${expected}` }
    }
    case 'minLength': {
      const limit = Number(p.limit)
      if (limit === 1) return { path, message: 'must not be empty' }
      return { path, message: `expected at least ${limit} characters` }
    }
    case 'maxLength':
      return { path, message: `expected at most ${Number(p.limit)} characters` }
    case 'minItems':
      return { path, message: `expected at least ${Number(p.limit)} item${Number(p.limit) === 1 ? '' : 's'}, found ${Array.isArray(e.data) ? e.data.length : 0}` }
    case 'maxItems':
      return { path, message: `expected at most ${Number(p.limit)} items, found ${Array.isArray(e.data) ? e.data.length : 0}` }
    case 'minProperties':
    case 'maxProperties': {
      const keys = isRecord(parent.properties) ? Object.keys(parent.properties) : []
      const count = isRecord(e.data) ? Object.keys(e.data).length : 0
      if (parent.minProperties === 1 && parent.maxProperties === 1 && keys.length > 0) return { path, message: `expected exactly one of the keys ${listNames(keys)}, found ${count}` }
      return { path, message: e.message ?? `has ${count} keys` }
    }
    case 'uniqueItems':
      // Report the later of the two equal items, pointing back at the first.
      return { path: [...path, Math.max(Number(p.i), Number(p.j))], message: `duplicate of item [${Math.min(Number(p.i), Number(p.j))}]` }
    case 'type':
    case 'const':
    case 'enum':
    case 'pattern':
    case 'format':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `expected ${describeExpected(parent)}, found ${found(e.data, path, secret)}` }
    default:
      return { path, message: e.message ?? `fails "${e.keyword}"` }
  }
}

/** One message for a failed union: pick the branch that was meant and explain only that one. */
function explainUnion(union: Schema, data: unknown, path: Segment[], secret: SecretLookup): Finding[] {
  const fail = (): Finding[] => [{ path, message: `expected ${describeExpected(union)}, found ${found(data, path, secret)}` }]
  if (union['x-kind'] === 'duration') return fail()
  const branches = flattenUnion(union)

  const disc = union['x-discriminator']
  if (typeof disc === 'string' && isRecord(data)) {
    const tag = (b: Schema) => (isRecord(b.properties) && isRecord(b.properties[disc]) ? b.properties[disc].const : undefined)
    const options = branches.map(tag).filter((t): t is string => typeof t === 'string')
    if (!(disc in data)) return [{ path: [...path, disc], node: path, message: `missing required field "${disc}" (one of: ${options.join(', ')})` }]
    const chosen = branches.find((b) => tag(b) === data[disc])
    if (chosen) return explainBranch(chosen, data, path, secret)
    const guess = typeof data[disc] === 'string' ? closest(data[disc], options) : undefined
    const hint = guess ? `did you mean "${guess}"? ` : ''
    return [{ path: [...path, disc], message: `unknown ${disc} ${describeFound(data[disc])} (${hint}expected one of: ${options.join(', ')})` }]
  }

  if (isRecord(data)) {
    const objects = branches.filter((b) => b.type === 'object')
    const [only] = objects
    if (objects.length === 1 && only) return explainBranch(only, data, path, secret)
    // Wrappers such as `{ jwt: … }` / `{ webhook: … }`: the key present says which was meant.
    const keys = Object.keys(data)
    const keyOf = (b: Schema) => (Array.isArray(b.required) ? b.required.map(String) : [])
    const meant = objects.filter((b) => keyOf(b).some((k) => keys.includes(k)))
    const [one] = meant
    if (meant.length === 1 && one) return explainBranch(one, data, path, secret)
    if (meant.length > 1) {
      const present = meant.flatMap(keyOf).filter((k) => keys.includes(k))
      return [{ path, message: `expected only one of the keys ${objects.flatMap(keyOf).join(', ')}, found ${present.join(' and ')}` }]
    }
    if (objects.length > 1 && objects.every((b) => keyOf(b).length === 1)) {
      const wanted = objects.flatMap(keyOf)
      const guess = keys.map((k) => closest(k, wanted)).find((g) => g !== undefined)
      const hint = guess ? ` (did you mean "${guess}"?)` : ''
      return [{ path, message: `expected a mapping with one of the keys ${wanted.join(', ')}, found keys ${keys.join(', ') || '(none)'}${hint}` }]
    }
  }

  const typed = branches.filter((b) => matchesType(b, data))
  const [single] = typed
  if (typed.length === 1 && single) return explainBranch(single, data, path, secret)
  const consts = typed.filter((b) => 'const' in b).map((b) => String(b.const))
  if (typeof data === 'string' && consts.length > 0) {
    const guess = closest(data, consts)
    if (guess) return [{ path, message: `expected ${describeExpected(union)}, found ${found(data, path, secret)} (did you mean "${guess}"?)` }]
  }
  return fail()
}

function explainBranch(branch: Schema, data: unknown, path: Segment[], secret: SecretLookup): Finding[] {
  const validate = compile(explainAjv(), branch)
  if (validate(data) || !validate.errors) return []
  return explainErrors(validate.errors, data, path, secret)
}

function matchesType(schema: Schema, value: unknown): boolean {
  if (Array.isArray(schema.anyOf)) return flattenUnion(schema).some((b) => matchesType(b, value))
  switch (schema.type) {
    case 'string':
      return typeof value === 'string'
    case 'integer':
    case 'number':
      return typeof value === 'number'
    case 'boolean':
      return typeof value === 'boolean'
    case 'array':
      return Array.isArray(value)
    case 'object':
      return isRecord(value)
    case 'null':
      return value === null
    default:
      return true
  }
}
