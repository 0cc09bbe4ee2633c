/**
 * A small client for the admin API, used by the operational commands. It honours `--url` /
 * SWITCHBOARD_URL and `--token` / SWITCHBOARD_ADMIN_TOKEN, and turns problem+json answers into
 * {@link AdminApiError}s that the CLI prints readably.
 */
import { ERROR_CODES } from '../core/error-codes.js'

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8081'
const TIMEOUT_MS = 15_000

export interface AdminClientOptions {
  url?: string | undefined
  token?: string | undefined
  env?: Record<string, string | undefined>
}

/** A problem+json answer (or a transport failure, with `status` 0). */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError'
  constructor(
    message: string,
    readonly status: number,
    readonly problem: Record<string, unknown> | undefined,
  ) {
    super(message)
  }
}

/** Extras for one request. */
export interface RequestExtras {
  query?: Record<string, string | number | undefined>
  headers?: Record<string, string>
  /** Instead of the default 15 s (a paced DLQ replay takes longer). */
  timeoutMs?: number
}

export class AdminClient {
  readonly baseUrl: string
  private readonly token: string | undefined

  constructor(options: AdminClientOptions = {}) {
    const env = options.env ?? process.env
    this.baseUrl = (options.url || env.SWITCHBOARD_URL || DEFAULT_ADMIN_URL).replace(/\/+$/, '')
    this.token = options.token || env.SWITCHBOARD_ADMIN_TOKEN || undefined
  }

  async get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    return (await this.request('GET', path, query)) as T
  }

  async post<T>(path: string, body: unknown, extras: RequestExtras = {}): Promise<T> {
    return (await this.request('POST', path, extras.query ?? {}, body, extras)) as T
  }

  async delete(path: string): Promise<void> {
    await this.request('DELETE', path, {})
  }

  private async request(method: string, path: string, query: Record<string, string | number | undefined>, body?: unknown, extras: RequestExtras = {}): Promise<unknown> {
    const url = new URL(this.baseUrl + path)
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v))
    let res: Response
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json, application/problem+json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...extras.headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(extras.timeoutMs ?? TIMEOUT_MS),
      })
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name
      throw new AdminApiError(`cannot reach the admin API at ${this.baseUrl} (${cause}); is switchboard running? Use --url or SWITCHBOARD_URL`, 0, undefined)
    }
    const text = await res.text()
    let answer: unknown
    try {
      answer = text === '' ? undefined : JSON.parse(text)
    } catch {
      answer = undefined
    }
    if (!res.ok) {
      const problem = typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>) : undefined
      const detail = typeof problem?.detail === 'string' ? problem.detail : `${res.status} ${res.statusText}`
      throw new AdminApiError(detail, res.status, problem)
    }
    return answer
  }
}

/** `error: SB_ERR_… (401 Admin token required): detail` plus the documented fix, when known. */
export function formatApiError(err: AdminApiError): string {
  const p = err.problem
  if (!p || typeof p.code !== 'string') return `error: ${err.message}\n`
  const lines = [`error: ${p.code} (${err.status} ${String(p.title ?? '')}): ${err.message}`]
  const violations = Array.isArray(p.violations) ? (p.violations as Array<{ in?: string; path?: string; message?: string }>) : []
  for (const v of violations) lines.push(`  ${v.in ?? ''}${v.path ?? ''}: ${v.message ?? ''}`)
  const info = Object.hasOwn(ERROR_CODES, p.code) ? ERROR_CODES[p.code as keyof typeof ERROR_CODES] : undefined
  if (info) lines.push(`  fix: ${info.fix}`)
  return lines.join('\n') + '\n'
}
