/**
 * The secret values of a loaded config, so the logger can scrub them from every line whatever
 * field (or message text) they end up in. Field-name redaction (`authorization`, `log.redact`…)
 * catches secrets where they are expected; this catches them where they are not — an error
 * message quoting a URL with a token, a header echoed by a system.
 */
import type { LoadedConfig } from '../config/load.js'

/** Shorter values are not scrubbed: replacing every `abc` in the logs would hide more than secrets. */
export const MIN_SECRET_LENGTH = 6

const REFERENCE = /\$\{(?:env|file):[^}]*\}/g

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * The parts of `resolved` that came from secret references in `written` (`Bearer ${env:T}` and
 * `Bearer abc123` give `abc123`); the whole value when the two cannot be matched.
 */
function secretParts(written: string, resolved: string): string[] {
  const literals = written.split(REFERENCE)
  if (literals.length < 2) return [resolved]
  const pattern = new RegExp(`^${literals.map(escapeRegExp).join('([\\s\\S]*?)')}$`)
  const m = pattern.exec(resolved)
  return m === null ? [resolved] : m.slice(1).filter((p): p is string => p !== undefined)
}

/**
 * Every secret value of the config: for each leaf the loader redacted (it came from a
 * `${env:…}`/`${file:…}` reference), the resolved text of the references, at least
 * {@link MIN_SECRET_LENGTH} characters long, longest first.
 */
export function configSecretValues(loaded: Pick<LoadedConfig, 'config' | 'redacted'>): string[] {
  const out = new Set<string>()
  const visit = (value: unknown, shown: unknown): void => {
    if (typeof shown === 'string' && typeof value === 'string') {
      const m = /^\[redacted ([\s\S]*)\]$/.exec(shown)
      if (m !== null) for (const part of secretParts(m[1] as string, value)) if (part.length >= MIN_SECRET_LENGTH) out.add(part)
      return
    }
    if (typeof value !== 'object' || value === null || typeof shown !== 'object' || shown === null) return
    for (const [k, v] of Object.entries(value)) visit(v, (shown as Record<string, unknown>)[k])
  }
  visit(loaded.config, loaded.redacted)
  return [...out].sort((a, b) => b.length - a.length)
}
