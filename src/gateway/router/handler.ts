/**
 * The fastify handler of one compiled route: the whole request lifecycle in one function, no
 * fastify hooks (each hook is a per-request cost on every route). It takes the response over
 * (`reply.hijack()`), runs the route's steps in order — awaiting only those that return a
 * promise — then its action, and turns anything thrown into a problem answer.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { OutgoingHttpHeaders } from 'node:http'
import { SwitchboardError } from '../../core/errors.js'
import { gatewayTraceContext, gatewayTracing, publishRequest, startTimer } from '../diagnostics.js'
import { Exchange, type Step } from '../exchange.js'
import { writeProblem } from '../problem.js'
import { requestIdFor } from '../request-id.js'

/** What a route does after its steps; resolves with the status sent. */
export type Action = (x: Exchange) => Promise<number>

export interface RouteProgram {
  id: string
  /** The route's path template (`/orders/:id`): the trace's `http.route`. */
  path: string
  steps: readonly Step[]
  action: Action
  /** Headers on every answer of the route (deprecation), or undefined. */
  staticHeaders: OutgoingHttpHeaders | undefined
  /** The route's `limits.timeout`, or undefined. */
  timeoutMs: number | undefined
  /** Shared by every route of a gateway; `closing` is set when it starts draining. */
  gate: { closing: boolean }
  /** Told about unexpected errors (answered 500 SB_ERR_HTTP_INTERNAL) — never about refusals. */
  onInternalError: ((err: unknown, routeId: string, requestId: string) => void) | undefined
}

const shuttingDown = (): SwitchboardError => new SwitchboardError('SB_ERR_GATEWAY_SHUTTING_DOWN', 'this gateway node is shutting down; retry')

async function run(p: RouteProgram, x: Exchange): Promise<void> {
  let status: number
  let errorCode: string | null = null
  let timer: NodeJS.Timeout | undefined
  if (p.gate.closing) {
    // Draining: refuse new work (problem+json, unlike fastify's own 503) and close the connection.
    x.headers.connection = 'close'
    const answered = writeProblem(x.res, shuttingDown(), x.headers, x.requestId)
    done(p, x, answered.status, answered.code)
    return
  }
  if (p.timeoutMs !== undefined) {
    const ac = new AbortController()
    x.signal = ac.signal
    timer = setTimeout(() => ac.abort(), p.timeoutMs)
  }
  try {
    const steps = p.steps
    for (let i = 0; i < steps.length; i++) {
      const r = (steps[i] as Step)(x)
      if (r !== undefined) await r
    }
    status = await p.action(x)
  } catch (err) {
    const answered = writeProblem(x.res, err, x.headers, x.requestId)
    status = answered.status
    errorCode = answered.code
    if (errorCode === 'SB_ERR_HTTP_INTERNAL') p.onInternalError?.(err, p.id, x.requestId)
  } finally {
    if (timer !== undefined) clearTimeout(timer)
  }
  done(p, x, status, errorCode)
}

/** The request is answered: tell the metrics, and the tracer through the trace context. */
function done(p: RouteProgram, x: Exchange, status: number, errorCode: string | null): void {
  const t = x.trace
  // Only a context a tracer took a handle in wants its end (an unsampled request's does not).
  if (t !== undefined && t.span !== undefined) {
    t.status = status
    t.errorCode = errorCode
    gatewayTracing.asyncEnd.publish(t)
  }
  publishRequest(p.id, x.req.method as string, status, x.consumerLabel, x.startedAt, errorCode)
}

/** The fastify handler for `program`. */
export function routeHandler(p: RouteProgram): (request: FastifyRequest, reply: FastifyReply) => void {
  const staticHeaders = p.staticHeaders
  return (request, reply) => {
    reply.hijack()
    const req = request.raw
    const x = new Exchange(
      p.id,
      req,
      reply.raw,
      request.params as Record<string, string | undefined>,
      request.query as Record<string, unknown>,
      requestIdFor(req.headers['x-request-id']),
      startTimer(),
    )
    if (staticHeaders !== undefined) Object.assign(x.headers, staticHeaders)
    // Published by hand, not with tracePromise: no closures or extra promise per request.
    if (gatewayTracing.hasSubscribers) gatewayTracing.start.publish((x.trace = gatewayTraceContext(p.id, p.path, req, x.requestId)))
    void run(p, x)
  }
}
