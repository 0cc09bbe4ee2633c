/** `switchboard init [FILE] [--force]`: write a commented starter config. */
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { DEFAULT_CONFIG_FILE, type CliContext } from '../context.js'
import { EXIT } from '../io.js'
import { STARTER_CONFIG } from '../starter-config.js'

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('Write a commented starter config that validates as written')
    .argument('[file]', 'where to write it', DEFAULT_CONFIG_FILE)
    .option('-f, --force', 'overwrite an existing file')
    .action(async (file: string, opts: { force?: boolean }) => {
      const path = resolve(ctx.io.cwd, file)
      try {
        // 'wx' fails atomically when the file exists: no check-then-write race.
        await writeFile(path, STARTER_CONFIG, { flag: opts.force ? 'w' : 'wx' })
      } catch (err) {
        const code = (err as { code?: string }).code
        if (code === 'EEXIST') {
          ctx.io.err(`error: ${file} already exists; use --force to overwrite it\n`)
          ctx.exitCode = EXIT.failure
          return
        }
        ctx.io.err(`error: cannot write ${file}: ${(err as Error).message}\n`)
        ctx.exitCode = EXIT.failure
        return
      }
      ctx.io.out(`wrote ${file}\nnext: switchboard validate -c ${file} && switchboard start -c ${file}\n`)
      ctx.exitCode = EXIT.ok
    })
}
