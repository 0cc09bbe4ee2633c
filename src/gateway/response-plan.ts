/**
 * Response shaping of a proxy route (`response:`): header ops always; and when the route has a
 * `transform` or field lists, the body is buffered (up to `limits.responseBody`), parsed,
 * transformed (2xx answers only — errors keep their shape), filtered by `allow`/`deny` (every
 * answer, errors included: an error body can leak too) and re-serialised with a new
 * Content-Length. It fails closed: a body it cannot read as plain JSON — another media type,
 * compressed, malformed, too large — is answered 502 instead of being passed on unfiltered.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { SwitchboardError } from '../core/errors.js'
import type { ResponseOptionsConfig } from '../config/spec/route.js'
import type { SystemResponse } from '../systems/index.js'
import { depthExceededAt, isJsonContentType, readBody } from './body.js'
import type { Exchange } from './exchange.js'
import { compileFieldFilter, type FieldFilter } from './policies/fields.js'
import { compileHeaderOps, type HeaderOps } from './policies/headers.js'
import { compileTransform, type BodyTransform } from './policies/transform.js'
import { discardBody } from './proxy.js'
import { downstreamResponseHeaders, mergeGatewayHeaders } from './proxy-headers.js'

/** Deep enough for any sane API, shallow enough that filtering cannot exhaust the stack. */
const MAX_RESPONSE_DEPTH = 256
// Validators of the old bytes: wrong once the body changed.
const STALE_WHEN_CHANGED = ['etag', 'content-md5', 'digest', 'repr-digest', 'content-digest']

export interface ResponsePlan {
  /** Header ops (`response.headers`), also used when streaming. */
  readonly headers: HeaderOps | undefined
  /** True when the body must be buffered and processed. */
  readonly buffers: boolean
  /** Buffers, shapes and sends the response; resolves with the status sent. */
  send(x: Exchange, upstream: SystemResponse): Promise<number>
}

function unusable(why: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError('SB_ERR_GATEWAY_UPSTREAM_RESPONSE', `the system's response cannot be processed: ${why}`, cause === undefined ? {} : { cause })
}

/** Compiles a route's `response`; undefined when there is nothing to do. */
export function compileResponsePlan(config: ResponseOptionsConfig | undefined, responseBytes: number, where: string): ResponsePlan | undefined {
  if (config === undefined) return undefined
  const headers = compileHeaderOps(config.headers, `${where}.headers`)
  const transform: BodyTransform | undefined = config.transform ? compileTransform(config.transform, 'response', `${where}.transform`) : undefined
  const filters: FieldFilter[] = []
  if (config.allow) filters.push(compileFieldFilter('allow', config.allow, `${where}.allow`))
  if (config.deny) filters.push(compileFieldFilter('deny', config.deny, `${where}.deny`))
  const buffers = transform !== undefined || filters.length > 0
  if (!buffers && headers === undefined) return undefined

  async function send(x: Exchange, upstream: SystemResponse): Promise<number> {
    const h = upstream.headers
    const encoding = h['content-encoding']
    if (encoding !== undefined && encoding !== 'identity') {
      await upstream.body.dump()
      throw unusable('it is compressed')
    }
    const contentType = typeof h['content-type'] === 'string' ? h['content-type'] : undefined
    if (!isJsonContentType(contentType)) {
      await upstream.body.dump()
      throw unusable(`it is not JSON (${contentType ?? 'no Content-Type'})`)
    }
    let raw: Buffer
    try {
      raw = await readBody(upstream.body, responseBytes)
    } catch (err) {
      discardBody(upstream.body)
      throw unusable(`it is larger than ${responseBytes} bytes or was cut off`, err)
    }
    let value: unknown = undefined
    if (raw.length > 0) {
      if (depthExceededAt(raw, MAX_RESPONSE_DEPTH) !== -1) throw unusable('it nests too deeply')
      try {
        value = JSON.parse(raw.toString('utf8'))
      } catch (err) {
        throw unusable('it is not valid JSON', err)
      }
    }
    const status = upstream.statusCode
    if (transform !== undefined && status >= 200 && status < 300) {
      value = await transform.apply(value, { status, headers: h })
    }
    for (const f of filters) value = f(value)

    const out: OutgoingHttpHeaders = downstreamResponseHeaders(h)
    for (const name of STALE_WHEN_CHANGED) delete out[name]
    headers?.(out)
    mergeGatewayHeaders(out, x)
    const body = value === undefined ? '' : JSON.stringify(value)
    if (body === '') delete out['content-type']
    out['content-length'] = Buffer.byteLength(body)
    x.res.writeHead(status, out)
    x.res.end(body)
    return status
  }

  return { headers, buffers, send }
}
