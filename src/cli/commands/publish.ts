/**
 * `switchboard publish <topic> <file|->`: publish one event through the admin API. The JSON body
 * comes from a file or standard input; `--id` sets the event id (dedupe: the same id again is
 * accepted but not delivered twice), `--key` the ordering key. Exit 0 once the node committed
 * the event; 1 when it refused it (the violations are printed).
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { adminAction, pathSegment } from '../admin-command.js'
import type { CliContext } from '../context.js'
import { UsageError } from '../io.js'

interface Accepted {
  id: string
  topic: string
  duplicate: boolean
}

/** Bytes read from a file or stdin at most (the admin API refuses bodies over 1 MiB anyway). */
const MAX_INPUT_BYTES = 1_048_576

async function readInput(ctx: CliContext, source: string): Promise<string> {
  if (source === '-') {
    if (!ctx.io.readStdin) throw new UsageError('standard input is not available')
    return ctx.io.readStdin()
  }
  try {
    const text = await readFile(resolve(ctx.io.cwd, source), 'utf8')
    if (Buffer.byteLength(text) > MAX_INPUT_BYTES) throw new UsageError(`${source} is larger than ${MAX_INPUT_BYTES} bytes`)
    return text
  } catch (err) {
    if (err instanceof UsageError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new UsageError(`cannot read ${source}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`)
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new UsageError(`${source === '-' ? 'standard input' : source} is not valid JSON: ${(err as Error).message}`)
  }
}

export function registerPublish(program: Command, ctx: CliContext): void {
  adminAction(
    program
      .command('publish')
      .description('Publish an event to a topic (validated against the topic schema; answered once it is stored)')
      .argument('<topic>', 'topic name (see `topics:` in the config)')
      .argument('<file>', 'JSON file with the event body, or - for standard input')
      .option('--id <id>', 'event id: publishing the same id again is accepted but not delivered twice')
      .option('--key <key>', 'ordering key (flows with `ordering: key` deliver one key in order)'),
    ctx,
    async (client, opts, topic: string, file: string) => {
      const body = parseJson(await readInput(ctx, file), file)
      const id = opts.id as string | undefined
      const res = await client.post<Accepted>(`/v1/topics/${pathSegment(topic, 'topic')}/events`, body, {
        query: { key: opts.key as string | undefined },
        headers: id === undefined ? {} : { 'idempotency-key': id },
      })
      if (opts.json) return ctx.io.out(JSON.stringify(res, null, 2) + '\n')
      ctx.io.out(`${res.id}\n`)
      ctx.io.err(res.duplicate ? `duplicate: event ${res.id} was already accepted on ${res.topic}; not delivered again\n` : `accepted event ${res.id} on ${res.topic}\n`)
    },
  )
}
