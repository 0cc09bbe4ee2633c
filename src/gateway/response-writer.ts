/**
 * The {@link ResponseSink} of a transparent proxy route: writes the system's answer straight into
 * the client's response as it arrives — head (hop-by-hop headers dropped, the route's header ops
 * and the gateway's own headers applied), then each body chunk with back-pressure. No stream
 * sits in between, which is most of what makes the plain proxy path cheap.
 *
 * If the client leaves mid-answer, the call is aborted so the upstream connection is released at
 * once; a failure after the head can only be signalled by cutting the connection (proxy.ts).
 */
import type { ServerResponse } from 'node:http'
import type { ResponseSink, StreamControl } from '../systems/index.js'
import type { Exchange } from './exchange.js'
import type { HeaderOps } from './policies/headers.js'
import { downstreamHeadersFromRaw, mergeGatewayHeaders } from './proxy-headers.js'

/** The reason a call is aborted with when the client went away (never shown to anyone). */
const CLIENT_GONE = new Error('the gateway client closed the connection')

/** Where the response's listeners find their writer: shared listeners, no closure per request. */
const WRITER = Symbol('switchboard.responseWriter')
type WithWriter = ServerResponse & { [WRITER]?: ResponseWriter }

function onResponseClose(this: WithWriter): void {
  this[WRITER]?.clientClosed()
}

function onResponseDrain(this: WithWriter): void {
  this[WRITER]?.control?.resume()
}

export class ResponseWriter implements ResponseSink {
  /** Status of the answer being forwarded; 0 while nothing reached the client. */
  status = 0
  control: StreamControl | null = null
  readonly #x: Exchange
  readonly #headerOps: HeaderOps | undefined
  #ended = false
  /** Body bytes still to come when the length is known, else -1. */
  #remaining = -1

  constructor(x: Exchange, headerOps: HeaderOps | undefined) {
    this.#x = x
    this.#headerOps = headerOps
  }

  onHead(statusCode: number, rawHeaders: readonly Buffer[], control: StreamControl): void {
    const x = this.#x
    const res = x.res as WithWriter
    if (res.destroyed) {
      // The client left while the system was answering: release the upstream connection now.
      this.status = statusCode
      control.abort(CLIENT_GONE)
      return
    }
    const headers = downstreamHeadersFromRaw(rawHeaders)
    const length = headers['content-length']
    this.#headerOps?.(headers)
    mergeGatewayHeaders(headers, x)
    res.writeHead(statusCode, headers)
    if (typeof length === 'string') this.#remaining = Number(length)
    // Only now: a head that could not be written still gets a problem answer (proxy.ts).
    this.status = statusCode
    this.control = control
    res[WRITER] = this
    // 'close' fires when the response is done as well; only a close before the end matters.
    res.on('close', onResponseClose)
  }

  onData(chunk: Buffer): boolean {
    const res = this.#x.res
    if (this.#remaining > 0) {
      this.#remaining -= chunk.length
      if (this.#remaining === 0) {
        // The last bytes (often the only chunk): one end() instead of write() + end() saves
        // Node a cork/uncork round and a tick per response.
        this.#ended = true
        res.end(chunk)
        return true
      }
    }
    if (res.write(chunk)) return true
    if (res.destroyed) return false // 'close' follows and aborts the call
    res.once('drain', onResponseDrain)
    return false
  }

  onEnd(): void {
    if (this.#ended) return
    this.#ended = true
    this.#x.res.end()
  }

  /** The client's connection closed; before the end that means it left. */
  clientClosed(): void {
    if (!this.#ended) this.control?.abort(CLIENT_GONE)
  }
}
