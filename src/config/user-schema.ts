/**
 * JSON Schemas users supply (topic event schemas, route request validation) and documents they
 * point at (a system's OpenAPI file): an inline object, or a path relative to the config file,
 * in JSON or YAML.
 */
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { userSchemaAjv } from './ajv.js'
import { isRecord } from './paths.js'

export type DocumentResult = { ok: true; value: Record<string, unknown>; file?: string } | { ok: false; problem: string }

/** Reads a JSON or YAML file (relative to `dir`) that must hold an object. */
export function readDocument(path: string, dir: string): DocumentResult {
  const file = isAbsolute(path) ? path : resolve(dir, path)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return { ok: false, problem: code === 'ENOENT' ? `file ${path} does not exist (looked for ${file})` : `file ${path} cannot be read (${code ?? 'error'})` }
  }
  let value: unknown
  try {
    value = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text)
  } catch (err) {
    return { ok: false, problem: `file ${path} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}` }
  }
  if (!isRecord(value)) return { ok: false, problem: `file ${path} does not hold an object` }
  return { ok: true, value, file }
}

/**
 * A user JSON Schema, read (if `ref` is a path) and compiled with ajv to prove it is valid. The
 * draft is 2020-12 when `$schema` says so, draft-07 otherwise.
 */
export function readUserSchema(ref: unknown, dir: string): DocumentResult {
  let doc: DocumentResult
  if (typeof ref === 'string') doc = readDocument(ref, dir)
  else if (isRecord(ref) || typeof ref === 'boolean') doc = { ok: true, value: isRecord(ref) ? ref : {} }
  else return { ok: false, problem: 'expected a JSON Schema (an inline mapping) or the path of a schema file' }
  if (!doc.ok) return doc
  const where = typeof ref === 'string' ? `${ref} is` : 'inline schema is'
  const ajv = userSchemaAjv(doc.value)
  // validateSchema first: it keeps ajv's structured errors, where compile() only throws text.
  if (!ajv.validateSchema(doc.value)) return { ok: false, problem: `${where} not a valid JSON Schema: ${schemaProblem(ajv.errors)}` }
  try {
    ajv.compile(doc.value)
  } catch (err) {
    return { ok: false, problem: `${where} not a valid JSON Schema: ${(err as Error).message}` }
  }
  return doc
}

/** ajv's first complaint about a schema, as `at /properties/id/type: must be …`. */
function schemaProblem(errors: ReadonlyArray<{ instancePath?: string; message?: string }> | null | undefined): string {
  const first = errors?.[0]
  return first?.message ? `at ${first.instancePath || '/'}: ${first.message}` : 'rejected by the JSON Schema meta-schema'
}
