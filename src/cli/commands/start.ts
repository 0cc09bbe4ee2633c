/** `switchboard start [-c FILE] [--role all|gateway|worker]`: run a node until SIGINT/SIGTERM. */
import { Option, type Command } from 'commander'
import { ROLES, startHub, type Role } from '../../runtime/hub.js'
import { stopOnSignals } from '../../runtime/signals.js'
import { reportConfigError } from '../config-errors.js'
import { DEFAULT_CONFIG_FILE, type CliContext } from '../context.js'
import { VERSION } from '../version.js'

export function registerStart(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('Start Switchboard: admin API, gateway, flows and mock systems from a config file')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_FILE)
    .addOption(new Option('--role <role>', 'what this node runs').choices([...ROLES]).default('all'))
    .action(async (opts: { config: string; role: Role }) => {
      let hub
      try {
        hub = await startHub({ configFile: opts.config, role: opts.role, env: ctx.io.env, cwd: ctx.io.cwd, version: VERSION, stderr: { write: ctx.io.err } })
      } catch (err) {
        ctx.exitCode = reportConfigError(ctx.io, err)
        return
      }
      ctx.exitCode = await stopOnSignals(hub)
      // Everything is closed; if a stray handle still keeps the loop alive, do not hang.
      setTimeout(() => process.exit(ctx.exitCode), 2000).unref()
    })
}
