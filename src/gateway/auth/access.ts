/**
 * Authorisation after authentication: required scopes, the route's allowed consumers, and the
 * client IP allow/deny lists. The 401/403 line: an anonymous caller (`auth: none`, or optional
 * auth without credentials) lacking what a route requires gets 401 SB_ERR_AUTH_MISSING (send
 * credentials); an authenticated caller lacking it gets 403 (these credentials will never do).
 */
import { BlockList, isIP } from 'node:net'
import { SwitchboardError } from '../../core/errors.js'
import { optionError } from './errors.js'
import type { Principal } from './policy.js'

function anonymous(principal: Principal): boolean {
  return principal.method === 'none'
}

const MISSING = (why: string) => new SwitchboardError('SB_ERR_AUTH_MISSING', why)

/** The first required scope the principal lacks, as an error; undefined when all are held. */
export function requireScopes(principal: Principal, scopes: readonly string[]): SwitchboardError | undefined {
  for (const s of scopes) {
    if (principal.scopes.includes(s)) continue
    if (anonymous(principal)) return MISSING(`this route requires scope "${s}"; send credentials`)
    return new SwitchboardError('SB_ERR_AUTH_FORBIDDEN_SCOPE', `missing scope "${s}"`, { details: { missingScope: s } })
  }
  return undefined
}

/** Error unless the principal's consumer is in `allowed`. */
export function requireConsumer(principal: Principal, allowed: ReadonlySet<string>): SwitchboardError | undefined {
  if (principal.consumer !== null && allowed.has(principal.consumer)) return undefined
  if (anonymous(principal)) return MISSING('this route is restricted to some consumers; send credentials')
  return new SwitchboardError(
    'SB_ERR_AUTH_FORBIDDEN_CONSUMER',
    principal.consumer === null ? 'the credentials map to no consumer allowed on this route' : `consumer "${principal.consumer}" may not call this route`,
  )
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; zone ids (`fe80::1%eth0`) dropped. */
export function normalizeIp(ip: string): string {
  const bare = ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare)
  return mapped?.[1] ?? bare
}

function compileList(entries: readonly string[], at: string): BlockList {
  const list = new BlockList()
  entries.forEach((raw, i) => {
    const where = `${at}[${i}]`
    const slash = raw.indexOf('/')
    const addr = normalizeIp((slash < 0 ? raw : raw.slice(0, slash)).trim())
    const family = isIP(addr)
    if (family === 0) throw optionError(where, `"${raw}" is not an IP address or CIDR`)
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (slash < 0) {
      list.addAddress(addr, type)
      return
    }
    const prefixText = raw.slice(slash + 1).trim()
    const prefix = Number(prefixText)
    const max = family === 4 ? 32 : 128
    if (!/^[0-9]{1,3}$/.test(prefixText) || prefix > max) throw optionError(where, `"${raw}" has an invalid prefix length (0–${max} for IPv${family})`)
    list.addSubnet(addr, prefix, type)
  })
  return list
}

export interface IpRules {
  allow?: readonly string[]
  deny?: readonly string[]
}

/**
 * Compile a route's `ip` rules (throws at boot naming a bad entry, e.g. `routes[1].ip.allow[2]`).
 * The returned check denies when the address matches `deny`, or when `allow` is set and the
 * address matches none of it (an unparseable address never matches an allow list).
 */
export function ipFilter(rules: IpRules, at = 'ip'): (ip: string) => SwitchboardError | undefined {
  if (rules.allow !== undefined && rules.allow.length === 0) throw optionError(`${at}.allow`, 'an empty allow list would refuse every client; remove it or list networks')
  const deny = rules.deny?.length ? compileList(rules.deny, `${at}.deny`) : undefined
  const allow = rules.allow ? compileList(rules.allow, `${at}.allow`) : undefined
  return (ip) => {
    const addr = normalizeIp(ip)
    const family = isIP(addr)
    const type = family === 6 ? 'ipv6' : 'ipv4'
    const denied = (deny !== undefined && family !== 0 && deny.check(addr, type)) || (allow !== undefined && (family === 0 || !allow.check(addr, type)))
    return denied ? new SwitchboardError('SB_ERR_AUTH_IP_DENIED', 'the client address is not allowed on this route') : undefined
  }
}

export interface AccessRules {
  scopes?: readonly string[]
  consumers?: readonly string[]
  ip?: IpRules
}

export interface Access {
  /** Before authentication (cheap, and spares JWT work for denied addresses). */
  checkIp(ip: string): SwitchboardError | undefined
  /** After authentication: allowed consumer, then scopes. */
  checkPrincipal(principal: Principal): SwitchboardError | undefined
}

/** A route's access rules, compiled at boot. `at` names the route (`routes[3]`) in errors. */
export function buildAccess(rules: AccessRules, at = 'route'): Access {
  const ip = rules.ip ? ipFilter(rules.ip, `${at}.ip`) : undefined
  const consumers = rules.consumers ? new Set(rules.consumers) : undefined
  const scopes = rules.scopes ?? []
  return {
    checkIp: (addr) => ip?.(addr),
    checkPrincipal: (p) => (consumers ? requireConsumer(p, consumers) : undefined) ?? (scopes.length > 0 ? requireScopes(p, scopes) : undefined),
  }
}
