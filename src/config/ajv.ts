/**
 * The ajv instances used by the loader. `x-kind`, `x-positive` and `x-discriminator` are the
 * spec's own annotations: declared so ajv's strict mode accepts them.
 */
import { Ajv, type Options, type ValidateFunction } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import formatsModule from 'ajv-formats'

type FormatsPlugin = (ajv: Ajv) => Ajv
// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = ((formatsModule as unknown as { default?: FormatsPlugin }).default ?? formatsModule) as unknown as FormatsPlugin

export const SPEC_KEYWORDS = ['x-kind', 'x-positive', 'x-discriminator'] as const

function make(options: Options): Ajv {
  // strictSchema off: defaults inside unions are documented for readers but applied by
  // defaults.ts, which ajv's strict mode would otherwise reject.
  const ajv = new Ajv({ allErrors: true, verbose: true, strictSchema: false, strictTypes: false, ...options })
  addFormats(ajv)
  for (const keyword of SPEC_KEYWORDS) ajv.addKeyword({ keyword, schemaType: ['string', 'boolean'] })
  return ajv
}

let validating: Ajv | undefined
let explaining: Ajv | undefined

/** Validates the whole config and fills in defaults. */
export function configAjv(): Ajv {
  validating ??= make({ useDefaults: true })
  return validating
}

/** Re-validates one union branch to explain why it failed; never mutates the data. */
export function explainAjv(): Ajv {
  explaining ??= make({ useDefaults: false })
  return explaining
}

const compiled = new WeakMap<Ajv, WeakMap<object, ValidateFunction>>()

/** Compiles once per schema object (spec schemas are long-lived constants). */
export function compile(ajv: Ajv, schema: object): ValidateFunction {
  let cache = compiled.get(ajv)
  if (!cache) compiled.set(ajv, (cache = new WeakMap()))
  let fn = cache.get(schema)
  if (!fn) cache.set(schema, (fn = ajv.compile(schema)))
  return fn
}

/**
 * A fresh ajv for user JSON Schemas (topic schemas, request validation): draft 2020-12 when the
 * schema says so, draft-07 otherwise.
 */
export function userSchemaAjv(schema: unknown): Ajv {
  const dialect = typeof schema === 'object' && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined
  const options: Options = { allErrors: true, strict: false }
  const ajv = typeof dialect === 'string' && dialect.includes('2020-12') ? new Ajv2020(options) : new Ajv(options)
  addFormats(ajv)
  return ajv
}
