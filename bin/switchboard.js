#!/usr/bin/env node
// The `switchboard` command. Runs the compiled CLI (built by `npm install` via `prepare`).
import { main } from '../dist/cli/main.js'

main(process.argv).then(
  (code) => { if (typeof code === 'number') process.exitCode = code },
  (err) => { console.error(err); process.exitCode = 1 },
)
