/**
 * Route shape rules the schema cannot express: exactly one method key, exactly one action, a
 * well-formed path, no two routes answering the same request, and proxy paths that only use
 * parameters the route defines.
 */
import { HTTP_METHODS } from '../spec/common.js'
import { formatPath, type Segment } from '../paths.js'
import { entries, rec, str, type CheckContext } from './context.js'

const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/

export function checkRoutes(ctx: CheckContext): void {
  const seen = new Map<string, { index: number; label: string }>()
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

    // Parameter names do not matter to the router: /a/:id and /a/:x answer the same requests.
    const host = str(route.host)?.toLowerCase() ?? '*'
    const shape = path.split('/').map((s) => (PARAM.test(s) ? ':' : s)).join('/')
    const key = `${method.toUpperCase()} ${host} ${shape}`
    const label = `${method.toUpperCase()} ${path}${host === '*' ? '' : ` (host ${host})`}`
    const earlier = seen.get(key)
    if (earlier) {
      ctx.report({ path: [...at, method], message: `${label} conflicts with ${formatPath(['routes', earlier.index])}: ${earlier.label}` })
    } else {
      seen.set(key, { index: i, label })
    }
  }
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
