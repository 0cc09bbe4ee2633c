/**
 * Publish routes (`publish:`): the request body becomes a durable event. The gateway only
 * depends on {@link EventPublisher}; the event-flows layer implements it and resolves `publish`
 * once the event is committed (store/bus), so the 202 the client gets means "accepted and
 * durable". A publisher failure is a 503 — nothing was accepted, the client retries, and the
 * event id (from `publish.id`) makes the retry safe.
 */
import { SwitchboardError, isSwitchboardError } from '../core/errors.js'
import type { PublishActionConfig } from '../config/spec/route.js'
import type { Exchange } from './exchange.js'
import { compileTransform, type BodyTransform } from './policies/transform.js'

/** One event handed to the event layer. */
export interface PublishRequest {
  topic: string
  /** Dedupe id from `publish.id`; the publisher generates one when absent. */
  id?: string
  /** Ordering key from `publish.key`. */
  key?: string
  body: unknown
  /** The request headers listed in `publish.headers` (lower-case names). */
  headers: Record<string, string>
  requestId: string
  traceparent?: string
}

export interface PublishResult {
  id: string
  /** True when an event with this id was already accepted (it is not delivered twice). */
  duplicate: boolean
}

/** Implemented by the event-flows layer. Resolves only after the event is committed. */
export interface EventPublisher {
  publish(e: PublishRequest): Promise<PublishResult>
}

const MAX_EVENT_ID_LENGTH = 200
const RETRY_AFTER_MS = 1000

function scalar(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new SwitchboardError('SB_ERR_HTTP_BAD_REQUEST', `the event ${what} expression did not give a string`)
  }
  const s = String(value)
  if (s.length > MAX_EVENT_ID_LENGTH) throw new SwitchboardError('SB_ERR_HTTP_BAD_REQUEST', `the event ${what} is longer than ${MAX_EVENT_ID_LENGTH} characters`)
  return s
}

/** Compiles a route's `publish` into its action (expressions compiled now; errors name `where`). */
export function publishAction(config: PublishActionConfig, publisher: EventPublisher | undefined, where: string): (x: Exchange) => Promise<number> {
  const idExpr: BodyTransform | undefined = config.id ? compileTransform(config.id, 'request', `${where}.id`) : undefined
  const keyExpr: BodyTransform | undefined = config.key ? compileTransform(config.key, 'request', `${where}.key`) : undefined
  const kept = (config.headers ?? []).map((h) => h.toLowerCase())
  const topic = config.topic

  return async (x) => {
    if (x.body === undefined) {
      throw new SwitchboardError('SB_ERR_GATEWAY_VALIDATION_FAILED', 'a publish route needs a JSON body', {
        details: { violations: [{ in: 'body', path: '/', message: 'is required' }] },
      })
    }
    const reqHeaders = x.req.headers
    const input = { headers: reqHeaders, body: x.body, query: x.query, params: x.params }
    const event: PublishRequest = { topic, body: x.body, headers: {}, requestId: x.requestId }
    const id = idExpr ? scalar(await idExpr.apply(input, {}), 'id') : undefined
    const key = keyExpr ? scalar(await keyExpr.apply(input, {}), 'key') : undefined
    if (id !== undefined) event.id = id
    if (key !== undefined) event.key = key
    for (const name of kept) {
      const v = reqHeaders[name]
      if (v !== undefined) event.headers[name] = Array.isArray(v) ? v.join(', ') : v
    }
    // Traced: the event continues from the request's span; else from the caller's traceparent.
    const tp = x.trace?.traceparent ?? reqHeaders.traceparent
    if (typeof tp === 'string') event.traceparent = tp

    if (publisher === undefined) {
      throw new SwitchboardError('SB_ERR_GATEWAY_PUBLISH_FAILED', 'no event publisher runs on this node', { details: { retryAfterMs: RETRY_AFTER_MS } })
    }
    let result: PublishResult
    try {
      result = await publisher.publish(event)
    } catch (err) {
      // The event layer's own refusals (unknown topic, schema violations) are the caller's to fix.
      if (isSwitchboardError(err) && err.status < 500) throw err
      throw new SwitchboardError('SB_ERR_GATEWAY_PUBLISH_FAILED', `the event was not accepted; retry`, { cause: err, details: { retryAfterMs: RETRY_AFTER_MS } })
    }
    const body = JSON.stringify({ id: result.id, topic, duplicate: result.duplicate })
    x.headers['content-type'] = 'application/json'
    x.headers['content-length'] = Buffer.byteLength(body)
    x.res.writeHead(202, x.headers)
    x.res.end(body)
    return 202
  }
}
