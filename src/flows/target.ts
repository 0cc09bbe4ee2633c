/**
 * The outbound request of a delivery: method and path template from the flow's `to`, `{field}`
 * placeholders filled from the event body, the transformed payload as JSON, and the headers
 * every attempt carries:
 * - `Idempotency-Key: <eventId>:<flowId>` — stable across attempts and replays, so a target can
 *   drop the duplicates at-least-once delivery produces;
 * - `X-Request-Id` (fresh per attempt) and `traceparent` (the event's trace, a new span);
 * - Standard Webhooks `webhook-id/-timestamp/-signature` when the target has `sign`.
 *
 * A placeholder value that could change the upstream path (`/`, `\`, a dot segment, a control
 * character, empty) is refused, not just encoded: the delivery fails non-retryably with
 * SB_ERR_FLOW_TARGET_PATH, because retrying the same event cannot fix it.
 */
import { randomUUID } from 'node:crypto'
import { NonRetryableError, SwitchboardError } from '../core/errors.js'
import { newRequestId } from '../core/ids.js'
import { signStandardWebhook } from '../core/webhook-signature.js'

export type TargetMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** The `to` block of a flow, after secret references were resolved. */
export interface TargetConfig {
  system: string
  post?: string | undefined
  put?: string | undefined
  patch?: string | undefined
  delete?: string | undefined
  headers?: Readonly<Record<string, string>> | undefined
  sign?: { secret: string } | undefined
  /**
   * What delivery records show as the path, when the real one holds a secret (an alert
   * channel's internal flow: a Slack webhook URL's token is its path). Not a config field.
   */
  recordedPath?: string | undefined
}

/** A request ready for `SystemClient.request` (path relative to the system's base URL). */
export interface OutboundRequest {
  method: TargetMethod
  path: string
  headers: Record<string, string>
  /** JSON text of the payload; `undefined` when the transform produced nothing. */
  body: string | undefined
  /** Shown in delivery records instead of `path` (see {@link TargetConfig.recordedPath}). */
  recordedPath?: string
}

/** What the builder needs from a delivery. */
export interface RequestInput {
  eventId: string
  flowId: string
  /** Event body: source of `{field}` placeholders. */
  eventBody: unknown
  /** The transformed payload (the event body when the flow has no transform). */
  payload: unknown
  /** The event's W3C trace context, if it came with one. */
  traceparent?: string | null | undefined
  now: number
}

export interface CompiledTarget {
  readonly system: string
  readonly method: TargetMethod
  readonly pathTemplate: string
  build(input: RequestInput): OutboundRequest
}

const PLACEHOLDER = /\{([^{}]*)\}/g
const FIELD = /^[A-Za-z_$][A-Za-z0-9_$-]*(\.[A-Za-z0-9_$-]+)*$/
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const UNSAFE = /[/\\\u0000-\u001f\u007f]/
const RESERVED = new Set(['idempotency-key', 'x-request-id', 'traceparent', 'webhook-id', 'webhook-timestamp', 'webhook-signature'])

/** The stable idempotency key of a delivery. */
export function idempotencyKey(eventId: string, flowId: string): string {
  return `${eventId}:${flowId}`
}

/**
 * Check a flow's `to` at load time. Throws SB_ERR_CONFIG_INVALID (naming `where`) for a target
 * with zero or several methods, a malformed placeholder, or an unusable signing secret.
 */
export function compileTarget(to: TargetConfig, where: string): CompiledTarget {
  const methods = (['post', 'put', 'patch', 'delete'] as const).filter((m) => to[m] !== undefined)
  if (methods.length !== 1) throw configError(`${where}: give exactly one of post, put, patch or delete (found ${methods.length})`)
  const key = methods[0] as (typeof methods)[number]
  const template = to[key] as string
  const method = key.toUpperCase() as TargetMethod
  const stripped = template.replace(PLACEHOLDER, (_m, field: string) => {
    if (!FIELD.test(field)) throw configError(`${where}.${key}: placeholder {${field}} is not a field path like {id} or {customer.id}`)
    return ''
  })
  if (/[{}]/.test(stripped)) throw configError(`${where}.${key}: unbalanced "{" or "}" in ${JSON.stringify(template)}`)
  // Lower-cased, so a configured `Content-Type` replaces the JSON default instead of being sent
  // next to it (two values of one header).
  const extra = Object.entries(to.headers ?? {})
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .filter(([name]) => !RESERVED.has(name))
  const ownContentType = extra.some(([name]) => name === 'content-type')
  const sign = to.sign?.secret
  const recordedPath = to.recordedPath
  if (sign !== undefined) {
    try {
      signStandardWebhook(sign, 'probe', 0, '')
    } catch (err) {
      throw configError(`${where}.sign.secret: ${(err as Error).message}`)
    }
  }

  return {
    system: to.system,
    method,
    pathTemplate: template,
    build(input) {
      const path = template.replace(PLACEHOLDER, (_m, field: string) => encodeValue(field, lookup(input.eventBody, field)))
      const body = input.payload === undefined || method === 'DELETE' ? undefined : JSON.stringify(input.payload)
      const headers: Record<string, string> = {}
      for (const [name, value] of extra) headers[name] = value
      if (body !== undefined && !ownContentType) headers['content-type'] = 'application/json'
      const idKey = idempotencyKey(input.eventId, input.flowId)
      headers['idempotency-key'] = idKey
      headers['x-request-id'] = newRequestId()
      headers.traceparent = childTraceparent(input.traceparent)
      if (sign !== undefined) Object.assign(headers, signStandardWebhook(sign, idKey, input.now / 1000, body ?? ''))
      const request: OutboundRequest = { method, path, headers, body }
      if (recordedPath !== undefined) request.recordedPath = recordedPath
      return request
    },
  }
}

function configError(message: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_CONFIG_INVALID', message)
}

/** Own-property walk of a dotted path (no prototype lookups: `{__proto__}` finds nothing). */
function lookup(root: unknown, field: string): unknown {
  let node: unknown = root
  for (const seg of field.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, seg)) return undefined
    node = (node as Record<string, unknown>)[seg]
  }
  return node
}

function encodeValue(field: string, value: unknown): string {
  const fail = (why: string) => new NonRetryableError('SB_ERR_FLOW_TARGET_PATH', `path placeholder {${field}} ${why}`)
  if (value === undefined || value === null) throw fail('is missing from the event')
  if (typeof value === 'number' && !Number.isFinite(value)) throw fail('is not a finite number')
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw fail(`must be a string, number or boolean (got ${Array.isArray(value) ? 'array' : typeof value})`)
  const text = String(value)
  if (text === '') throw fail('is empty')
  if (text === '.' || text === '..') throw fail('is a dot segment')
  if (UNSAFE.test(text)) throw fail('contains "/", "\\" or a control character')
  return encodeURIComponent(text)
}

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/

/** A W3C traceparent continuing `parent`'s trace with a new span (or a new trace). */
export function childTraceparent(parent?: string | null): string {
  const m = parent ? TRACEPARENT.exec(parent) : null
  // randomUUID draws from a pre-filled entropy cache: far cheaper per call than randomBytes.
  const fresh = randomUUID().replaceAll('-', '')
  const traceId = m?.[1] && !/^0+$/.test(m[1]) ? m[1] : fresh
  const flags = m?.[2] ?? '01'
  return `00-${traceId}-${randomUUID().replaceAll('-', '').slice(0, 16)}-${flags}`
}
