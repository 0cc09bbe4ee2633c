/**
 * Compiles the project for a bench, so its servers run as production does (plain JavaScript, no
 * loader thread, no esbuild name-keeping helpers). Type errors elsewhere do not stop the emit.
 */
import { execFile } from 'node:child_process'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/**
 * Emits the project into `node_modules/.cache/<name>` (inside node_modules, so the compiled files
 * resolve their dependencies from the project) and returns the compiled path of `entry`
 * (relative to the project root, `.ts` → `.js`).
 */
export async function compileForBench(name: string, entry: string): Promise<string> {
  const outDir = join(ROOT, 'node_modules', '.cache', name)
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const args = [tsc, '-p', join(ROOT, 'tsconfig.json'), '--outDir', outDir, '--noEmit', 'false', '--declaration', 'false', '--sourceMap', 'false']
  await promisify(execFile)(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }).catch(() => undefined)
  const compiled = join(outDir, entry.replace(/\.ts$/, '.js'))
  await access(compiled)
  return compiled
}
