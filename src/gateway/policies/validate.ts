/**
 * Request validation (`request.validate`): JSON Schemas for the body, query, path parameters and
 * headers — inline, from a file next to the config, or from the system's OpenAPI operation —
 * compiled once at boot with ajv. A failing request is answered 400 listing every violation
 * (`{ in, path, message }`), not just the first, so a client can fix them all in one go.
 */
import { readFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import formatsModule from 'ajv-formats'
import { parse as parseYaml } from 'yaml'
import { SwitchboardError } from '../../core/errors.js'
import type { Exchange, Step } from '../exchange.js'

type FormatsPlugin = (ajv: Ajv) => Ajv
// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = ((formatsModule as unknown as { default?: FormatsPlugin }).default ?? formatsModule) as unknown as FormatsPlugin

export type Location = 'body' | 'query' | 'params' | 'headers'

export interface Violation {
  in: Location
  path: string
  message: string
}

/** The two ajv instances of one gateway: bodies are JSON (no coercion); the rest are strings. */
export interface Validators {
  json: Ajv
  strings: Ajv
}

export function createValidators(): Validators {
  // strict off: OpenAPI schemas carry `example`, `xml`, `discriminator`… which are not JSON Schema.
  const base = { allErrors: true, strict: false, validateFormats: true } as const
  const json = new Ajv(base)
  const strings = new Ajv({ ...base, coerceTypes: 'array' })
  addFormats(json)
  addFormats(strings)
  return { json, strings }
}

/** An inline schema, or a JSON/YAML file path relative to `configDir`. */
export async function loadSchema(ref: unknown, configDir: string, where: string): Promise<Record<string, unknown>> {
  if (typeof ref === 'object' && ref !== null && !Array.isArray(ref)) return ref as Record<string, unknown>
  if (typeof ref !== 'string') throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: expected a JSON Schema object or a file path`)
  const file = isAbsolute(ref) ? ref : resolve(configDir, ref)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: cannot read schema file "${ref}"`, { cause: err })
  }
  let schema: unknown
  try {
    schema = parseYaml(text)
  } catch (err) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: "${ref}" is not valid JSON/YAML`, { cause: err })
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: "${ref}" does not hold a JSON Schema object`)
  }
  return schema as Record<string, unknown>
}

/** Header names arrive lower-case: lower-case the schema's top-level names to match. */
export function lowerCaseHeaderSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const out = { ...schema }
  if (typeof schema.properties === 'object' && schema.properties !== null) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k.toLowerCase(), v]))
  }
  if (Array.isArray(schema.required)) out.required = schema.required.map((n) => (typeof n === 'string' ? n.toLowerCase() : n))
  return out
}

export function compileSchema(ajv: Ajv, schema: Record<string, unknown>, where: string): ValidateFunction {
  try {
    return ajv.compile(schema)
  } catch (err) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: invalid JSON Schema: ${(err as Error).message}`, { cause: err })
  }
}

function violation(where: Location, e: ErrorObject): Violation {
  const base = e.instancePath === '' ? '' : e.instancePath
  const params = e.params as Record<string, unknown>
  if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
    return { in: where, path: `${base}/${params.missingProperty}`, message: 'is required' }
  }
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return { in: where, path: `${base}/${params.additionalProperty}`, message: 'is not allowed' }
  }
  return { in: where, path: base === '' ? '/' : base, message: e.message ?? 'is invalid' }
}

export interface CompiledValidation {
  body?: ValidateFunction
  /** `false` when an absent body is fine (OpenAPI `requestBody.required: false`); else a body schema requires a body. */
  bodyRequired?: boolean
  query?: ValidateFunction
  params?: ValidateFunction
  headers?: ValidateFunction
}

function check(fn: ValidateFunction | undefined, where: Location, data: unknown, out: Violation[]): void {
  if (fn === undefined || fn(data)) return
  for (const e of fn.errors ?? []) out.push(violation(where, e))
}

/** The validation step. Query/params/headers are validated on copies (coercion must not leak). */
export function validationStep(v: CompiledValidation): Step {
  return (x: Exchange) => {
    const violations: Violation[] = []
    check(v.params, 'params', { ...x.params }, violations)
    check(v.query, 'query', { ...x.query }, violations)
    check(v.headers, 'headers', { ...x.req.headers }, violations)
    if (x.body !== undefined) check(v.body, 'body', x.body, violations)
    // No body: required unless an OpenAPI operation says it is optional.
    else if (v.body !== undefined && v.bodyRequired !== false) violations.push({ in: 'body', path: '/', message: 'is required' })
    if (violations.length > 0) {
      throw new SwitchboardError('SB_ERR_GATEWAY_VALIDATION_FAILED', `request has ${violations.length} violation(s)`, { details: { violations } })
    }
  }
}
