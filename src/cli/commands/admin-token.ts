/**
 * `switchboard admin-token reset [-c FILE]`: replace the generated admin token (when the one
 * printed on first start was lost). Works on the store directly, so the node may be stopped;
 * a running node keeps accepting the old token until it restarts.
 */
import type { Command } from 'commander'
import { resetStoredAdminToken } from '../../admin/token.js'
import { loadConfig } from '../../config/load.js'
import { openStore } from '../../store/open.js'
import { reportConfigError } from '../config-errors.js'
import { DEFAULT_CONFIG_FILE, type CliContext } from '../context.js'
import { EXIT } from '../io.js'

export function registerAdminToken(program: Command, ctx: CliContext): void {
  const cmd = program.command('admin-token').description('Manage the generated admin API token (development mode)')
  cmd
    .command('reset')
    .description('Generate a new admin token, store its hash and print it once (restart the node to use it)')
    .option('-c, --config <file>', 'config file (for its store)', DEFAULT_CONFIG_FILE)
    .action(async (opts: { config: string }) => {
      let loaded
      try {
        loaded = await loadConfig(opts.config, { env: ctx.io.env })
      } catch (err) {
        ctx.exitCode = reportConfigError(ctx.io, err)
        return
      }
      const cfg = loaded.config
      if (cfg.admin?.token !== undefined || ctx.io.env.SWITCHBOARD_ADMIN_TOKEN) {
        ctx.io.err('error: the admin token comes from admin.token or SWITCHBOARD_ADMIN_TOKEN; change it there\n')
        ctx.exitCode = EXIT.failure
        return
      }
      const store = await openStore(cfg.store ?? 'sqlite:./data/switchboard.db', { cwd: ctx.io.cwd })
      try {
        await store.migrate()
        const token = await resetStoredAdminToken(store.settings)
        await store.audit.append({ at: Date.now(), actor: 'cli', action: 'admin.token.reset', target: null })
        ctx.io.out(`${token}\n`)
        ctx.io.err('new admin token printed above (shown only once); restart switchboard to use it\n')
        ctx.exitCode = EXIT.ok
      } finally {
        await store.close()
      }
    })
}
