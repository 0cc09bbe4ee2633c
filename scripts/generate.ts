/**
 * Writes the files generated from the code: the config JSON Schema, the configuration reference,
 * the error-code list, the CLI reference and the metrics reference. `--check` writes nothing and fails listing the stale files (CI).
 * Usage: npm run generate | npm run check-generated
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderConfigReference } from './generate/config-reference.js'
import { renderErrorsDoc } from './generate/errors-doc.js'
import { renderJsonSchema } from './generate/json-schema.js'
import { CLI_DOCS_PATH, renderCliDocs } from './generate-cli-docs.js'
import { renderMetricsDocs } from '../src/observe/metrics-docs.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Repository-relative path → content. Generation is deterministic: same code, same bytes. */
export function generatedFiles(): Record<string, string> {
  return {
    'switchboard.schema.json': renderJsonSchema(),
    'docs/reference/configuration.md': renderConfigReference(),
    'docs/errors.md': renderErrorsDoc(),
    [CLI_DOCS_PATH]: renderCliDocs(),
    'docs/reference/metrics.md': renderMetricsDocs(),
  }
}

function current(path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'utf8')
  } catch {
    return undefined
  }
}

function main(): void {
  const check = process.argv.includes('--check')
  const stale = Object.entries(generatedFiles()).filter(([path, content]) => current(path) !== content)
  if (check) {
    if (stale.length === 0) return console.log('generated files are up to date')
    console.error(`stale generated files (run \`npm run generate\`):\n${stale.map(([p]) => `  ${p}`).join('\n')}`)
    process.exit(1)
  }
  for (const [path, content] of stale) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
    console.log(`wrote ${path}`)
  }
  if (stale.length === 0) console.log('generated files are up to date')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main()
