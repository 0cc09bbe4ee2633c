/**
 * JSONata expressions of flows and pollers: compiled once when the config loads, evaluated per
 * event under guardrails. jsonata 2's `evaluate` is async but runs on microtasks, so a
 * `setTimeout` race would never fire while it spins; the time bound therefore uses jsonata's own
 * guardrails (checked at every evaluation step), together with a recursion-depth and a
 * sequence-length cap so a hostile event cannot exhaust memory.
 *
 * An evaluation failure is a {@link NonRetryableError} with code SB_ERR_FLOW_EXPRESSION: the
 * same expression on the same event would fail the same way on every retry. Running past the
 * time budget is the exception (SB_ERR_FLOW_EXPRESSION_TIMEOUT, retryable): the budget is wall
 * clock, so a process paused mid-evaluation (CPU starvation, a cgroup throttle, a long GC) or
 * busy with other evaluations interleaved on the same microtask queue exhausts it as surely
 * as a runaway expression does. Dead-lettering on it would drop healthy deliveries into the
 * DLQ whenever the machine is overloaded; a real runaway still ends dead, after its attempts.
 */
import jsonata from 'jsonata'
import { NonRetryableError, SwitchboardError } from '../core/errors.js'

/** Guardrails applied to every evaluation. */
export interface ExpressionLimits {
  /** Wall-clock budget of one evaluation (default 250 ms). */
  timeoutMs?: number
  /** Maximum evaluation depth (default 400): stops runaway recursion before the JS stack does. */
  maxDepth?: number
  /** Maximum length of one sequence (default 100 000 items). */
  maxSequence?: number
}

export const DEFAULT_EXPRESSION_LIMITS: Required<ExpressionLimits> = { timeoutMs: 250, maxDepth: 400, maxSequence: 100_000 }

/** A compiled expression. `where` names it in errors (`flows[2].transform`). */
export interface CompiledExpression {
  readonly source: string
  readonly where: string
  /** Evaluate against `input` with `$name` bindings; rejects with SB_ERR_FLOW_EXPRESSION(_TIMEOUT). */
  evaluate(input: unknown, bindings?: Record<string, unknown>): Promise<unknown>
}

/** jsonata's "Evaluation timeout after N milliseconds" guardrail. */
const TIMEOUT_CODE = 'D1012'

/** The shape of errors jsonata throws (plain objects, not always `Error`s). */
interface JsonataFailure {
  code?: unknown
  message?: unknown
  position?: unknown
  token?: unknown
}

function describe(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as JsonataFailure
  const message = typeof e.message === 'string' ? e.message : String(err)
  const code = typeof e.code === 'string' ? ` [${e.code}]` : ''
  const at = typeof e.position === 'number' ? ` at position ${e.position}` : ''
  return `${message}${code}${at}`
}

/**
 * Compile `source`. A syntax error throws SB_ERR_CONFIG_INVALID naming `where` and the position,
 * so it surfaces at load (`switchboard validate`), never on the first event.
 */
export function compileExpression(source: string, where: string, limits: ExpressionLimits = {}): CompiledExpression {
  const l = { ...DEFAULT_EXPRESSION_LIMITS, ...limits }
  let expr: jsonata.Expression
  try {
    expr = jsonata(source, { timeout: l.timeoutMs, stack: l.maxDepth, sequence: l.maxSequence })
  } catch (err) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: invalid JSONata expression: ${describe(err)}`, { cause: err })
  }
  return {
    source,
    where,
    async evaluate(input, bindings) {
      try {
        return normalise(await expr.evaluate(input, bindings))
      } catch (err) {
        if ((err as JsonataFailure | null)?.code === TIMEOUT_CODE) {
          throw new SwitchboardError('SB_ERR_FLOW_EXPRESSION_TIMEOUT', `${where}: ${describe(err)}`, { cause: err })
        }
        // A RangeError is the JS stack giving out before jsonata's depth guard: same verdict.
        throw new NonRetryableError('SB_ERR_FLOW_EXPRESSION', `${where}: ${describe(err)}`, { cause: err })
      }
    },
  }
}

/**
 * jsonata returns internal "sequence" arrays carrying extra properties; copy them into plain
 * values so results serialise and compare like ordinary JSON.
 */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = normalise(v)
    return out
  }
  if (typeof value === 'function') return undefined
  return value
}

/**
 * JSONata's boolean casting (`$boolean`): a filter passes when its result is truthy by
 * JSONata's rules — `undefined` (no match), `false`, `0`, `""`, empty arrays and empty objects
 * are false. Arrays are true when any member is.
 */
export function jsonataTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false
  if (Array.isArray(value)) return value.some(jsonataTruthy)
  if (typeof value === 'object') return Object.keys(value).length > 0
  if (typeof value === 'string') return value.length > 0
  if (typeof value === 'number') return value !== 0
  return value === true
}
