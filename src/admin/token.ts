/**
 * Where the admin token comes from, in order: `admin.token` in the config, the
 * SWITCHBOARD_ADMIN_TOKEN environment variable, or — in development mode only — a token
 * generated on first start. A generated token is shown once (the caller prints it) and only its
 * SHA-256 is stored (`admin.token.sha256` in the settings), so later starts accept the same
 * token without ever having it on disk. Production never gets a generated default.
 */
import { SwitchboardError } from '../core/errors.js'
import { newSecretToken } from '../core/ids.js'
import { hashSecret, safeEqual } from '../core/secrets.js'
import type { SettingsRepo } from '../store/contract.js'

export const ADMIN_TOKEN_SETTING = 'admin.token.sha256'
export const ADMIN_TOKEN_ENV = 'SWITCHBOARD_ADMIN_TOKEN'
const MIN_TOKEN_LENGTH = 16

export type AdminTokenSource = 'config' | 'env' | 'stored' | 'generated'

export interface ResolvedAdminToken {
  source: AdminTokenSource
  /** Constant-time check of a presented token. */
  verify(token: string): boolean
  /** The new token, only when this call generated it (print it once, then forget it). */
  generated?: string
}

export interface ResolveAdminTokenOptions {
  /** `admin.token` from the config (secret reference already resolved). */
  configured?: string | undefined
  env: Record<string, string | undefined>
  mode: 'development' | 'production'
  settings: SettingsRepo
}

export async function resolveAdminToken(options: ResolveAdminTokenOptions): Promise<ResolvedAdminToken> {
  if (options.configured !== undefined && options.configured !== '') return fixed('config', options.configured)
  const fromEnv = options.env[ADMIN_TOKEN_ENV]
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_TOKEN_LENGTH) {
      throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${ADMIN_TOKEN_ENV} must be at least ${MIN_TOKEN_LENGTH} characters long`)
    }
    return fixed('env', fromEnv)
  }
  if (options.mode === 'production') {
    throw new SwitchboardError(
      'SB_ERR_ADMIN_TOKEN_REQUIRED',
      `mode is production but no admin token is configured: set admin.token (e.g. "\${env:${ADMIN_TOKEN_ENV}}") or export ${ADMIN_TOKEN_ENV}`,
    )
  }
  const stored = await options.settings.get(ADMIN_TOKEN_SETTING)
  if (stored !== undefined) return hashed('stored', stored)
  const token = newSecretToken('sbadm')
  // Two processes starting on one fresh store: only the first one's token is kept.
  if (await options.settings.setIfAbsent(ADMIN_TOKEN_SETTING, hashSecret(token))) {
    return { ...hashed('generated', hashSecret(token)), generated: token }
  }
  const winner = await options.settings.get(ADMIN_TOKEN_SETTING)
  if (winner === undefined) throw new SwitchboardError('SB_ERR_STORE_UNAVAILABLE', 'the admin token hash could not be read back')
  return hashed('stored', winner)
}

/**
 * Replaces the stored token hash with a new generated token and returns the token (for
 * `switchboard admin-token reset`, when the printed one was lost).
 */
export async function resetStoredAdminToken(settings: SettingsRepo): Promise<string> {
  const token = newSecretToken('sbadm')
  await settings.set(ADMIN_TOKEN_SETTING, hashSecret(token))
  return token
}

/** The banner printed once to stderr when a token was generated. */
export function adminTokenBanner(token: string, adminUrl: string): string {
  const line = '='.repeat(78)
  return [
    '',
    line,
    '  Switchboard generated an admin API token. It is shown ONLY THIS ONCE:',
    '',
    `    ${token}`,
    '',
    '  Use it as a bearer token, e.g.:',
    `    curl -H "Authorization: Bearer ${token}" ${adminUrl}/v1/config`,
    `    export ${ADMIN_TOKEN_ENV}=${token}   # for the switchboard CLI`,
    '',
    '  Only its hash is stored. Lost it? Run `switchboard admin-token reset -c FILE`.',
    '  In production set admin.token or SWITCHBOARD_ADMIN_TOKEN instead.',
    line,
    '',
  ].join('\n')
}

function fixed(source: AdminTokenSource, expected: string): ResolvedAdminToken {
  return { source, verify: (token) => safeEqual(token, expected) }
}

function hashed(source: AdminTokenSource, expectedHash: string): ResolvedAdminToken {
  return { source, verify: (token) => safeEqual(hashSecret(token), expectedHash) }
}
