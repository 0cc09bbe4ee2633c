/**
 * Shared plumbing of the commands that talk to a running node through the admin API:
 * `--url`, `--token`, `--json`, and printing API errors (exit 1).
 */
import type { Command } from 'commander'
import { AdminApiError, AdminClient, DEFAULT_ADMIN_URL, formatApiError } from './client.js'
import type { CliContext } from './context.js'
import { EXIT, UsageError } from './io.js'

export interface AdminCommandOptions {
  url?: string
  token?: string
  json?: boolean
}

/**
 * Adds the admin options to `cmd` and runs `run` with a client; API errors print and exit 1.
 * `run` may resolve with an exit code of its own (`switchboard status`); otherwise it is 0.
 */
export function adminAction<A extends unknown[]>(
  cmd: Command,
  ctx: CliContext,
  run: (client: AdminClient, opts: AdminCommandOptions & Record<string, unknown>, ...args: A) => Promise<void | number>,
): Command {
  return cmd
    .option('--url <url>', `admin API URL (env SWITCHBOARD_URL, default ${DEFAULT_ADMIN_URL})`)
    .option('--token <token>', 'admin token (env SWITCHBOARD_ADMIN_TOKEN)')
    .option('--json', 'print JSON instead of a table')
    .action(async (...received: unknown[]) => {
      // commander passes the positional arguments, then the options, then the command.
      const opts = received.at(-2) as AdminCommandOptions & Record<string, unknown>
      const args = received.slice(0, -2) as A
      const client = new AdminClient({ url: opts.url, token: opts.token, env: ctx.io.env })
      try {
        const code = await run(client, opts, ...args)
        ctx.exitCode = typeof code === 'number' ? code : EXIT.ok
      } catch (err) {
        if (!(err instanceof AdminApiError)) throw err
        ctx.io.err(formatApiError(err))
        ctx.exitCode = EXIT.failure
      }
    })
}

/** A plain text table: a header row and aligned columns. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n') + '\n'
}

/**
 * A user-given value as one URL path segment. `.` and `..` are refused: URL parsing would turn
 * them into a different admin endpoint (`keys revoke ..` must not become `DELETE /v1/`).
 */
export function pathSegment(value: string, what: string): string {
  if (value === '' || value === '.' || value === '..') throw new UsageError(`${what} "${value}" is not valid`)
  return encodeURIComponent(value)
}
