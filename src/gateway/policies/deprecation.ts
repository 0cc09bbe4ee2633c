/**
 * `deprecated`: responses of a deprecated route say so — `Deprecation` (RFC 9745: `@<epoch
 * seconds>` of the deprecation date; `true`, the draft form, when no date is given), `Sunset`
 * (RFC 8594, an HTTP-date) and `Link: <successor>; rel="successor-version"` (RFC 5829). The
 * headers are computed once at boot and sent on every answer, errors included.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { SwitchboardError } from '../../core/errors.js'
import type { RouteDeprecationConfig } from '../../config/spec/route.js'

function dateMs(value: string, where: string): number {
  const ms = Date.parse(`${value}T00:00:00Z`)
  if (Number.isNaN(ms)) throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: "${value}" is not a date (YYYY-MM-DD)`)
  return ms
}

/** The static headers for a deprecated route, or undefined when it is not deprecated. */
export function deprecationHeaders(config: RouteDeprecationConfig | undefined, where: string): OutgoingHttpHeaders | undefined {
  if (config === undefined) return undefined
  if (config === true) return { deprecation: 'true' }
  const out: OutgoingHttpHeaders = {}
  out.deprecation = config.since === undefined ? 'true' : `@${Math.floor(dateMs(config.since, `${where}.since`) / 1000)}`
  if (config.sunset !== undefined) out.sunset = new Date(dateMs(config.sunset, `${where}.sunset`)).toUTCString()
  if (config.successor !== undefined) {
    if (/[\r\n<>]/.test(config.successor)) throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}.successor: must be a URL or path without <, > or line breaks`)
    out.link = `<${config.successor}>; rel="successor-version"`
  }
  return out
}
