/** Temp dirs with a config file, and a logger that keeps its lines in memory. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createLogger, type Logger } from '../../src/observe/logger.js'

export interface TempConfig {
  dir: string
  file: string
  write(yaml: string): Promise<void>
  cleanup(): Promise<void>
}

export async function tempConfig(yaml: string): Promise<TempConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-runtime-'))
  const file = join(dir, 'switchboard.yaml')
  const write = (text: string) => writeFile(file, text.replaceAll('$DIR', dir))
  await write(yaml)
  return { dir, file, write, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export function memoryLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = []
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk))
      cb()
    },
  })
  const logger = createLogger({ level: 'debug', destination, env: {} })
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  }
}

export function captureStderr(): { stderr: { write(text: string): boolean }; text: () => string } {
  let text = ''
  return {
    stderr: {
      write: (t: string) => {
        text += t
        return true
      },
    },
    text: () => text,
  }
}

/** The token from the one-time banner. */
export function tokenFromBanner(text: string): string | undefined {
  return /\b(sbadm_[A-Za-z0-9_-]{20,})\b/.exec(text)?.[1]
}
