/**
 * JSONata body transforms (`request.transform`, `response.transform`), compiled once at boot
 * under the same guardrails as flow expressions (time budget, depth, sequence length). A failure
 * is this route's problem, not the caller's: 500 for a request transform, 502 for a response
 * transform (the upstream answered something the route cannot shape), both with code
 * SB_ERR_GATEWAY_TRANSFORM_FAILED.
 */
import { SwitchboardError } from '../../core/errors.js'
import { compileExpression, type CompiledExpression } from '../../flows/expressions.js'

/** Gateway transforms answer a live client: a tighter budget than flows. */
const GATEWAY_TRANSFORM_TIMEOUT_MS = 100

export interface BodyTransform {
  /** Evaluates over `input` with `$name` bindings; rejects with SB_ERR_GATEWAY_TRANSFORM_FAILED. */
  apply(input: unknown, bindings: Record<string, unknown>): Promise<unknown>
}

/** Compiles a transform; a syntax error throws SB_ERR_CONFIG_INVALID naming `where`. */
export function compileTransform(source: string, side: 'request' | 'response', where: string): BodyTransform {
  const expr: CompiledExpression = compileExpression(source, where, { timeoutMs: GATEWAY_TRANSFORM_TIMEOUT_MS })
  const status = side === 'request' ? 500 : 502
  return {
    async apply(input, bindings) {
      try {
        return await expr.evaluate(input, bindings)
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err)
        throw new SwitchboardError('SB_ERR_GATEWAY_TRANSFORM_FAILED', `${side} transform failed: ${why}`, { status, cause: err })
      }
    },
  }
}
