/**
 * One request on its way through a route: what the policies learn about it (who calls, the
 * body once read) and the headers every answer to it must carry, success or problem alike
 * (request id, rate-limit state, CORS, deprecation). Policies read and write this object instead
 * of fastify's request, which keeps them small and testable without a server.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Principal } from './auth/policy.js'
import type { GatewayTraceContext } from './diagnostics.js'

/** A policy step before the route's action; throws a SwitchboardError to reject. */
export type Step = (x: Exchange) => void | Promise<void>

export class Exchange {
  /** Who is calling; undefined until auth ran (and stays so on routes without auth). */
  principal: Principal | undefined = undefined
  /** Raw body bytes, when the route buffers the body. */
  rawBody: Buffer | undefined = undefined
  /** Parsed JSON body, when the route parses it (after `request.transform` when there is one). */
  body: unknown = undefined
  /** True once {@link body} holds the parsed (or transformed) JSON that replaces the raw body. */
  bodyReplaced = false
  /** Headers added to whatever answer this request gets (policies append; never hop-by-hop). */
  readonly headers: OutgoingHttpHeaders
  /** Aborted when the route's `limits.timeout` passes. */
  signal: AbortSignal | undefined = undefined
  /** Set only while a tracer listens (diagnostics.ts): carries the request span's `traceparent`. */
  trace: GatewayTraceContext | undefined = undefined

  constructor(
    readonly routeId: string,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly params: Readonly<Record<string, string | undefined>>,
    readonly query: Readonly<Record<string, unknown>>,
    readonly requestId: string,
    /** `performance.now()` at arrival, or 0 when nobody measures (no diagnostics subscriber). */
    readonly startedAt: number,
  ) {
    this.headers = { 'x-request-id': requestId }
  }

  /** The consumer name for metrics and quotas: the principal's consumer, else `anonymous`. */
  get consumerLabel(): string {
    return this.principal?.consumer ?? 'anonymous'
  }

  /** The client address as the socket sees it (the gateway trusts no forwarded header). */
  get clientIp(): string {
    return this.req.socket.remoteAddress ?? ''
  }

  /** The request path without the query string, still percent-encoded. */
  get rawPath(): string {
    const url = this.req.url ?? '/'
    const q = url.indexOf('?')
    return q === -1 ? url : url.slice(0, q)
  }

  /** The raw query string including its `?`, or ''. Passed through to the upstream untouched. */
  get rawQuery(): string {
    const url = this.req.url ?? ''
    const q = url.indexOf('?')
    return q === -1 ? '' : url.slice(q)
  }
}
