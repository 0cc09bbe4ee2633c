/**
 * W3C Trace Context (`traceparent` / `tracestate`) without the OpenTelemetry SDK: the API's
 * global propagator is a no-op until an SDK registers one, yet a trace must continue across the
 * gateway, the durable queue and restarts whether or not an exporter is configured. Parsing is
 * strict (https://www.w3.org/TR/trace-context/#traceparent-header): a malformed or all-zero value
 * is ignored, never trusted, and a new trace starts.
 */
import { randomFillSync } from 'node:crypto'
import { ROOT_CONTEXT, TraceFlags, createTraceState, isSpanContextValid, trace, type Context, type SpanContext } from '@opentelemetry/api'

export const TRACEPARENT_HEADER = 'traceparent'
export const TRACESTATE_HEADER = 'tracestate'

/** What an event stores to continue its trace later (also the headers sent to a target). */
export interface TraceCarrier {
  traceparent: string
  tracestate?: string
}

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
/** The spec's limit on tracestate: 32 list members; 512 characters is the propagation floor. */
const MAX_TRACESTATE_CHARS = 512

/** The span context in a `traceparent` value, or undefined when it is not valid. */
export function parseTraceparent(value: string | undefined, tracestate?: string): SpanContext | undefined {
  if (value === undefined || value.length > 512) return undefined
  const m = TRACEPARENT_RE.exec(value.trim())
  if (m === null) return undefined
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined]
  // Version ff is forbidden; version 00 has exactly four fields; later versions may add fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  const sc: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  }
  if (!isSpanContextValid(sc)) return undefined
  if (tracestate !== undefined && tracestate.length > 0 && tracestate.length <= MAX_TRACESTATE_CHARS) sc.traceState = createTraceState(tracestate)
  return sc
}

/**
 * Ids are drawn from crypto a block at a time (ids must be unique, not secret; per-id draws cost
 * more than anything else an unsampled request does), and the block is written out as ready
 * `00-<trace id>-<span id>-00` values in one flat string: a new unsampled trace — most requests
 * at a low sampling ratio — is then one slice of it, with no encoding, concatenation or
 * flattening of its own when it is validated and written upstream.
 */
const POOL_ENTRIES = 128
/** `00-` + 32 + `-` + 16 + `-00`. */
const ENTRY_CHARS = 55
const TRACE_AT = 3
const SPAN_AT = 36
/** Random bytes per entry: 16 for the trace id, 8 for the span id. */
const ENTRY_BYTES = 24
const HEX = Buffer.from('0123456789abcdef', 'latin1')
const DASH = 0x2d
const ZERO = 0x30
const random = Buffer.alloc(POOL_ENTRIES * ENTRY_BYTES)
const block = Buffer.alloc(POOL_ENTRIES * ENTRY_CHARS)
let pool = ''
let poolAt = 0

function allZero(from: number, length: number): boolean {
  for (let i = from; i < from + length; i++) if (random[i] !== 0) return false
  return true
}

/** Writes `length` random bytes from `from` as hex at `at` in the block. */
function writeHex(from: number, length: number, at: number): void {
  for (let i = 0; i < length; i++) {
    const b = random[from + i] as number
    block[at + 2 * i] = HEX[b >> 4] as number
    block[at + 2 * i + 1] = HEX[b & 15] as number
  }
}

/** Fills the pool: hex written by table into a buffer, read back as one latin1 string. */
function refill(): void {
  randomFillSync(random)
  for (let e = 0; e < POOL_ENTRIES; e++) {
    const r = e * ENTRY_BYTES
    // An all-zero id is invalid: setting its last bit is OpenTelemetry's own remedy.
    if (allZero(r, 16)) random[r + 15] = 1
    if (allZero(r + 16, 8)) random[r + 23] = 1
    const at = e * ENTRY_CHARS
    block[at] = ZERO
    block[at + 1] = ZERO
    block[at + 2] = DASH
    writeHex(r, 16, at + TRACE_AT)
    block[at + SPAN_AT - 1] = DASH
    writeHex(r + 16, 8, at + SPAN_AT)
    block[at + ENTRY_CHARS - 3] = DASH
    block[at + ENTRY_CHARS - 2] = ZERO
    block[at + ENTRY_CHARS - 1] = ZERO
  }
  pool = block.toString('latin1')
  poolAt = 0
}

