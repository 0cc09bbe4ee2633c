import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { CLI_DOCS_PATH, renderCliDocs } from '../../scripts/generate-cli-docs.js'

describe('docs/reference/cli.md', () => {
  it('matches the commands’ --help output (regenerate: npm run generate)', () => {
    const doc = renderCliDocs()
    assert.equal(readFileSync(CLI_DOCS_PATH, 'utf8'), doc)
    for (const cmd of ['start', 'validate', 'init', 'config show', 'audit list', 'revisions list', 'systems list', 'keys create', 'keys list', 'keys revoke', 'consumers list', 'routes list', 'admin-token reset']) {
      assert.ok(doc.includes(`## \`switchboard ${cmd}\``), cmd)
    }
  })
})
