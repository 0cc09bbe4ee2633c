/**
 * Schema validation of a whole config against {@link ConfigSpec}: every problem, in words, with
 * defaults filled in when the config is valid.
 */
import { compile, configAjv } from './ajv.js'
import { applyUnionDefaults } from './defaults.js'
import { explainErrors, type SecretLookup } from './explain.js'
import type { Finding } from './issues.js'
import { ConfigSpec } from './spec/root.js'

/** Validates `data` in place (defaults are written into it) and returns what is wrong. */
export function validateSchema(data: unknown, secret: SecretLookup = () => undefined): Finding[] {
  if (data === null || data === undefined) return [{ path: [], message: 'the config is empty (expected a mapping with at least `version: 1`)' }]
  const validate = compile(configAjv(), ConfigSpec)
  if (validate(data)) {
    applyUnionDefaults(ConfigSpec, data)
    return []
  }
  return explainErrors(validate.errors ?? [], data, [], secret)
}
