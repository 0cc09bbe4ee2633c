/**
 * The last N requests a mock system received, in memory, for local development and demos
 * ("did my flow call the CRM, and with what?"). Credentials are redacted before recording.
 */
export interface RecordedRequest {
  at: number
  method: string
  path: string
  query: Record<string, unknown>
  headers: Record<string, string>
  body: unknown
  /** Status the mock answered with. */
  status: number
  /** Which response answered: its index in `mock.responses`, `openapi`, or `null` (no match). */
  matched: number | 'openapi' | null
}

const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key'])

export class RequestRecorder {
  private readonly items: RecordedRequest[] = []

  constructor(private readonly limit: number) {}

  add(entry: RecordedRequest): void {
    if (this.limit <= 0) return
    this.items.push({ ...entry, headers: redactHeaders(entry.headers) })
    if (this.items.length > this.limit) this.items.splice(0, this.items.length - this.limit)
  }

  /** Newest first. */
  list(): RecordedRequest[] {
    return [...this.items].reverse()
  }

  clear(): void {
    this.items.length = 0
  }
}

function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) out[k] = SENSITIVE_HEADERS.has(k.toLowerCase()) ? '[redacted]' : v
  return out
}
