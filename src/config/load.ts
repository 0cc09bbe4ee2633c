/**
 * Loads `switchboard.yaml`: parse (with line numbers), resolve secret references, validate
 * against the spec (defaults filled in), run the semantic checks, and report every problem at
 * once with file:line:col and the field path. The result is frozen.
 */
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { LineCounter, parseDocument, type YAMLError } from 'yaml'
import { canonicalJson, deepFreeze, sha256Hex } from './canonical.js'
import { ConfigError, type ConfigIssue, type Finding } from './issues.js'
import { formatPath, isWithin, pathKey, type Segment } from './paths.js'
import { SourceMap } from './positions.js'
import { redact } from './redact.js'
import { resolveSecrets } from './secrets.js'
import { checkSemantics } from './semantic.js'
import type { RawConfig } from './spec/root.js'
import { validateSchema } from './validate.js'

export { ConfigError, formatIssue, type ConfigIssue } from './issues.js'

export interface LoadedConfig {
  /** Absolute path of the config file. */
  file: string
  /** Its directory: relative paths in the config (schemas, `${file:…}`) resolve against it. */
  dir: string
  /** Validated, defaults applied, secrets resolved, deep-frozen. */
  config: Readonly<RawConfig>
  /** `config` with every secret-derived value replaced by `[redacted ${env:NAME}]`: safe to print or serve. */
  redacted: unknown
  /** sha256 of the canonical JSON of `source`: changes with the config, not with secret values. */
  hash: string
  /** The parsed config before secret resolution and defaults (holds references, never secrets). */
  source: unknown
}

export interface LoadOptions {
  /** Environment for `${env:…}` (default: process.env). */
  env?: Record<string, string | undefined>
  /** The file's content, when it is not to be read from disk (admin API, tests). */
  text?: string
}

/** Loads and validates a config. Throws {@link ConfigError} listing every problem. */
export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<LoadedConfig> {
  const abs = resolve(file)
  const dir = dirname(abs)
  let text = opts.text
  if (text === undefined) {
    try {
      text = await readFile(abs, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? 'error'})`
      throw new ConfigError([{ file, line: 0, col: 0, path: '', code: 'SB_ERR_CONFIG_NOT_FOUND', message: `config ${why}` }])
    }
  }

  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true })
  const map = new SourceMap(doc, lines, text)
  const locate = (f: Finding): ConfigIssue => {
    // A finding about a missing field points at its parent: at the parent's key when it has one.
    const { line, col } = f.node
      ? map.locate(f.node, typeof f.node[f.node.length - 1] === 'string' ? 'key' : 'value')
      : map.locate(f.path, f.at ?? 'value', f.offset)
    const issue: ConfigIssue = { file, line, col, path: formatPath(f.path), message: f.message }
    if (f.code) issue.code = f.code
    return issue
  }
  if (doc.errors.length > 0) throw new ConfigError(sortIssues(doc.errors.map((e) => yamlIssue(e, file, map))))

  let source: unknown
  try {
    source = doc.toJS({ maxAliasCount: 100 })
  } catch (err) {
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: (err as Error).message }])
  }

  const secrets = resolveSecrets(source, { dir, env: opts.env ?? process.env })
  const data = secrets.value
  const secretOf = (p: Segment[]) => secrets.secretPaths.get(pathKey(p))
  const schemaFindings = validateSchema(data, secretOf)
  const semanticFindings = checkSemantics(data, dir, secretOf, { schemaValid: schemaFindings.length === 0 })
  // A problem already reported at a field (or above it) hides follow-on complaints about it.
  const covered = (f: Finding, by: Finding[]) => by.some((b) => isWithin(f.path, b.path))
  const findings = [
    ...secrets.findings,
    ...schemaFindings.filter((f) => !covered(f, secrets.findings)),
    ...semanticFindings.filter((f) => !covered(f, [...secrets.findings, ...schemaFindings])),
  ]
  if (findings.length > 0) throw new ConfigError(sortIssues(findings.map(locate).map((i) => scrub(i, secrets.values))))

  return {
    file: abs,
    dir,
    config: deepFreeze(data as RawConfig),
    redacted: deepFreeze(redact(data, secrets.secretPaths)),
    hash: sha256Hex(canonicalJson(source)),
    source: deepFreeze(source),
  }
}

function yamlIssue(e: YAMLError, file: string, map: SourceMap): ConfigIssue {
  const { line, col } = map.at(e.pos[0])
  const path = map.pathAt(e.pos[0])
  const first = e.message.split('\n')[0] ?? e.message
  const last = path[path.length - 1]
  // Only a duplicate key is reliably inside a field; a syntax error is reported by place alone.
  if (e.code === 'DUPLICATE_KEY' && last !== undefined) {
    return { file, line, col, path: formatPath(path), message: `duplicate key "${String(last)}" (keys in a mapping must be unique)` }
  }
  return { file, line, col, path: '', message: `YAML syntax error: ${first}` }
}

/**
 * Safety net behind the per-path redaction: no message may contain a resolved secret value,
 * even one a check quoted by accident. Very short values are skipped (they would mangle text).
 */
function scrub(issue: ConfigIssue, secretValues: Set<string>): ConfigIssue {
  let message = issue.message
  for (const value of secretValues) if (value.length >= 4) message = message.split(value).join('[redacted]')
  return message === issue.message ? issue : { ...issue, message }
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>()
  return issues
    .filter((i) => {
      const key = `${i.line}:${i.col}:${i.path}:${i.message}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    .sort((a, b) => a.line - b.line || a.col - b.col || a.path.localeCompare(b.path))
}
