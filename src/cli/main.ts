/**
 * The `switchboard` CLI. `main(process.argv)` resolves with the exit code: 0 success, 1 failure
 * (invalid config, API error), 2 usage error (unknown option, missing config file).
 */
import { CommanderError } from 'commander'
import type { CliContext } from './context.js'
import { EXIT, UsageError, processIo, type CliIo } from './io.js'
import { buildProgram } from './program.js'

export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const ctx: CliContext = { io: { ...processIo, ...io }, exitCode: EXIT.ok }
  const program = buildProgram(ctx)
  try {
    await program.parseAsync([...argv])
    return ctx.exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage
    }
    if (err instanceof UsageError) {
      ctx.io.err(`error: ${err.message}\n`)
      return EXIT.usage
    }
    ctx.io.err(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    return EXIT.failure
  }
}
