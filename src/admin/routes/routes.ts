/**
 * The gateway routes of the running config: what is exposed, how callers authenticate, where
 * each route goes, and which are deprecated. Read from the config (the same on every node,
 * including workers, which run no gateway themselves).
 */
import { Type } from '@sinclair/typebox'
import { HTTP_METHODS } from '../../config/spec/common.js'
import type { AuthMethodConfig, RouteConfig } from '../../config/spec/route.js'
import type { AdminRouteModule } from '../route-module.js'
import { ListOf } from '../schemas.js'

const AUTH_KINDS = ['none', 'apiKey', 'jwt', 'webhook'] as const
type AuthKind = (typeof AUTH_KINDS)[number]

const NullableString = (description?: string) => Type.Union([Type.String(), Type.Null()], description ? { description } : {})

const RouteView = Type.Object({
  id: Type.String(),
  method: Type.String({ description: 'Upper case.' }),
  path: Type.String(),
  host: NullableString('Only requests for this Host match.'),
  version: NullableString(),
  owner: NullableString(),
  description: NullableString(),
  auth: Type.Array(Type.Union(AUTH_KINDS.map((k) => Type.Literal(k))), { description: 'Accepted authentication kinds (any one suffices); `none` means anonymous callers are let in.' }),
  scopes: Type.Array(Type.String(), { description: 'Scopes the consumer must hold.' }),
  consumers: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'Only these consumers may call it (null: any).' }),
  target: Type.Union([
    Type.Object({ type: Type.Literal('proxy'), system: Type.String(), method: Type.String(), path: Type.String() }),
    Type.Object({ type: Type.Literal('publish'), topic: Type.String() }),
  ]),
  deprecated: Type.Union(
    [Type.Object({ since: NullableString('YYYY-MM-DD'), sunset: NullableString('YYYY-MM-DD: removal date.'), successor: NullableString('Replacement URL or path.') }), Type.Null()],
    { description: 'Null when the route is not deprecated.' },
  ),
})

function authKind(m: AuthMethodConfig): AuthKind {
  if (typeof m === 'string') return m
  if ('apiKey' in m) return 'apiKey'
  if ('jwt' in m) return 'jwt'
  return 'webhook'
}

function routeView(r: RouteConfig) {
  const key = HTTP_METHODS.find((m) => r[m] !== undefined) ?? 'get'
  const method = key.toUpperCase()
  const path = r[key] ?? ''
  const methods: AuthMethodConfig[] = r.auth === undefined ? ['none'] : Array.isArray(r.auth) ? r.auth : [r.auth as AuthMethodConfig]
  const d = r.deprecated
  return {
    id: r.id,
    method,
    path,
    host: r.host ?? null,
    version: r.version ?? null,
    owner: r.owner ?? null,
    description: r.description ?? null,
    auth: [...new Set(methods.map(authKind))],
    scopes: [...(r.scopes ?? [])],
    consumers: r.consumers ? [...r.consumers] : null,
    target: r.proxy
      ? { type: 'proxy' as const, system: r.proxy.system, method: r.proxy.method ?? method, path: r.proxy.path ?? path }
      : { type: 'publish' as const, topic: r.publish?.topic ?? '' },
    deprecated: d === undefined ? null : d === true ? { since: null, sunset: null, successor: null } : { since: d.since ?? null, sunset: d.sunset ?? null, successor: d.successor ?? null },
  }
}

export const registerRouteRoutes: AdminRouteModule = (app, deps) => {
  app.get(
    '/v1/routes',
    {
      schema: { summary: 'Gateway routes, in config order', tags: ['routes'], response: { 200: ListOf(RouteView) } },
    },
    async () => ({ items: (deps.config().config.routes ?? []).map(routeView) }),
  )
}
