/**
 * The committed generated files match what the code generates (`npm run generate`), and the
 * published JSON Schema works on its own, the way an editor would use it.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { parse } from 'yaml'
import { generatedFiles } from '../../scripts/generate.js'

const ROOT = join(import.meta.dirname, '../..')
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8')

describe('generated files', () => {
  const files = generatedFiles()

  it('switchboard.schema.json is up to date (run `npm run generate`)', () => {
    assert.equal(read('switchboard.schema.json'), files['switchboard.schema.json'])
  })

  it('docs/reference/configuration.md is up to date (run `npm run generate`)', () => {
    assert.equal(read('docs/reference/configuration.md'), files['docs/reference/configuration.md'])
  })

  it('generation is deterministic', () => {
    assert.deepEqual(generatedFiles(), files)
  })

  it('documents every top-level block and every field of a nested one', () => {
    const doc = files['docs/reference/configuration.md'] ?? ''
    for (const block of ['listen', 'systems.<name>', 'systems.<name>.retry', 'routes[]', 'routes[].auth.webhook', 'topics.<name>', 'flows[]', 'pollers[]']) {
      assert.ok(doc.includes(`## \`${block}\``), `no section for ${block}`)
    }
    for (const field of ['connectTimeout', 'halfOpenProbes', 'dedupeWindow', 'itemId', 'retryOn']) assert.ok(doc.includes(`| \`${field}\``), `no row for ${field}`)
  })
})

describe('the published JSON Schema', () => {
  const schema = JSON.parse(read('switchboard.schema.json')) as Record<string, unknown>
  // A plain ajv, as an editor or CI tool would use it (vendor keywords are ignored).
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema)

  it('declares its draft and id', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#')
    assert.equal(typeof schema.$id, 'string')
  })

  it('accepts the full example config', () => {
    const ok = validate(parse(read('test/fixtures/config/valid/full.yaml')))
    assert.ok(ok, JSON.stringify(validate.errors))
  })

  it('rejects a typo, a zero timeout and a bad system name', () => {
    assert.equal(validate({ version: 1, sytems: {} }), false)
    assert.equal(validate({ version: 1, systems: { erp: { baseUrl: 'http://x', timeout: '0s' } } }), false)
    assert.equal(validate({ version: 1, systems: { 'erp system': { baseUrl: 'http://x' } } }), false)
  })
})
