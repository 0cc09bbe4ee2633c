/**
 * One page read: the GET a poller sends for a cursor, and its JSON answer, read with a size
 * bound. Transport failures (unreachable, timeout, open circuit) arrive as the systems layer's
 * typed errors; a non-2xx answer becomes SB_ERR_POLLER_STATUS, an unusable body
 * SB_ERR_POLLER_RESPONSE.
 */
import { RetryAfterError, SwitchboardError } from '../../core/errors.js'
import { parseRetryAfter } from '../retry.js'
import type { CompiledPoller } from './compile.js'

/** The outbound client of one system, as pollers use it (a `SystemClient` fits). */
export interface PollClient {
  request(req: {
    method: string
    path: string
    headers: Record<string, string>
    signal?: AbortSignal | undefined
    waitForRateLimit?: boolean | undefined
  }): Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; body: unknown }>
}

/** The configured systems (the runtime's `Systems` fits). */
export interface PollerSystems {
  get(name: string): PollClient
  has(name: string): boolean
}

export interface FetchedPage {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
}

/** Most of a Retry-After a poller honours (longer asks wait for the regular back-off). */
const RETRY_AFTER_CAP_MS = 3_600_000
const PLACEHOLDER = '{cursor}'

/** The cursor as text for a URL: strings as they are, other JSON values as JSON, none as ''. */
function cursorText(cursor: unknown): string {
  if (cursor === null || cursor === undefined) return ''
  return typeof cursor === 'string' ? cursor : JSON.stringify(cursor)
}

/** `get` with `{cursor}` substituted (URL-encoded) and `query` appended. */
export function pagePath(p: CompiledPoller, cursor: unknown): string {
  const text = cursorText(cursor)
  const path = p.get.split(PLACEHOLDER).join(encodeURIComponent(text))
  const params = new URLSearchParams()
  for (const [name, value] of p.query) {
    // A parameter that is only the cursor means "from here": without a cursor, from the start.
    if (value === PLACEHOLDER && text === '') continue
    params.append(name, value.split(PLACEHOLDER).join(text))
  }
  const query = params.toString()
  if (query === '') return path
  return `${path}${path.includes('?') ? '&' : '?'}${query}`
}

export async function fetchPage(
  client: PollClient,
  p: CompiledPoller,
  cursor: unknown,
  o: { requestId: string; maxBytes: number; signal: AbortSignal; now: () => number },
): Promise<FetchedPage> {
  const path = pagePath(p, cursor)
  const res = await client.request({
    method: 'GET',
    path,
    headers: { accept: 'application/json', 'x-request-id': o.requestId },
    signal: o.signal,
    waitForRateLimit: true,
  })
  if (res.statusCode < 200 || res.statusCode > 299) {
    await discard(res.body)
    const message = `${p.where}: system "${p.system}" answered ${res.statusCode} to GET ${path}`
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], o.now())
    if (retryAfterMs !== undefined) throw new RetryAfterError('SB_ERR_POLLER_STATUS', message, Math.min(retryAfterMs, RETRY_AFTER_CAP_MS), { details: { status: res.statusCode } })
    throw new SwitchboardError('SB_ERR_POLLER_STATUS', message, { details: { status: res.statusCode } })
  }
  const raw = await readBounded(res.body, o.maxBytes, p)
  let body: unknown
  try {
    body = raw.length === 0 ? null : (JSON.parse(raw.toString('utf8')) as unknown)
  } catch (err) {
    throw new SwitchboardError('SB_ERR_POLLER_RESPONSE', `${p.where}: the answer to GET ${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  return { status: res.statusCode, headers: res.headers, body }
}

/** The body as bytes, at most `maxBytes` (SB_ERR_POLLER_RESPONSE past it). */
async function readBounded(body: unknown, maxBytes: number, p: CompiledPoller): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0)
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const b = Buffer.from(body)
    if (b.length > maxBytes) throw tooLarge(p, maxBytes)
    return b
  }
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') {
    // An already-decoded value (an in-process client): re-encode to apply the same bound.
    return readBounded(JSON.stringify(body), maxBytes, p)
  }
  const chunks: Buffer[] = []
  let size = 0
  // Leaving the loop early (throw) destroys the stream: the rest is never downloaded.
  for await (const chunk of body as AsyncIterable<unknown>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array)
    size += b.length
    if (size > maxBytes) throw tooLarge(p, maxBytes)
    chunks.push(b)
  }
  return Buffer.concat(chunks)
}

function tooLarge(p: CompiledPoller, maxBytes: number): SwitchboardError {
  return new SwitchboardError('SB_ERR_POLLER_RESPONSE', `${p.where}: the answer of system "${p.system}" is larger than ${maxBytes} bytes`)
}

/** Release an error answer's body without keeping it (it is not recorded: it may hold secrets). */
async function discard(body: unknown): Promise<void> {
  const dump = (body as { dump?: () => Promise<void> } | null)?.dump
  if (typeof dump === 'function') await dump.call(body).catch(() => undefined)
}
