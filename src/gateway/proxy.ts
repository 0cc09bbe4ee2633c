/**
 * The proxy action: forward the request to a system through its SystemClient (pool, auth,
 * timeouts, circuit breaker) and send the answer back. Transparent by default — status, headers
 * and body pass through, streaming both ways — unless the route shapes the response
 * (response-plan.ts), which then buffers it.
 *
 * Failures before a response are thrown as SwitchboardErrors and answered as problems by the
 * route handler: circuit open 503 + Retry-After, unreachable 502, timeout 504.
 */
import type { ServerResponse } from 'node:http'
import { Transform, type Readable } from 'node:stream'
import { SwitchboardError } from '../core/errors.js'
import type { SystemCallOptions, SystemClient, SystemResponse } from '../systems/index.js'
import { bodyTooLarge } from './body.js'
import type { Exchange } from './exchange.js'
import { hasRequestBody } from './policies/limits.js'
import type { CredentialHider } from './policies/credentials.js'
import type { HeaderOps } from './policies/headers.js'
import { downstreamResponseHeaders, mergeGatewayHeaders, upstreamRequestHeaders } from './proxy-headers.js'
import type { ResponsePlan } from './response-plan.js'
import { ResponseWriter } from './response-writer.js'
import type { UpstreamPathBuilder } from './router/upstream-path.js'

export interface ProxyOptions {
  client: SystemClient
  /** Fixed upstream method (`proxy.method`); the request's when undefined. */
  method: string | undefined
  path: UpstreamPathBuilder
  timeoutMs: number | undefined
  bodyLimit: number
  requestHeaders: HeaderOps | undefined
  /** Drops gateway credentials (API keys) before forwarding. */
  hideCredentials: CredentialHider | undefined
  /** Response shaping (header ops, transform, field lists); undefined streams the answer as is. */
  response: ResponsePlan | undefined
}

/** Upstream statuses whose response has no body to shape. */
function bodiless(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)
}

/** A body stream that fails once more than `limit` bytes went through (chunked uploads). */
class LimitedBody extends Transform {
  /** Set when the upload went over the limit (the call then fails with that). */
  exceeded = false
  #seen = 0
  readonly #limit: number

  constructor(source: Readable, limit: number) {
    super()
    this.#limit = limit
    source.pipe(this)
    source.once('error', (err) => this.destroy(err))
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.#seen += chunk.length
    if (this.#seen > this.#limit) {
      this.exceeded = true
      done(bodyTooLarge(this.#limit))
      return
    }
    done(null, chunk)
  }
}

/**
 * Destroys an upstream body nobody will read. Destroying emits 'error' (undici's
 * RequestAbortedError), which would be an uncaught exception without a listener.
 */
export function discardBody(body: Readable): void {
  body.on('error', ignore)
  body.destroy()
}

function ignore(): void {}

/**
 * Copies `body` into `res` with back-pressure; resolves when done. Lighter than
 * `stream.pipeline` (no AbortController or end-of-stream watchers per response), which shows
 * in profiles of the hot path. An error on either side destroys both: once the head is sent, a
 * cut connection is the only honest signal left.
 */
function pipeBody(body: Readable, res: ServerResponse): Promise<void> {
  if (res.destroyed) {
    // The client left while the system was answering: release the upstream connection now.
    discardBody(body)
    return Promise.resolve()
  }
  return new Promise((resolve) => {
    let finished = false
    const finish = (): void => {
      if (finished) return
      finished = true
      res.off('close', onClose)
      res.off('drain', onDrain)
      resolve()
    }
    const onDrain = (): void => {
      body.resume()
    }
    const onClose = (): void => {
      // The client went away before the end: stop reading from the system.
      if (!body.readableEnded) discardBody(body)
      finish()
    }
    body.on('data', (chunk: Buffer) => {
      if (!res.write(chunk)) body.pause()
    })
    body.once('end', () => {
      res.end()
      finish()
    })
    body.on('error', () => {
      res.destroy()
      finish()
    })
    res.on('drain', onDrain)
    res.once('close', onClose)
  })
}

/** Writes the upstream response through unchanged (streaming); resolves when done. */
export async function streamResponse(x: Exchange, upstream: SystemResponse, headerOps: HeaderOps | undefined): Promise<number> {
  const headers = downstreamResponseHeaders(upstream.headers)
  headerOps?.(headers)
  mergeGatewayHeaders(headers, x)
  const status = upstream.statusCode
  x.res.writeHead(status, headers)
  await pipeBody(upstream.body, x.res)
  return status
}

/** The error to answer for a call that failed before the system's head arrived. */
function upstreamFailure(x: Exchange, err: unknown, body: unknown, bodyLimit: number): unknown {
  if (body instanceof LimitedBody && body.exceeded) {
    x.headers.connection = 'close'
    return bodyTooLarge(bodyLimit)
  }
  if (x.signal?.aborted) return new SwitchboardError('SB_ERR_SYSTEM_TIMEOUT', 'the route deadline passed before the system answered', { cause: err })
  return err
}

/** Compiles the proxy action of a route. */
export function proxyAction(o: ProxyOptions): (x: Exchange) => Promise<number> {
  const { client, path, timeoutMs, bodyLimit, requestHeaders, hideCredentials, response } = o
  return async (x) => {
    const req = x.req
    const method = o.method ?? (req.method as string)
    const base = path(x.params, x.rawPath)

    let body: Buffer | string | Readable | null = null
    if (x.bodyReplaced) body = x.body === undefined ? null : JSON.stringify(x.body)
    else if (x.rawBody !== undefined) body = x.rawBody
    else if (hasRequestBody(req)) {
      // A declared length was checked already; chunked uploads are counted as they stream.
      body = req.headers['content-length'] !== undefined ? req : new LimitedBody(req, bodyLimit)
    }

    const headers = upstreamRequestHeaders(req, x.requestId, body === req, hideCredentials?.headers)
    const query = hideCredentials === undefined ? x.rawQuery : hideCredentials.query(x.rawQuery)
    // Traced: the request's span, not the caller's, is the upstream's parent (route header ops still win).
    if (x.trace?.traceparent !== undefined) headers.traceparent = x.trace.traceparent
    requestHeaders?.(headers)
    if (response?.buffers) headers['accept-encoding'] = 'identity'

    const call: SystemCallOptions = { method, path: base + query, headers, body, timeoutMs, signal: x.signal }
    if (response?.buffers !== true) {
      // Transparent: the answer is written into the client's response as it arrives.
      const writer = new ResponseWriter(x, response?.headers)
      try {
        await client.stream(call, writer)
      } catch (err) {
        // Once the head is out, cutting the connection is the only honest signal left.
        if (writer.status !== 0) {
          x.res.destroy()
          return writer.status
        }
        throw upstreamFailure(x, err, body, bodyLimit)
      }
      return writer.status
    }

    let upstream: SystemResponse
    try {
      upstream = await client.request(call)
    } catch (err) {
      throw upstreamFailure(x, err, body, bodyLimit)
    }
    if (bodiless(method, upstream.statusCode)) return streamResponse(x, upstream, response.headers)
    return response.send(x, upstream)
  }
}
