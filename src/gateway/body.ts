/**
 * Request bodies for routes whose policies need them (validation, transforms, signed webhooks,
 * publish). Everything else streams to the upstream untouched. Reading enforces the route's
 * byte limit as data arrives (a declared Content-Length over the limit is refused before any
 * byte is read); parsing enforces the nesting depth before `JSON.parse` builds anything, with an
 * iterative scan, so a 100k-deep `[[[[…` costs one linear pass and no recursion.
 */
import type { Readable } from 'node:stream'
import { SwitchboardError } from '../core/errors.js'

/** 413 for a body over `limit` bytes. */
export function bodyTooLarge(limit: number): SwitchboardError {
  return new SwitchboardError('SB_ERR_HTTP_BODY_TOO_LARGE', `request body exceeds ${limit} bytes`)
}

/** Whether a declared Content-Length is over `limit` (an unparsable one is left to the HTTP parser). */
export function declaredLengthExceeds(contentLength: string | undefined, limit: number): boolean {
  if (contentLength === undefined) return false
  const n = Number(contentLength)
  return Number.isFinite(n) && n > limit
}

/**
 * Reads `stream` fully into one Buffer, failing with 413 as soon as more than `limit` bytes
 * arrived, or with 408 when `signal` aborts first (the route's deadline).
 */
export function readBody(stream: Readable, limit: number, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(bodyTimeout())
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        // Stop reading; the 413 answer closes the connection, discarding what is still in flight.
        stream.pause()
        reject(bodyTooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      cleanup()
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size))
    }
    const onError = (err: Error): void => {
      cleanup()
      reject(new SwitchboardError('SB_ERR_HTTP_BAD_REQUEST', 'the request body could not be read', { cause: err }))
    }
    const onAborted = (): void => onError(new Error('client aborted'))
    const onDeadline = (): void => {
      cleanup()
      stream.pause()
      reject(bodyTimeout())
    }
    const cleanup = (): void => {
      signal?.removeEventListener('abort', onDeadline)
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('aborted', onAborted)
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('aborted', onAborted)
    signal?.addEventListener('abort', onDeadline)
  })
}

function bodyTimeout(): SwitchboardError {
  return new SwitchboardError('SB_ERR_HTTP_TIMEOUT', 'the request body was not received before the route deadline')
}

const JSON_TYPE_RE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/** Whether a Content-Type names JSON (`application/json`, `application/vnd.x+json`, with parameters). */
export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_TYPE_RE.test(contentType)
}

const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c

/** The first offset at which `buf` nests deeper than `maxDepth`, or -1. Strings are skipped. */
export function depthExceededAt(buf: Buffer, maxDepth: number): number {
  let depth = 0
  let inString = false
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) {
      inString = true
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return i
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--
    }
  }
  return -1
}

// Like secure-json-parse (fastify's default): a `__proto__` key, even escaped, is refused,
// because code that later merges the body into an object would change its prototype.
const PROTO_KEY_RE =
  /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/

/**
 * Parses a JSON body: 400 SB_ERR_GATEWAY_JSON_TOO_DEEP when nested deeper than `maxDepth`,
 * 400 SB_ERR_HTTP_BAD_REQUEST when malformed or carrying a `__proto__` key. An empty body is
 * `undefined`. The error never quotes the body.
 */
export function parseJsonBody(buf: Buffer, maxDepth: number): unknown {
  if (buf.length === 0) return undefined
  const at = depthExceededAt(buf, maxDepth)
  if (at !== -1) throw new SwitchboardError('SB_ERR_GATEWAY_JSON_TOO_DEEP', `JSON body nests deeper than ${maxDepth} levels (at byte ${at})`)
  const text = buf.toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new SwitchboardError('SB_ERR_HTTP_BAD_REQUEST', 'request body is not valid JSON', { cause: err })
  }
  if (PROTO_KEY_RE.test(text)) throw new SwitchboardError('SB_ERR_HTTP_BAD_REQUEST', 'request body contains a "__proto__" key')
  return value
}
