/**
 * `host:` of a route as a router constraint. The Host header carries the port when it is not
 * the default one, so the constraint accepts any port; `*.example.com` matches exactly one
 * subdomain level. Matching is case-insensitive, like DNS.
 */
import { SwitchboardError } from '../../core/errors.js'

const HOST_RE = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/

export function hostConstraint(host: string, where: string): RegExp {
  if (!HOST_RE.test(host)) throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: "${host}" is not a host name (optionally starting with "*.")`)
  const wildcard = host.startsWith('*.')
  const rest = (wildcard ? host.slice(2) : host).replace(/\./g, '\\.')
  return new RegExp(`^${wildcard ? '[A-Za-z0-9-]+\\.' : ''}${rest}(?::\\d+)?$`, 'i')
}
