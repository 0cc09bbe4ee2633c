/**
 * wrk (a C load generator: far less CPU per request than autocannon, and a shorter tail of its
 * own) when it is installed — `apt install wrk`; the benches fall back to autocannon without it.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

/** The path of a program on PATH, or undefined when it is not installed. */
export async function which(program: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('which', [program])
    return stdout.trim() || undefined
  } catch {
    return undefined
  }
}

let wrkPath: Promise<string | undefined> | undefined

/** The wrk binary, or undefined when it is not installed (looked up once). */
export function findWrk(): Promise<string | undefined> {
  return (wrkPath ??= which('wrk'))
}

export interface WrkResult {
  rps: number
  /** Requests completed. */
  total: number
  /** Latency percentiles in ms. */
  p50: number
  p99: number
  /** Non-2xx/3xx answers plus socket errors. */
  errors: number
}

function ms(value: string, unit: string): number {
  const n = Number(value)
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n
}

/** One closed-loop run: one thread, `connections` connections, for `durationS` seconds. */
export async function runWrk(wrk: string, url: string, connections: number, durationS: number, headers: Record<string, string> = {}): Promise<WrkResult> {
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`])
  const { stdout } = await promisify(execFile)(wrk, ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', ...headerArgs, url])
  const pct = (p: string): number => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout)
    return m ? ms(m[1] as string, m[2] as string) : NaN
  }
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)
  const socket = socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0),
    total: Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0),
    p50: pct('50'),
    p99: pct('99'),
    errors: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0) + socket,
  }
}
