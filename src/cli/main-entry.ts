/**
 * Runs the CLI from source (`node --import tsx src/cli/main-entry.ts …`), as bin/switchboard.js
 * does from dist/. Used by tests that need a real process (signals, exit codes).
 */
import { main } from './main.js'

main(process.argv).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err)
    process.exitCode = 1
  },
)
