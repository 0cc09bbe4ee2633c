/**
 * Static credentials: API key (header or query parameter), bearer token, HTTP Basic. Each is
 * computed once at boot, so applying it is one property write (or one string concat).
 */
import type { OutboundAuth, OutboundCall } from './contract.js'

/** Sets one header to a fixed value (bearer, basic, API key in a header). */
export function headerAuth(type: string, name: string, value: string): OutboundAuth {
  const header = name.toLowerCase()
  return {
    type,
    apply(call: OutboundCall): void {
      call.headers[header] = value
    },
  }
}

export function bearerAuth(token: string): OutboundAuth {
  return headerAuth('bearer', 'authorization', `Bearer ${token}`)
}

export function basicAuth(username: string, password: string): OutboundAuth {
  return headerAuth('basic', 'authorization', `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`)
}

/**
 * API key as a query parameter. Any parameter of the same name the caller sent is removed first,
 * so a gateway client cannot smuggle in a key of its choosing ahead of ours.
 */
export function queryKeyAuth(param: string, value: string): OutboundAuth {
  const encodedName = encodeURIComponent(param)
  const pair = `${encodedName}=${encodeURIComponent(value)}`
  return {
    type: 'apiKey',
    apply(call: OutboundCall): void {
      const q = call.path.indexOf('?')
      if (q < 0) {
        call.path = `${call.path}?${pair}`
        return
      }
      const query = call.path.slice(q + 1)
      const kept = query === '' ? [] : query.split('&').filter((p) => !sameName(p, param, encodedName))
      kept.push(pair)
      call.path = `${call.path.slice(0, q)}?${kept.join('&')}`
    },
  }
}

function sameName(pair: string, name: string, encodedName: string): boolean {
  const eq = pair.indexOf('=')
  const raw = eq < 0 ? pair : pair.slice(0, eq)
  if (raw === encodedName || raw === name) return true
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')) === name
  } catch {
    return false
  }
}
