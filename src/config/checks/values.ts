/**
 * Combinations of values the schema cannot rule out: a retry schedule whose first delay exceeds
 * its largest, a rate limit with no rate, a JWT check with no key, two servers on one port, a
 * system with nowhere to send calls, and backend URLs Switchboard has no driver for.
 */
import { parseDuration } from '../../core/duration.js'
import { type Segment } from '../paths.js'
import { entries, rec, shown, str, type CheckContext } from './context.js'

export function checkValues(ctx: CheckContext): void {
  checkBackends(ctx)
  checkListen(ctx)
  checkJwt(ctx, rec(ctx.config.auth).jwt, ['auth', 'jwt'])
  for (const [name, raw] of Object.entries(rec(ctx.config.systems))) {
    const system = rec(raw)
    const at: Segment[] = ['systems', name]
    if (system.baseUrl === undefined && system.mock === undefined) {
      ctx.report({ path: [...at, 'baseUrl'], node: at, message: 'missing baseUrl (only a mock system may omit it: add `mock:` to serve it from Switchboard)' })
    }
    checkRetry(ctx, system.retry, [...at, 'retry'])
  }
  for (const [name, channel] of Object.entries(rec(ctx.config.channels))) {
    for (const kind of ['webhook', 'slack']) checkRetry(ctx, rec(rec(channel)[kind]).retry, ['channels', name, kind, 'retry'])
  }
  for (const [name, consumer] of Object.entries(rec(ctx.config.consumers))) checkRateLimit(ctx, rec(consumer).rateLimit, ['consumers', name, 'rateLimit'])
  for (const [i, flow] of entries(ctx, 'flows')) checkRetry(ctx, flow.retry, ['flows', i, 'retry'])
  for (const [i, route] of entries(ctx, 'routes')) {
    checkRateLimit(ctx, route.rateLimit, ['routes', i, 'rateLimit'])
    const auth = route.auth
    const methods: Array<[unknown, Segment[]]> = Array.isArray(auth) ? auth.map((a, j) => [a, ['routes', i, 'auth', j]]) : [[auth, ['routes', i, 'auth']]]
    for (const [method, at] of methods) {
      if (method === 'jwt' && rec(ctx.config.auth).jwt === undefined) {
        ctx.report({ path: at, message: '`jwt` uses the shared settings under `auth.jwt`, which are missing (add them, or write `{ jwt: { jwksUrl: … } }` here)' })
      }
      checkJwt(ctx, rec(method).jwt, [...at, 'jwt'])
    }
    const dep = rec(route.deprecated)
    const since = str(dep.since)
    const sunset = str(dep.sunset)
    if (since !== undefined && sunset !== undefined && sunset < since) {
      ctx.report({ path: ['routes', i, 'deprecated', 'sunset'], message: `sunset ${sunset} is before the deprecation date ${since}` })
    }
  }
}

function checkJwt(ctx: CheckContext, jwt: unknown, at: Segment[]): void {
  if (jwt === undefined) return
  const j = rec(jwt)
  if (j.jwksUrl === undefined && j.key === undefined) ctx.report({ path: at, message: 'JWT verification needs `jwksUrl` or `key`' })
  if (j.jwksUrl !== undefined && j.key !== undefined) ctx.report({ path: [...at, 'key'], at: 'key', message: 'use `jwksUrl` or `key`, not both' })
}

function checkRetry(ctx: CheckContext, retry: unknown, at: Segment[]): void {
  const r = rec(retry)
  const initial = ms(r.initial)
  const max = ms(r.max)
  if (initial !== undefined && max !== undefined && initial > max) {
    ctx.report({ path: [...at, 'initial'], message: `the first delay (${String(r.initial)}) is longer than the largest delay max (${String(r.max)})` })
  }
}

function checkRateLimit(ctx: CheckContext, limit: unknown, at: Segment[]): void {
  if (limit === undefined) return
  const l = rec(limit)
  if (l.perSecond === undefined && l.perMinute === undefined) ctx.report({ path: at, message: 'rate limit needs `perSecond` or `perMinute`' })
  if (l.perSecond !== undefined && l.perMinute !== undefined) ctx.report({ path: [...at, 'perMinute'], at: 'key', message: 'use `perSecond` or `perMinute`, not both' })
}

function checkBackends(ctx: CheckContext): void {
  const store = str(ctx.config.store)
  if (store !== undefined && !/^sqlite:.+/.test(store) && !/^postgres(ql)?:\/\/.+/.test(store)) {
    // Only the scheme is shown: a postgres URL may carry a password.
    ctx.report({ path: ['store'], message: `expected sqlite:PATH, postgres://… or postgresql://…, found ${ctx.secret(['store']) === undefined ? scheme(store) : shown(ctx, ['store'], store)}` })
  }
  const bus = str(ctx.config.bus)
  if (bus !== undefined && bus !== 'store' && !/^nats:\/\/.+/.test(bus)) {
    ctx.report({ path: ['bus'], message: `expected "store" or nats://host:port, found ${ctx.secret(['bus']) === undefined ? scheme(bus) : shown(ctx, ['bus'], bus)}` })
  }
}

function checkListen(ctx: CheckContext): void {
  const listen = rec(ctx.config.listen)
  const gateway = listen.gateway
  if (typeof gateway === 'number' && gateway !== 0 && gateway === listen.admin) {
    ctx.report({ path: ['listen', 'admin'], message: `same port as listen.gateway (${gateway}); the gateway and the admin API need their own ports` })
  }
}

function scheme(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)
  return m ? `a URL with scheme "${m[1]}:"` : `"${url.length > 24 ? `${url.slice(0, 21)}…` : url}"`
}

function ms(value: unknown): number | undefined {
  return typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined
}
