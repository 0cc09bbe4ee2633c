/** What every command registration receives. */
import type { CliIo } from './io.js'

export interface CliContext {
  io: CliIo
  /** The code `main()` returns (the last command to set it wins). */
  exitCode: number
}

/** The config file a command uses: `-c FILE`, else `./switchboard.yaml`. */
export const DEFAULT_CONFIG_FILE = 'switchboard.yaml'
