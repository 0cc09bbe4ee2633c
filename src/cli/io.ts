/** The CLI's outside world, injectable so tests can call `main()` and read what it printed. */
export interface CliIo {
  out(text: string): void
  err(text: string): void
  env: Record<string, string | undefined>
  cwd: string
  /** Everything on standard input, as text (`switchboard publish TOPIC -`). */
  readStdin?(): Promise<string>
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
    return Buffer.concat(chunks).toString('utf8')
  },
}

/** Exit codes: 0 success, 1 failure (invalid config, API error), 2 usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

/** A usage problem found by a command itself (commander finds the rest). */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
