/**
 * Secret references inside string values: `${env:NAME}` and `${file:path}` (relative to the
 * config file's directory), alone or mixed with text (`Bearer ${env:TOKEN}`). `$${` writes a
 * literal `${`. Resolved values are kept out of every message: findings name the reference,
 * never what it resolved to, and the loader uses {@link SecretResolution.secretPaths} to redact.
 */
import { readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Finding } from './issues.js'
import { isRecord, pathKey, type Segment } from './paths.js'

/** Largest secret file read (certificates and PEM keys fit easily). */
const MAX_SECRET_FILE_BYTES = 1_048_576
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export interface SecretContext {
  /** Directory `${file:…}` paths are relative to. */
  dir: string
  env: Record<string, string | undefined>
}

export interface SecretResolution {
  /** A copy of the input with references replaced by their values and `$${` unescaped. */
  value: unknown
  /** Every string that held a reference: path key → the string as written (safe to show). */
  secretPaths: Map<string, string>
  findings: Finding[]
  /** The resolved secret values themselves, so the loader can make sure no message contains one. */
  values: Set<string>
}

type Part = { text: string } | { ref: string; kind: string; arg: string; index: number }

/** Splits a string into literal text and references; malformed references become findings. */
export function parseReferences(s: string, path: Segment[], findings: Finding[]): Part[] {
  const parts: Part[] = []
  let text = ''
  let i = 0
  while (i < s.length) {
    if (s.startsWith('$${', i)) {
      text += '${'
      i += 3
      continue
    }
    if (!s.startsWith('${', i)) {
      text += s[i]
      i += 1
      continue
    }
    const close = s.indexOf('}', i)
    if (close < 0) {
      findings.push({ path, offset: i, message: `unterminated reference "${s.slice(i, i + 20)}" (write $\${ for a literal \${)` })
      return parts
    }
    const ref = s.slice(i, close + 1)
    const m = /^\$\{(env|file):([^}]*)\}$/.exec(ref)
    if (!m || m[2] === '' || (m[1] === 'env' && !ENV_NAME.test(m[2] ?? ''))) {
      findings.push({ path, offset: i, message: `invalid reference "${ref}" (expected \${env:NAME} or \${file:path}; write $\${ for a literal \${)` })
    } else {
      if (text) parts.push({ text })
      text = ''
      parts.push({ ref, kind: m[1] ?? '', arg: m[2] ?? '', index: i })
    }
    i = close + 1
  }
  if (text) parts.push({ text })
  return parts
}

/** Resolves every reference in `source` (a parsed YAML tree). */
export function resolveSecrets(source: unknown, ctx: SecretContext): SecretResolution {
  const secretPaths = new Map<string, string>()
  const findings: Finding[] = []
  const values = new Set<string>()

  const visit = (node: unknown, path: Segment[]): unknown => {
    if (typeof node === 'string') {
      if (!node.includes('${')) return node
      const parts = parseReferences(node, path, findings)
      let out = ''
      let secret = false
      for (const part of parts) {
        if ('text' in part) {
          out += part.text
          continue
        }
        secret = true
        const value = lookup(part, ctx, path, findings)
        if (value !== undefined) values.add(value)
        out += value ?? ''
      }
      if (secret) secretPaths.set(pathKey(path), node)
      return out
    }
    if (Array.isArray(node)) return node.map((item, i) => visit(item, [...path, i]))
    if (isRecord(node)) {
      const out: Record<string, unknown> = {}
      // defineProperty, not assignment: a `__proto__` key must stay a key (and be reported as
      // unknown), not become the object's prototype.
      for (const [k, v] of Object.entries(node)) Object.defineProperty(out, k, { value: visit(v, [...path, k]), enumerable: true, writable: true, configurable: true })
      return out
    }
    return node
  }

  return { value: visit(source, []), secretPaths, findings, values }
}

function lookup(part: { ref: string; kind: string; arg: string; index: number }, ctx: SecretContext, path: Segment[], findings: Finding[]): string | undefined {
  const missing = (why: string) => {
    findings.push({ path, offset: part.index, code: 'SB_ERR_CONFIG_SECRET_MISSING', message: `secret ${part.ref}: ${why}` })
    return undefined
  }
  if (part.kind === 'env') {
    const value = ctx.env[part.arg]
    if (value === undefined) return missing(`environment variable ${part.arg} is not set`)
    if (value === '') return missing(`environment variable ${part.arg} is empty`)
    return value
  }
  const file = resolve(ctx.dir, part.arg)
  try {
    const size = statSync(file).size
    if (size > MAX_SECRET_FILE_BYTES) return missing(`file is larger than ${MAX_SECRET_FILE_BYTES} bytes (${file})`)
    // Secret files usually end with a newline that is not part of the secret.
    const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
    if (value === '') return missing(`file is empty (${file})`)
    return value
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return missing(code === 'ENOENT' ? `file does not exist (looked for ${file})` : `file cannot be read: ${code ?? 'error'} (${file})`)
  }
}
