/**
 * Route shape rules the schema cannot express: exactly one method key, exactly one action, a
 * well-formed path, no two routes answering the same request (unless they are distinct
 * versions of one endpoint), and proxy paths that only use parameters the route defines.
 */
import { HTTP_METHODS } from '../spec/common.js'
import { formatPath, type Segment } from '../paths.js'
import { entries, rec, str, type CheckContext } from './context.js'

const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/

export function checkRoutes(ctx: CheckContext): void {
  const seen = new Map<string, Placed[]>()
  for (const [i, route] of entries(ctx, 'routes')) {
    const at: Segment[] = ['routes', i]
    const methods = HTTP_METHODS.filter((m) => route[m] !== undefined)
    const [method, second] = methods
    if (!method) {
      ctx.report({ path: at, message: `route has no method: add one of ${HTTP_METHODS.join(', ')} with its path` })
    } else if (second) {
      ctx.report({ path: [...at, second], at: 'key', message: `a route has exactly one method, found ${methods.join(' and ')} (declare one route per method)` })
    }

    if (route.proxy === undefined && route.publish === undefined) ctx.report({ path: at, message: 'route needs an action: add `proxy` or `publish`' })
    if (route.proxy !== undefined && route.publish !== undefined) {
      ctx.report({ path: [...at, 'publish'], at: 'key', message: 'a route either proxies or publishes, not both (remove `proxy` or `publish`)' })
    }

    const path = method ? str(route[method]) : undefined
    if (!method || path === undefined) continue
    const params = checkPath(ctx, path, [...at, method])
    if (params === undefined) continue

    const proxyPath = str(rec(route.proxy).path)
    if (proxyPath !== undefined) {
      const used = checkPath(ctx, proxyPath, [...at, 'proxy', 'path']) ?? []
      for (const p of used.filter((u) => !params.includes(u))) {
        ctx.report({ path: [...at, 'proxy', 'path'], message: `uses :${p}, which the route path ${path} does not define (defined: ${params.map((x) => `:${x}`).join(', ') || 'none'})` })
      }
    }

    checkOverlap(ctx, seen, { index: i, method, path, host: str(route.host)?.toLowerCase() ?? '*', version: str(route.version) }, at)
  }
}

interface Placed {
  index: number
  method: string
  path: string
  host: string
  version: string | undefined
}

/**
 * No two routes may answer the same request: same method, host and path shape (parameter names
 * do not matter to the router: /a/:id and /a/:x answer the same requests) — unless every one of
 * them has a distinct `version`, which the gateway then selects by header. Versions of one
 * endpoint share the exact path, so `:name` parameters mean the same in each.
 */
function checkOverlap(ctx: CheckContext, seen: Map<string, Placed[]>, r: Placed, at: Segment[]): void {
  const shape = r.path.split('/').map((s) => (PARAM.test(s) ? ':' : s)).join('/')
  const key = `${r.method.toUpperCase()} ${r.host} ${shape}`
  const label = (p: Placed): string => `${p.method.toUpperCase()} ${p.path}${p.host === '*' ? '' : ` (host ${p.host})`}${p.version === undefined ? '' : ` version ${p.version}`}`
  const group = seen.get(key)
  if (group === undefined) {
    seen.set(key, [r])
    return
  }
  const earlier = group[0] as Placed
  if (r.version === undefined || earlier.version === undefined) {
    const hint = r.version === earlier.version ? ' (give each a distinct `version` to serve both)' : ' (when routes share a method and path, each needs a distinct `version`)'
    ctx.report({ path: [...at, r.method], message: `${label(r)} conflicts with ${formatPath(['routes', earlier.index])}: ${label(earlier)}${hint}` })
    return
  }
  const same = group.find((p) => p.version === r.version)
  if (same !== undefined) {
    ctx.report({ path: [...at, 'version'], message: `duplicate version: ${label(r)} is also ${formatPath(['routes', same.index])}` })
    return
  }
  if (r.path !== earlier.path) {
    ctx.report({ path: [...at, r.method], message: `versions of one endpoint must use the same path: ${label(r)} vs ${formatPath(['routes', earlier.index])}: ${label(earlier)}` })
    return
  }
  group.push(r)
}

/** Validates a route path template; returns its parameter names, or undefined when malformed. */
function checkPath(ctx: CheckContext, path: string, at: Segment[]): string[] | undefined {
  const problems: string[] = []
  const params: string[] = []
  if (/[?#\s]/.test(path)) problems.push('must not contain a query, fragment or whitespace')
  const segments = path.split('/').slice(1)
  segments.forEach((seg, i) => {
    if (seg === '*') {
      if (i !== segments.length - 1) problems.push('`*` is only allowed as the last segment')
    } else if (seg.startsWith(':')) {
      if (!PARAM.test(seg)) problems.push(`parameter "${seg}" must be a colon and a name of letters, digits and _`)
      else if (params.includes(seg.slice(1))) problems.push(`parameter ${seg} appears twice`)
      else params.push(seg.slice(1))
    } else if (seg === '.' || seg === '..') {
      problems.push('dot segments are not allowed')
    }
  })
  for (const message of problems) ctx.report({ path: at, message: `path ${path}: ${message}` })
  return problems.length === 0 ? params : undefined
}
