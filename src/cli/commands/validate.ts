/** `switchboard validate [-c FILE]`: exit 0 and one summary line, or 1 and every issue. */
import type { Command } from 'commander'
import { loadConfig, type LoadedConfig } from '../../config/load.js'
import { reportConfigError } from '../config-errors.js'
import { DEFAULT_CONFIG_FILE, type CliContext } from '../context.js'
import { EXIT } from '../io.js'

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('Check a config file against the schema and its cross-references; print every problem as file:line:col path: message')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_FILE)
    .action(async (opts: { config: string }) => {
      try {
        const loaded = await loadConfig(opts.config, { env: ctx.io.env })
        ctx.io.out(`${opts.config}: valid (${describeCounts(loaded)})\n`)
        ctx.exitCode = EXIT.ok
      } catch (err) {
        ctx.exitCode = reportConfigError(ctx.io, err)
      }
    })
}

export function describeCounts(loaded: LoadedConfig): string {
  const c = loaded.config
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`
  return [
    n(Object.keys(c.systems ?? {}).length, 'system'),
    n(Object.keys(c.consumers ?? {}).length, 'consumer'),
    n((c.routes ?? []).length, 'route'),
    n(Object.keys(c.topics ?? {}).length, 'topic'),
    n((c.flows ?? []).length, 'flow'),
    n((c.pollers ?? []).length, 'poller'),
  ].join(', ')
}
