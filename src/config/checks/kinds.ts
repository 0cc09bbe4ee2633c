/**
 * Checks driven by the spec's `x-kind` annotations, wherever the field sits: JSONata
 * expressions must compile (the error points inside the expression), URLs must be absolute
 * http(s), and in production secrets must be references.
 */
import jsonata from 'jsonata'
import { ConfigSpec } from '../spec/root.js'
import { walkSchema } from '../schema-walk.js'
import { shown, type CheckContext } from './context.js'

export function checkKinds(ctx: CheckContext): void {
  const production = ctx.config.mode === 'production'
  walkSchema(ConfigSpec, ctx.config, (schema, value, path) => {
    if (typeof value !== 'string') return
    // Secrets belong outside the file; in production a literal one is refused (never echoed).
    if (production && schema['x-kind'] === 'secret' && ctx.secret(path) === undefined) {
      ctx.report({ path, message: 'a literal secret is not allowed in production mode: use ${env:NAME} or ${file:path}' })
    }
    if (schema['x-kind'] === 'jsonata') {
      const problem = jsonataProblem(value)
      if (!problem) return
      // A secret-derived expression is not echoed, nor are the tokens JSONata quotes from it.
      if (ctx.secret(path) !== undefined) ctx.report({ path, message: `invalid JSONata expression in ${shown(ctx, path, value)}` })
      else ctx.report({ path, offset: Math.max(0, problem.position - 1), message: `invalid JSONata at position ${problem.position}: ${problem.message}` })
    }
    if (schema['x-kind'] === 'url' && !isHttpUrl(value)) {
      ctx.report({ path, message: `expected an absolute http(s) URL like https://api.example.com, found ${shown(ctx, path, value)}` })
    }
  })
}

/** JSONata's syntax error (position is 1-based, at or just after the offending token). */
export function jsonataProblem(expression: string): { position: number; message: string } | undefined {
  try {
    jsonata(expression)
    return undefined
  } catch (err) {
    const e = err as { position?: unknown; message?: unknown; code?: unknown }
    const position = typeof e.position === 'number' ? e.position : 0
    const message = typeof e.message === 'string' ? e.message : 'syntax error'
    return { position, message: typeof e.code === 'string' ? `${message} (${e.code})` : message }
  }
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
  } catch {
    return false
  }
}
