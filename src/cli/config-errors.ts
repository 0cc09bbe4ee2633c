/** Printing config problems the same way for `validate` and `start`. */
import { ConfigError, formatIssue } from '../config/issues.js'
import { isSwitchboardError } from '../core/errors.js'
import { EXIT, type CliIo } from './io.js'

/** Prints the error and returns the exit code: 2 for a missing file (usage), 1 otherwise. */
export function reportConfigError(io: CliIo, err: unknown): number {
  if (err instanceof ConfigError) {
    for (const issue of err.issues) io.err(formatIssue(issue) + '\n')
    const n = err.issues.length
    io.err(`${n} problem${n === 1 ? '' : 's'} found\n`)
    return err.code === 'SB_ERR_CONFIG_NOT_FOUND' ? EXIT.usage : EXIT.failure
  }
  if (isSwitchboardError(err)) {
    io.err(`error: ${err.code}: ${err.message}\n`)
    return EXIT.failure
  }
  throw err
}
