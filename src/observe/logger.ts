/**
 * The process logger (pino). JSON lines by default, so log shippers can parse them; pretty when
 * a person is watching (stdout is a terminal) or `log.pretty: true`. Secrets never reach the
 * output: authorization headers, cookies, tokens, passwords and the names listed in
 * `log.redact` are replaced by `[redacted]` wherever they appear up to three levels deep, and
 * the config's secret values (`secrets`) wherever they appear in a line.
 */
import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino'
import pretty from 'pino-pretty'

export type Logger = PinoLogger

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']

/** Field names whose values are secrets wherever they appear. */
export const SECRET_FIELD_NAMES: readonly string[] = [
  'authorization',
  'Authorization',
  'proxy-authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'x-api-key',
  'X-Api-Key',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'apiKey',
  'api_key',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
]

export interface LoggerOptions {
  /** `log.level` from the config; `SWITCHBOARD_LOG_LEVEL` wins over it. Default `info`. */
  level?: string | undefined
  /** `log.pretty` from the config; default: pretty when the destination is a terminal. */
  pretty?: boolean | undefined
  /** `log.redact`: extra field names to redact. */
  redact?: readonly string[] | undefined
  /** Environment to read `SWITCHBOARD_LOG_LEVEL` from (default `process.env`). */
  env?: Record<string, string | undefined>
  /** Where lines go (default stdout). Tests pass a stream to capture them. */
  destination?: DestinationStream
  /** Base fields on every line. */
  base?: Record<string, unknown>
  /**
   * Secret values (the config's resolved secret references) replaced by `[redacted]` wherever
   * they appear in a line, field names and message text included.
   */
  secrets?: readonly string[] | undefined
}

/** Creates the logger; throws a TypeError for an unknown level (the config schema prevents it). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env
  const level = env.SWITCHBOARD_LOG_LEVEL || options.level || 'info'
  if (!LOG_LEVELS.includes(level as LevelWithSilent)) {
    throw new TypeError(`log level ${JSON.stringify(level)} is not one of ${LOG_LEVELS.join(', ')}`)
  }
  const usePretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true)
  const target = options.destination
  const stream: DestinationStream = usePretty
    ? pretty({
        sync: true,
        singleLine: true,
        colorize: target === undefined,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        ...(target ? { destination: target as unknown as NodeJS.WritableStream } : {}),
      })
    : (target ?? pino.destination({ sync: false }))
  return pino(
    {
      level,
      base: options.base ?? { pid: process.pid },
      redact: { paths: redactPaths(options.redact ?? []), censor: '[redacted]' },
      // Errors as { type, message, stack, code } under `err`.
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      ...scrubHook(options.secrets ?? []),
    },
    stream,
  )
}

/**
 * pino redact paths for the built-in secret names plus `extra`, at the top level and up to
 * three levels deep (`req.headers.authorization`, `config.auth.clientSecret`).
 */
export function redactPaths(extra: readonly string[]): string[] {
  const names = [...new Set([...SECRET_FIELD_NAMES, ...extra.filter((n) => n.length > 0)])]
  const paths: string[] = []
  for (const name of names) {
    const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`
    const bare = key.startsWith('.') ? key.slice(1) : key
    paths.push(bare, `*${key}`, `*.*${key}`, `*.*.*${key}`)
  }
  return paths
}

/**
 * pino's last-step hook replacing each secret value in the serialised line: as written, and as
 * JSON escapes it (a secret holding `"` or `\` appears escaped in the line). Longest first, so
 * a secret containing another is replaced whole.
 */
function scrubHook(secrets: readonly string[]): { hooks?: { streamWrite(line: string): string } } {
  const forms = new Set<string>()
  for (const s of secrets) {
    if (s.length === 0) continue
    forms.add(s)
    forms.add(JSON.stringify(s).slice(1, -1))
  }
  if (forms.size === 0) return {}
  const list = [...forms].sort((a, b) => b.length - a.length)
  return { hooks: { streamWrite: (line) => list.reduce((text, secret) => (text.includes(secret) ? text.split(secret).join('[redacted]') : text), line) } }
}
