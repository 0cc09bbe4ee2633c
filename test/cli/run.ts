/** Runs the CLI in-process and captures what it printed. */
import { main } from '../../src/cli/main.js'

export interface CliRun {
  code: number
  out: string
  err: string
}

export async function runCli(args: string[], env: Record<string, string | undefined> = {}, cwd = process.cwd()): Promise<CliRun> {
  let out = ''
  let err = ''
  const code = await main(['node', 'switchboard', ...args], { out: (s) => void (out += s), err: (s) => void (err += s), env, cwd })
  return { code, out, err }
}
