/**
 * Limits every Switchboard HTTP server applies to its clients (slowloris and oversized-head
 * guards), as options for node's http server and fastify. Shared by the admin API, the gateway
 * and mock systems.
 */
import type { ServerOptions } from 'node:http'
import { durationMs } from './duration.js'
import { handleClientError } from './http-problem.js'

export interface HttpLimits {
  /** Time allowed to receive the request head. */
  headersTimeoutMs: number
  /** Time allowed to receive the whole request. */
  requestTimeoutMs: number
  /** Largest request head in bytes. */
  maxHeaderSize: number
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: number
  /**
   * How often node checks the two timeouts above. Node's default is 30 s, which lets a slow
   * client hold a socket up to 30 s past `headersTimeout`; 1 s keeps the cut-off prompt.
   */
  connectionsCheckingIntervalMs: number
  /** Largest request body in bytes. */
  bodyLimit: number
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxHeaderSize: 16_384,
  keepAliveTimeoutMs: 72_000,
  connectionsCheckingIntervalMs: 1_000,
  bodyLimit: 1_048_576,
})

/** The `server:` block of the config, structurally (core does not import the config spec). */
export interface ServerLimitsConfig {
  headersTimeout?: string | number | undefined
  requestTimeout?: string | number | undefined
  maxHeaderSize?: number | undefined
}

export function httpLimitsFromConfig(server: ServerLimitsConfig | undefined, overrides: Partial<HttpLimits> = {}): HttpLimits {
  return {
    ...DEFAULT_HTTP_LIMITS,
    ...(server?.headersTimeout !== undefined ? { headersTimeoutMs: durationMs(server.headersTimeout) } : {}),
    ...(server?.requestTimeout !== undefined ? { requestTimeoutMs: durationMs(server.requestTimeout) } : {}),
    ...(server?.maxHeaderSize !== undefined ? { maxHeaderSize: server.maxHeaderSize } : {}),
    ...overrides,
  }
}

/** Options for `Fastify({...})` that install the limits and problem+json parser errors. */
export function fastifyServerOptions(limits: HttpLimits): {
  http: ServerOptions
  requestTimeout: number
  keepAliveTimeout: number
  bodyLimit: number
  return503OnClosing: false
  clientErrorHandler: typeof handleClientError
} {
  // Node refuses headersTimeout > requestTimeout (when the latter is set).
  const requestTimeout = limits.requestTimeoutMs
  const headersTimeout = requestTimeout > 0 ? Math.min(limits.headersTimeoutMs, requestTimeout) : limits.headersTimeoutMs
  return {
    http: {
      headersTimeout,
      requestTimeout,
      maxHeaderSize: limits.maxHeaderSize,
      connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
    },
    requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    bodyLimit: limits.bodyLimit,
    // During a graceful drain, requests on open keep-alive connections are still served
    // (with Connection: close) rather than answered with fastify's non-problem 503.
    return503OnClosing: false,
    clientErrorHandler: handleClientError,
  }
}

/** The parts of a fastify instance {@link closeGracefully} needs. */
export interface ClosableServer {
  close(): PromiseLike<unknown>
  server: { closeIdleConnections(): void; closeAllConnections(): void }
}

/**
 * Graceful close: stop accepting, let in-flight requests finish, and close each keep-alive
 * connection as soon as its last response is sent (otherwise an idle client would hold the
 * close open until the keep-alive timeout). After `timeoutMs`, every connection is cut.
 */
export async function closeGracefully(app: ClosableServer, timeoutMs: number): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 50)
  const deadline = setTimeout(() => app.server.closeAllConnections(), timeoutMs)
  sweep.unref()
  deadline.unref()
  try {
    await app.close()
  } finally {
    clearInterval(sweep)
    clearTimeout(deadline)
  }
}