/** The offset of the next unused entry of the pool (refilled when used up). */
function nextEntry(): number {
  if (poolAt === pool.length) refill()
  const at = poolAt
  poolAt += ENTRY_CHARS
  return at
}

/**
 * A random, valid (not all-zero) trace id. Its own string, read from the block, not a slice of
 * the pool: ids are kept past their request (span records waiting for their batch, SDK spans),
 * and a slice would keep its whole pool alive with it — measured, the survivors made every young
 * collection of a traced gateway about a quarter slower.
 */
export function randomTraceId(): string {
  const at = nextEntry() + TRACE_AT
  return block.toString('latin1', at, at + 32)
}

/** A random, valid (not all-zero) span id; its own string, as {@link randomTraceId}. */
export function randomSpanId(): string {
  const at = nextEntry() + SPAN_AT
  return block.toString('latin1', at, at + 16)
}

/**
 * `00-<new trace id>-<new span id>-00`: a new trace that is not sampled (most requests at a low
 * sampling ratio). A slice of the pool: it lives no longer than its request.
 */
export function randomUnsampledTraceparent(): string {
  const at = nextEntry()
  return pool.slice(at, at + ENTRY_CHARS)
}

/** `00-<trace id>-<new span id>-00`: an unsampled child in the caller's trace (request-lived, as above). */
export function unsampledChildTraceparent(traceId: string): string {
  const at = nextEntry() + SPAN_AT
  return `00-${traceId}-${pool.slice(at, at + 16)}-00`
}

/** `00-<trace id>-<span id>-<flags>`. */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00'}`
}

type HeaderBag = Readonly<Record<string, string | string[] | undefined>>

function single(v: string | string[] | undefined): string | undefined {
  // Several traceparent headers are ambiguous: the spec says to ignore them all.
  if (Array.isArray(v)) return v.length === 1 ? v[0] : undefined
  return v
}

/**
 * The context of an incoming request: `base` carrying the caller's span as remote parent when
 * the headers hold a valid `traceparent`, else `base` unchanged. Header names must be lower case
 * (as Node gives them).
 */
export function extractTraceparent(headers: HeaderBag, base: Context = ROOT_CONTEXT): Context {
  const tp = single(headers[TRACEPARENT_HEADER])
  const ts = Array.isArray(headers[TRACESTATE_HEADER]) ? (headers[TRACESTATE_HEADER] as string[]).join(',') : headers[TRACESTATE_HEADER]
  const sc = parseTraceparent(tp, ts as string | undefined)
  return sc === undefined ? base : trace.setSpanContext(base, sc)
}

/** The carrier of the span active in `ctx`, or null when there is none (nothing to continue). */
export function carrierOf(ctx: Context): TraceCarrier | null {
  const sc = trace.getSpanContext(ctx)
  if (sc === undefined || !isSpanContextValid(sc)) return null
  const state = sc.traceState?.serialize()
  return state ? { traceparent: formatTraceparent(sc), tracestate: state } : { traceparent: formatTraceparent(sc) }
}

/**
 * Adds `traceparent` (and `tracestate`) for the span active in `ctx` to `headers` and returns
 * them; unchanged when `ctx` holds no valid span.
 */
export function injectTraceparent(ctx: Context, headers: Record<string, string> = {}): Record<string, string> {
  const c = carrierOf(ctx)
  if (c === null) return headers
  headers[TRACEPARENT_HEADER] = c.traceparent
  if (c.tracestate !== undefined) headers[TRACESTATE_HEADER] = c.tracestate
  return headers
}

/**
 * The context a stored carrier continues (ROOT_CONTEXT when it is missing or invalid). A bare
 * string is a `traceparent` (what the event store keeps).
 */
export function contextFromCarrier(carrier: TraceCarrier | string | null | undefined): Context {
  if (!carrier) return ROOT_CONTEXT
  const c = typeof carrier === 'string' ? { traceparent: carrier } : carrier
  const sc = parseTraceparent(c.traceparent, c.tracestate)
  return sc === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, sc)
}

/** `trace_id` / `span_id` log fields for the span active in `ctx` (empty without one). */
export function traceLogFields(ctx: Context): { trace_id?: string; span_id?: string } {
  const sc = trace.getSpanContext(ctx)
  return sc !== undefined && isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {}
}
