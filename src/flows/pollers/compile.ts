/**
 * The config's pollers, compiled once at load: schedules parsed, JSONata compiled, defaults
 * resolved. Anything wrong with a poller is reported here (SB_ERR_CONFIG_INVALID naming the
 * field, `pollers[2].cron: …`), never on its first tick.
 */
import type { PollerConfig } from '../../config/spec/poller.js'
import { formatDuration, parseDuration } from '../../core/duration.js'
import { SwitchboardError } from '../../core/errors.js'
import { compileExpression, type CompiledExpression, type ExpressionLimits } from '../expressions.js'
import { cronSchedule, everySchedule, type Schedule } from './schedule.js'

export interface CompiledPoller {
  id: string
  /** `pollers[2]`: prefix of this poller's messages. */
  where: string
  system: string
  schedule: Schedule
  /** The `get` path template (`{cursor}` placeholders). */
  get: string
  /** Query parameters in config order (values may hold `{cursor}`). */
  query: ReadonlyArray<readonly [string, string]>
  items: CompiledExpression
  itemId: CompiledExpression
  cursor: CompiledExpression | undefined
  key: CompiledExpression | undefined
  topic: string
  initialCursor: string | undefined
  maxPages: number
  onInvalidItem: 'skip' | 'fail'
  maxBackoffMs: number
}

const DEFAULT_MAX_PAGES = 10
const DEFAULT_MAX_BACKOFF_MS = 5 * 60_000

/**
 * @param hasSystem when given, a poller naming an unknown system is refused here (the config
 *   validator checks it too; this keeps hand-built configs honest).
 */
export function compilePollers(pollers: readonly PollerConfig[], limits: ExpressionLimits = {}, hasSystem?: (name: string) => boolean): CompiledPoller[] {
  const seen = new Set<string>()
  return pollers.map((p, i) => {
    const where = `pollers[${i}]`
    if (seen.has(p.id)) throw invalid(`${where}.id: duplicate poller id "${p.id}"`)
    seen.add(p.id)
    if (hasSystem && !hasSystem(p.system)) throw invalid(`${where}.system: unknown system "${p.system}"`)
    return {
      id: p.id,
      where,
      system: p.system,
      schedule: schedule(p, where),
      get: p.get,
      query: Object.entries(p.query ?? {}),
      items: compileExpression(p.items, `${where}.items`, limits),
      itemId: compileExpression(p.itemId, `${where}.itemId`, limits),
      cursor: p.cursor === undefined ? undefined : compileExpression(p.cursor, `${where}.cursor`, limits),
      key: p.publish.key === undefined ? undefined : compileExpression(p.publish.key, `${where}.publish.key`, limits),
      topic: p.publish.topic,
      initialCursor: p.initialCursor,
      maxPages: p.maxPages ?? DEFAULT_MAX_PAGES,
      onInvalidItem: p.onInvalidItem ?? 'skip',
      maxBackoffMs: p.maxBackoff === undefined ? DEFAULT_MAX_BACKOFF_MS : positiveMs(p.maxBackoff, `${where}.maxBackoff`),
    }
  })
}

function schedule(p: PollerConfig, where: string): Schedule {
  if ((p.every === undefined) === (p.cron === undefined)) throw invalid(`${where}: give exactly one of \`every\` or \`cron\``)
  if (p.every !== undefined) {
    const ms = positiveMs(p.every, `${where}.every`)
    return everySchedule(ms, typeof p.every === 'string' ? p.every : formatDuration(ms))
  }
  try {
    return cronSchedule(p.cron as string)
  } catch (err) {
    throw invalid(`${where}.cron: invalid cron expression ${JSON.stringify(p.cron)}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

function positiveMs(value: string | number, where: string): number {
  const ms = parseDuration(value)
  if (ms === undefined || ms <= 0) throw invalid(`${where}: expected a duration longer than 0 (\`30s\`, \`5m\`), got ${JSON.stringify(value)}`)
  return ms
}

function invalid(message: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_CONFIG_INVALID', message)
}
