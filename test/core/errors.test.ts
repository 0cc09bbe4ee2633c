/**
 * docs/errors.md lists every error code with its status, title, cause and fix, and nothing
 * else; codes follow `SB_ERR_<AREA>_<PROBLEM>`.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ERROR_CODES, SwitchboardError, type ErrorCode } from '../../src/core/errors.js'
import { renderErrorsDoc } from '../../scripts/generate/errors-doc.js'

const DOC = readFileSync(join(import.meta.dirname, '../../docs/errors.md'), 'utf8')
const CODES = Object.keys(ERROR_CODES) as ErrorCode[]

/** Each `### CODE` section of the doc with its body. */
function sections(): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of DOC.split(/^### /m).slice(1)) {
    const [head = '', ...body] = part.split('\n')
    out.set(head.trim(), body.join('\n'))
  }
  return out
}

describe('error codes', () => {
  it('are all SB_ERR_<AREA>_<PROBLEM>', () => {
    for (const code of CODES) assert.match(code, /^SB_ERR_[A-Z]+_[A-Z_]+$/, code)
  })

  it('have a status, title, cause and fix', () => {
    for (const code of CODES) {
      const info = ERROR_CODES[code]
      assert.ok(Number.isInteger(info.status) && info.status >= 400 && info.status <= 599, `${code} status`)
      for (const key of ['title', 'cause', 'fix'] as const) assert.ok(info[key].trim().length > 0, `${code} ${key}`)
    }
  })

  it('docs/errors.md documents exactly the codes in the table', () => {
    const documented = [...sections().keys()].sort()
    assert.deepEqual(documented, [...CODES].sort())
  })

  it('docs/errors.md states each code’s status, title, cause and fix as in the table', () => {
    const docs = sections()
    for (const code of CODES) {
      const body = docs.get(code) ?? ''
      const info = ERROR_CODES[code]
      assert.ok(body.includes(`**Status:** ${info.status} · **Title:** ${info.title}`), `${code}: status/title out of date`)
      assert.ok(body.includes(`**Cause:** ${info.cause}`), `${code}: cause out of date`)
      assert.ok(body.includes(`**Fix:** ${info.fix}`), `${code}: fix out of date`)
    }
  })

  it('docs/errors.md is exactly what `npm run generate` writes', () => {
    assert.equal(DOC, renderErrorsDoc())
  })

  it('every code makes a problem document with its declared status', () => {
    for (const code of CODES) {
      const problem = new SwitchboardError(code, 'x').toProblem()
      assert.equal(problem.status, ERROR_CODES[code].status)
      assert.equal(problem.type, `urn:switchboard:error:${code}`)
    }
  })
})
