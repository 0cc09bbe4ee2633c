/**
 * Decides what a mock system answers: the first of `mock.responses` whose method, path and
 * `when` match, else (when enabled) an example from the system's OpenAPI document, else nothing
 * (the server answers 404 SB_ERR_SYSTEM_MOCK_NO_MATCH). Expressions are compiled once, here.
 */
import jsonata from 'jsonata'
import { SwitchboardError } from '../../core/errors.js'
import { durationMs } from '../../core/duration.js'
import type { MockConfig } from '../../config/spec/system.js'
import { compilePathPattern, type PathMatcher, type PathParams } from './path-pattern.js'
import type { ExampleResponder } from './openapi-examples.js'

/** What a `when` or `template` expression sees. */
export interface MockRequest {
  method: string
  path: string
  params: PathParams
  query: Record<string, unknown>
  headers: Record<string, string>
  body: unknown
}

export interface MockReply {
  status: number
  headers: Record<string, string>
  /** `undefined` for an empty body. Strings are sent as-is; anything else as JSON. */
  body: unknown
  delayMs: number
  matched: number | 'openapi'
}

export type MockResponder = (req: Omit<MockRequest, 'params'>) => Promise<MockReply | undefined>

interface CompiledResponse {
  index: number
  method: string
  match: PathMatcher
  when: jsonata.Expression | undefined
  template: jsonata.Expression | undefined
  status: number
  headers: Record<string, string>
  body: unknown
  delayMs: number
}

/**
 * Compiles a system's mock config. `label` is the config path (`systems.crm.mock`) used in
 * error messages; an expression that does not compile is a config error.
 */
export function createMockResponder(label: string, mock: MockConfig, examples?: ExampleResponder): MockResponder {
  const compiled: CompiledResponse[] = (mock.responses ?? []).map((r, index) => ({
    index,
    method: (r.method ?? '*').toUpperCase(),
    match: compilePathPattern(r.path),
    when: r.when === undefined ? undefined : compile(`${label}.responses[${index}].when`, r.when),
    template: r.template === undefined ? undefined : compile(`${label}.responses[${index}].template`, r.template),
    status: r.status ?? 200,
    headers: r.headers ?? {},
    body: r.body,
    delayMs: r.delay === undefined ? 0 : durationMs(r.delay),
  }))
  const useExamples = examples !== undefined && mock.openapiExamples !== false

  return async (req) => {
    for (const r of compiled) {
      if (r.method !== '*' && r.method !== req.method && !(r.method === 'GET' && req.method === 'HEAD')) continue
      const params = r.match(req.path)
      if (!params) continue
      const input: MockRequest = { ...req, params }
      if (r.when && !(await evaluate(`${label}.responses[${r.index}].when`, r.when, input))) continue
      const body = r.template ? await evaluate(`${label}.responses[${r.index}].template`, r.template, input) : r.body
      return { status: r.status, headers: r.headers, body, delayMs: r.delayMs, matched: r.index }
    }
    if (useExamples) {
      const ex = examples(req.method === 'HEAD' ? 'GET' : req.method, req.path)
      if (ex) return { status: ex.status, headers: { 'content-type': ex.contentType }, body: ex.body, delayMs: 0, matched: 'openapi' }
    }
    return undefined
  }
}

function compile(label: string, source: string): jsonata.Expression {
  try {
    return jsonata(source)
  } catch (err) {
    const e = err as { message?: string; position?: number }
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${label}: invalid JSONata at position ${e.position ?? '?'}: ${e.message ?? String(err)}`, { cause: err })
  }
}

async function evaluate(label: string, expr: jsonata.Expression, input: MockRequest): Promise<unknown> {
  try {
    return await expr.evaluate(input)
  } catch (err) {
    // A mock is a development tool: say exactly which expression failed and why.
    const e = err as { message?: string }
    throw new SwitchboardError('SB_ERR_HTTP_INTERNAL', `${label} failed: ${e.message ?? String(err)}`, { cause: err })
  }
}
