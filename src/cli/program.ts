/**
 * The `switchboard` command tree. Built fresh per call (commander keeps parse state), and also
 * used to generate docs/reference/cli.md from the help output.
 */
import { Command } from 'commander'
import { registerAdminToken } from './commands/admin-token.js'
import { registerAlerts } from './commands/alerts.js'
import { registerDeliveries } from './commands/deliveries.js'
import { registerDlq } from './commands/dlq.js'
import { registerInit } from './commands/init.js'
import { registerKeys } from './commands/keys.js'
import { registerOperate } from './commands/operate.js'
import { registerPollers } from './commands/pollers.js'
import { registerPublish } from './commands/publish.js'
import { registerRoutes } from './commands/routes.js'
import { registerStart } from './commands/start.js'
import { registerStatus } from './commands/status.js'
import { registerValidate } from './commands/validate.js'
import type { CliContext } from './context.js'
import { VERSION } from './version.js'

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('switchboard')
  // Settings first: subcommands copy them when they are created.
  program
    .description('Switchboard: an integration hub (API gateway, durable event flows, health and governance)')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) })
    .configureHelp({ sortSubcommands: false, helpWidth: 100 })
  registerStart(program, ctx)
  registerValidate(program, ctx)
  registerInit(program, ctx)
  registerOperate(program, ctx)
  registerStatus(program, ctx)
  registerAlerts(program, ctx)
  registerPublish(program, ctx)
  registerDeliveries(program, ctx)
  registerDlq(program, ctx)
  registerPollers(program, ctx)
  registerKeys(program, ctx)
  registerRoutes(program, ctx)
  registerAdminToken(program, ctx)
  return program
}
