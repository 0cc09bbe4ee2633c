/**
 * How policies report: request-time outcomes ({@link ABSENT}, {@link invalid}) and boot-time
 * option errors ({@link optionError}, which names the option's path in the config).
 */
import { SwitchboardError, type ErrorCode } from '../../core/errors.js'
import type { AuthResult } from './policy.js'

/** This method's credentials are not in the request (shared: results are read-only). */
export const ABSENT: AuthResult = Object.freeze({ ok: false, reason: 'absent' }) as AuthResult

/** Credentials present but wrong: the gateway stops and answers `error`. */
export function invalid(code: ErrorCode, message: string, cause?: unknown): AuthResult {
  return { ok: false, reason: 'invalid', error: new SwitchboardError(code, message, cause === undefined ? {} : { cause }) }
}

/** A bad policy option, thrown at boot: `routes[2].auth.jwt.algorithms: …`. */
export function optionError(at: string, message: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError('SB_ERR_CONFIG_INVALID', `${at}: ${message}`, cause === undefined ? {} : { cause })
}
