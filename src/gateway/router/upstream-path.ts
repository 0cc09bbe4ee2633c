/**
 * The upstream path of a proxy route, compiled once from the route path and the `proxy.path`
 * template: literal text from the config is used as is, `:name` takes the route parameter of
 * that name (checked and URL-encoded, see params.ts) and a trailing `*` takes the wildcard tail.
 */
import { SwitchboardError } from '../../core/errors.js'
import { encodeSegment, encodeTail } from './params.js'

/** Builds the upstream path (without query) from the router's params and the raw request path. */
export type UpstreamPathBuilder = (params: Readonly<Record<string, string | undefined>>, rawPath: string) => string

/** What the route path declares: its parameter names and, for `/…/*`, the segments before the tail. */
export interface RoutePathShape {
  params: string[]
  /** Number of path segments before the wildcard, or -1 when the path has no wildcard. */
  tailAfter: number
}

const PARAM_RE = /:([A-Za-z_][A-Za-z0-9_]*)/g

/** Parses a route path; throws SB_ERR_CONFIG_INVALID (naming `where`) for a misplaced `*`. */
export function routePathShape(path: string, where: string): RoutePathShape {
  const params = [...path.matchAll(PARAM_RE)].map((m) => m[1] as string)
  const star = path.indexOf('*')
  if (star === -1) return { params, tailAfter: -1 }
  if (star !== path.length - 1 || !path.endsWith('/*')) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: a wildcard must be the whole last segment ("/files/*"), got "${path}"`)
  }
  return { params, tailAfter: path.split('/').length - 2 }
}

type Part = { literal: string } | { param: string } | { tail: true }

/**
 * Compiles `template` against the route's `shape`. Every `:name` must be a route parameter and
 * `*` needs a wildcard route; otherwise a config error names `where`.
 */
export function compileUpstreamPath(template: string, shape: RoutePathShape, where: string): UpstreamPathBuilder {
  const parts: Part[] = []
  let body = template
  let tail = false
  if (body.endsWith('*')) {
    if (shape.tailAfter < 0) throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: "*" needs a route path ending in "/*"`)
    tail = true
    body = body.slice(0, -1)
  }
  if (body.includes('*')) throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: "*" may only end the path template`)
  let last = 0
  for (const m of body.matchAll(PARAM_RE)) {
    const name = m[1] as string
    if (!shape.params.includes(name)) {
      throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: ":${name}" is not a parameter of the route path (has: ${shape.params.join(', ') || 'none'})`)
    }
    if (m.index > last) parts.push({ literal: body.slice(last, m.index) })
    parts.push({ param: name })
    last = m.index + m[0].length
  }
  if (last < body.length) parts.push({ literal: body.slice(last) })
  if (tail) parts.push({ tail: true })

  const first = parts[0]
  if (parts.length === 1 && first !== undefined && 'literal' in first) {
    const constant = first.literal
    return () => constant
  }
  const tailAfter = shape.tailAfter
  return (params, rawPath) => {
    let out = ''
    for (const part of parts) {
      if ('literal' in part) out += part.literal
      else if ('param' in part) out += encodeSegment(part.param, params[part.param] ?? '')
      else out += encodeTail(rawTail(rawPath, tailAfter))
    }
    return out
  }
}

/** The still-encoded rest of `rawPath` after its first `segments` segments. */
function rawTail(rawPath: string, segments: number): string {
  let idx = 0
  for (let i = 0; i <= segments; i++) {
    const slash = rawPath.indexOf('/', idx)
    if (slash === -1) return ''
    idx = slash + 1
  }
  return rawPath.slice(idx)
}
