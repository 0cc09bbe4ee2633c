/**
 * Versions of one endpoint: routes that share a method, path and host and differ by `version`.
 * fastify registers such a group once, with a handler that picks the route by the request's
 * version header (`versioning.header`, `Api-Version` by default) — or, without the header, by
 * `versioning.default`. Unversioned routes are registered as they are, so they pay nothing.
 *
 * Picking, per request: one header read and one Map lookup. A version the group does not have
 * is 400 SB_ERR_GATEWAY_VERSION_UNKNOWN listing the versions that exist; no header with
 * `default: required` (and several versions) is 400 SB_ERR_GATEWAY_VERSION_REQUIRED.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { OutgoingHttpHeaders } from 'node:http'
import { SwitchboardError } from '../../core/errors.js'
import type { VersioningConfig } from '../../config/spec/root.js'
import type { CorsPolicy } from '../policies/cors.js'
import { refuse } from '../refuse.js'

export type RouteHandler = (request: FastifyRequest, reply: FastifyReply) => void

export interface Versioning {
  /** Header name as configured (echoed in answers and `Vary`). */
  header: string
  /** The same, lower-case (how Node exposes request headers). */
  headerKey: string
  default: 'oldest' | 'newest' | 'required'
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/

export function versioningOptions(config: VersioningConfig | undefined): Versioning {
  const header = config?.header ?? 'Api-Version'
  if (!TOKEN.test(header)) throw configError(`versioning.header: "${header}" is not a header name`)
  return { header, headerKey: header.toLowerCase(), default: config?.default ?? 'oldest' }
}

/** What the server needs of a compiled route to register it. */
export interface Routable {
  id: string
  method: string
  path: string
  host: RegExp | undefined
  version: string | undefined
  deprecated: boolean
  cors: CorsPolicy | undefined
  handler: RouteHandler
}

/** One fastify route: a plain route, or the dispatcher of a version group. */
export interface Registration {
  method: string
  path: string
  host: RegExp | undefined
  /** The CORS policy answering preflights for this method (a group's default version's). */
  cors: CorsPolicy | undefined
  handler: RouteHandler
  /** For registration errors. */
  label: string
}

const CHUNK = /(\d+)|(\D+)/g

/**
 * Natural order of version labels: digit runs compare as numbers, other runs as text, so
 * `v2` < `v10`, `1.9` < `1.10` and ISO dates sort by date.
 */
export function compareVersions(a: string, b: string): number {
  const x = a.match(CHUNK) ?? []
  const y = b.match(CHUNK) ?? []
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as string
    const q = y[i] as string
    const pn = /^\d/.test(p)
    const qn = /^\d/.test(q)
    const d = pn && qn ? Number(p) - Number(q) : p < q ? -1 : p > q ? 1 : 0
    if (d !== 0) return d
  }
  return x.length - y.length || (a < b ? -1 : a > b ? 1 : 0)
}

function configError(message: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_CONFIG_INVALID', message)
}

/** The fastify routes for `routes`: one per unversioned route, one per version group. */
export function registrations(routes: readonly Routable[], v: Versioning): Registration[] {
  const groups = new Map<string, Routable[]>()
  for (const r of routes) {
    const key = `${r.method} ${r.host?.source.toLowerCase() ?? ''} ${r.path}`
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [r])
    else group.push(r)
  }
  const out: Registration[] = []
  for (const group of groups.values()) {
    const first = group[0] as Routable
    if (group.length === 1 && first.version === undefined) {
      out.push({ method: first.method, path: first.path, host: first.host, cors: first.cors, handler: first.handler, label: first.id })
      continue
    }
    out.push(versionGroup(group, v))
  }
  return out
}

function versionGroup(group: readonly Routable[], v: Versioning): Registration {
  const first = group[0] as Routable
  const byVersion = new Map<string, Routable>()
  for (const r of group) {
    const where = `route "${r.id}": ${r.method} ${r.path}`
    if (r !== first && (r.version === undefined || first.version === undefined)) {
      throw configError(`${where} is also route "${first.id}"; when routes share a method and path, each needs a distinct \`version\``)
    }
    if (r.version === undefined) continue
    const same = byVersion.get(r.version)
    if (same !== undefined) throw configError(`${where}: version "${r.version}" is also route "${same.id}"`)
    byVersion.set(r.version, r)
  }
  const sorted = [...byVersion.values()].sort((a, b) => compareVersions(a.version as string, b.version as string))
  const versions = sorted.map((r) => r.version as string)
  const fallback = defaultRoute(sorted, v.default)
  const handlers = new Map<string, RouteHandler>(sorted.map((r) => [r.version as string, r.handler]))
  const fallbackHandler = fallback?.handler
  const key = v.headerKey
  const refusalHeaders: OutgoingHttpHeaders = { vary: v.header }

  const handler: RouteHandler = (request, reply) => {
    const asked = request.raw.headers[key]
    const chosen = asked === undefined ? fallbackHandler : typeof asked === 'string' ? handlers.get(asked) : undefined
    if (chosen !== undefined) {
      chosen(request, reply)
      return
    }
    reply.hijack()
    refuse(request.raw, reply.raw, versionProblem(asked, versions, v.header, `${first.method} ${request.url.split('?')[0] ?? '/'}`), refusalHeaders)
  }
  return {
    method: first.method,
    path: first.path,
    host: first.host,
    cors: fallback?.cors ?? sorted.find((r) => r.cors !== undefined)?.cors,
    handler,
    label: sorted.map((r) => r.id).join(', '),
  }
}

/**
 * The version a request without the header gets. A lone version always answers (the header is
 * then only checked when sent); `required` applies when there is a choice to make.
 */
function defaultRoute(sorted: readonly Routable[], policy: Versioning['default']): Routable | undefined {
  if (sorted.length === 1) return sorted[0]
  if (policy === 'oldest') return sorted[0]
  if (policy === 'required') return undefined
  const current = sorted.filter((r) => !r.deprecated)
  return current[current.length - 1] ?? sorted[sorted.length - 1]
}

function versionProblem(asked: string | string[] | undefined, versions: readonly string[], header: string, what: string): SwitchboardError {
  const details = { versions: [...versions] }
  const available = versions.join(', ')
  if (asked === undefined) {
    return new SwitchboardError('SB_ERR_GATEWAY_VERSION_REQUIRED', `${what.slice(0, 200)} has several versions (${available}); name one in the ${header} header`, { details })
  }
  const shown = JSON.stringify(String(asked).slice(0, 64))
  return new SwitchboardError('SB_ERR_GATEWAY_VERSION_UNKNOWN', `${what.slice(0, 200)} has no version ${shown} (available: ${available})`, { details })
}
