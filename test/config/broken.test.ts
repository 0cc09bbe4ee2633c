/**
 * Every file in test/fixtures/config/broken/ is a config with known problems. Its header says
 * what the loader must report, one line per issue:
 *
 *   # expect: <line>:<col> <path>: <message fragment>     ((root) for the whole file)
 *   # code: <SB_ERR_…>                                     (when not SB_ERR_CONFIG_INVALID)
 *   # secret: <text>                                       (must appear in no message)
 *
 * The loader must report exactly those issues (no fewer: all problems at once; no more: no
 * noise), each at that exact place and path, with that text in its message.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, formatIssue, loadConfig, type ConfigIssue } from '../../src/config/index.js'

const DIR = join(import.meta.dirname, '../fixtures/config/broken')
const EXPECT = /^# expect: (\d+):(\d+) ((?:[^\s"]|"[^"]*")+): (.+)$/

interface Expectation {
  line: number
  col: number
  path: string
  fragment: string
}

function header(text: string): { expects: Expectation[]; code: string; secrets: string[] } {
  const expects: Expectation[] = []
  const secrets: string[] = []
  let code = 'SB_ERR_CONFIG_INVALID'
  for (const line of text.split('\n')) {
    const s = /^# secret: (.+)$/.exec(line)
    if (s?.[1]) secrets.push(s[1])
    const m = EXPECT.exec(line)
    if (m) expects.push({ line: Number(m[1]), col: Number(m[2]), path: m[3] === '(root)' ? '' : (m[3] ?? ''), fragment: m[4] ?? '' })
    const c = /^# code: (\S+)$/.exec(line)
    if (c?.[1]) code = c[1]
  }
  return { expects, code, secrets }
}

async function issuesOf(file: string): Promise<ConfigError> {
  try {
    await loadConfig(file, { env: {} })
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  assert.fail(`${file} loaded without error`)
}

const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()

describe('broken configs report every problem at its place', () => {
  it('has at least 35 fixtures, each declaring its expected issues', () => {
    assert.ok(fixtures.length >= 35, `only ${fixtures.length} fixtures`)
    for (const f of fixtures) assert.ok(header(readFileSync(join(DIR, f), 'utf8')).expects.length > 0, `${f} has no "# expect:" line`)
  })

  for (const name of fixtures) {
    it(name, async () => {
      const file = join(DIR, name)
      const { expects, code, secrets } = header(readFileSync(file, 'utf8'))
      const err = await issuesOf(file)
      const shown = err.issues.map(formatIssue).join('\n')
      assert.equal(err.code, code, shown)
      assert.equal(err.issues.length, expects.length, `expected ${expects.length} issue(s), got:\n${shown}`)
      const unmatched = [...err.issues]
      for (const e of expects) {
        const i = unmatched.findIndex((x: ConfigIssue) => x.line === e.line && x.col === e.col && x.path === e.path && x.message.includes(e.fragment))
        assert.ok(i >= 0, `no issue at ${e.line}:${e.col} ${e.path} containing ${JSON.stringify(e.fragment)}; got:\n${shown}`)
        unmatched.splice(i, 1)
      }
      for (const issue of err.issues) {
        assert.equal(issue.file, file)
        assert.ok(err.message.includes(formatIssue(issue)), 'the error message lists every issue')
      }
      for (const secret of secrets) assert.ok(!JSON.stringify(err.toProblem()).includes(secret), `the error repeats ${secret}`)
    })
  }
})
