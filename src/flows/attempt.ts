/**
 * One delivery attempt: send the outbound request through the target system's client (which
 * applies auth, timeout, circuit breaker and outbound rate limit), time it, keep a redacted
 * excerpt of the answer, and classify the outcome. Never throws: every failure becomes part of
 * the returned record, because the worker must record it whatever it was.
 */
import type { Clock } from '../core/clock.js'
import { isSwitchboardError } from '../core/errors.js'
import { classifyAttempt, type AttemptOutcome, type ClassifyContext, type Verdict } from './classify.js'
import { EXCERPT_MAX_BYTES, type Redactor } from './redact.js'
import type { OutboundRequest } from './target.js'

/**
 * The part of the systems layer's `SystemClient` a delivery uses (structural, so flows need not
 * depend on how the client is built).
 */
export interface DeliveryClient {
  request(req: {
    method: string
    path: string
    headers: Record<string, string>
    body?: string | undefined
    timeoutMs?: number | undefined
    signal?: AbortSignal | undefined
    waitForRateLimit?: boolean | undefined
  }): Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; body: unknown }>
}

/** What an attempt leaves in the delivery history. */
export interface AttemptRecord {
  startedAt: number
  latencyMs: number
  /** HTTP status, or null when no response arrived. */
  status: number | null
  /** Stable error code of a failure (null when delivered). */
  errorCode: string | null
  /** Human-readable failure (null when delivered). */
  error: string | null
  /** At most 4 KB of the response body, secrets redacted. */
  responseExcerpt: string | null
  /** The X-Request-Id sent with this attempt. */
  requestId: string | null
  outcome: AttemptOutcome
  verdict: Verdict
}

export interface AttemptOptions {
  clock: Clock
  redactor: Redactor
  /** Classification inputs except `now` (taken when the answer arrives). */
  classify: Omit<ClassifyContext, 'now'>
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
}

/** Bytes of a response body read for the excerpt (the rest is never buffered for records). */
const READ_LIMIT = 64 * 1024

export async function runAttempt(client: DeliveryClient, request: OutboundRequest, options: AttemptOptions): Promise<AttemptRecord> {
  const { clock } = options
  const startedAt = clock.now()
  let outcome: AttemptOutcome
  let excerpt: string | null = null
  try {
    const res = await client.request({
      method: request.method,
      path: request.path,
      headers: request.headers,
      body: request.body,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      waitForRateLimit: true,
    })
    outcome = { kind: 'response', status: res.statusCode, headers: res.headers }
    const text = await bodyText(res.body)
    excerpt = text === '' ? null : options.redactor.excerpt(text)
  } catch (error) {
    outcome = { kind: 'error', error }
  }
  const now = clock.now()
  const verdict = classifyAttempt(outcome, { ...options.classify, now })
  const failed = verdict.kind !== 'delivered'
  return {
    startedAt,
    latencyMs: Math.max(0, now - startedAt),
    status: outcome.kind === 'response' ? outcome.status : null,
    errorCode: failed ? verdict.code : null,
    error: failed ? verdict.message : null,
    responseExcerpt: excerpt,
    requestId: request.headers['x-request-id'] ?? null,
    outcome,
    verdict,
  }
}

/** The response body as text, whatever shape the client returned it in (bounded). */
async function bodyText(body: unknown): Promise<string> {
  try {
    if (body === undefined || body === null) return ''
    if (typeof body === 'string') return body.slice(0, READ_LIMIT)
    if (body instanceof Uint8Array) return Buffer.from(body.subarray(0, READ_LIMIT)).toString('utf8')
    if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') return await readStream(body as AsyncIterable<unknown>)
    return JSON.stringify(body).slice(0, READ_LIMIT)
  } catch (err) {
    // A body that fails to read does not change the verdict (the status already arrived).
    return isSwitchboardError(err) ? `[body unreadable: ${err.code}]` : '[body unreadable]'
  }
}

async function readStream(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array)
    if (size < READ_LIMIT) chunks.push(b)
    size += b.length
    // Keep draining past the limit so the connection can be reused, but stop buffering.
  }
  return Buffer.concat(chunks).subarray(0, Math.max(EXCERPT_MAX_BYTES, READ_LIMIT)).toString('utf8')
}
