/**
 * Path patterns as routes write them: literal segments, `:name` segments and an optional
 * trailing `*` that matches the rest (captured as param `*`). Matching is on the raw path;
 * captured values are percent-decoded.
 */
export type PathParams = Record<string, string>
export type PathMatcher = (path: string) => PathParams | undefined

export function compilePathPattern(pattern: string): PathMatcher {
  const segments = split(pattern)
  const wildcard = segments.at(-1) === '*'
  const fixed = wildcard ? segments.slice(0, -1) : segments
  return (path) => {
    const parts = split(path)
    if (wildcard ? parts.length < fixed.length : parts.length !== fixed.length) return undefined
    const params: PathParams = {}
    for (let i = 0; i < fixed.length; i++) {
      const want = fixed[i] as string
      const got = parts[i] as string
      if (want.startsWith(':')) {
        const value = decode(got)
        if (value === undefined || value === '') return undefined
        params[want.slice(1)] = value
      } else if (want !== got) {
        return undefined
      }
    }
    if (wildcard) params['*'] = parts.slice(fixed.length).join('/')
    return params
  }
}

/** `/orders/{id}` (OpenAPI) → `/orders/:id`. */
export function openApiPathToPattern(path: string): string {
  return path.replace(/\{([^}/]+)\}/g, ':$1')
}

function split(path: string): string[] {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '')
  return trimmed === '' ? [] : trimmed.split('/')
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s)
  } catch {
    return undefined
  }
}
