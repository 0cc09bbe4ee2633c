/**
 * Compiles `alerts[]` from the config into readers over the health figures. A reader returns one
 * reading per subject: active, inactive, or unknown (`active: undefined`, e.g. the queue figures
 * could not be read) — unknown holds the alert where it is instead of resolving it, so a store
 * hiccup does not produce a resolved/firing pair.
 */
import { formatDuration, durationMs } from '../../core/duration.js'
import { SwitchboardError } from '../../core/errors.js'
import type { AlertChannelConfig, AlertConditionConfig, AlertConfig } from '../../config/spec/alert.js'
import type { Clock } from '../../core/clock.js'
import type { FlowFigures, PollerFigures, RouteFigures, SystemFigures } from '../health-types.js'
import type { FlowQueueStats } from '../queue-stats.js'
import type { AlertSeverity, AlertSubject, ConditionKind, SubjectKind } from './types.js'

/** What the evaluator reads; {@link HealthTracker} implements it. */
export interface HealthSource {
  readonly clock: Clock
  /** How far back window figures reach (a rule with a longer window would read truncated figures). */
  readonly retentionMs: number
  systemNames(): string[]
  routeNames(): string[]
  flowNames(): string[]
  pollerNames(): string[]
  systemFigures(system: string, windowMs?: number): SystemFigures
  routeFigures(route: string, windowMs?: number): RouteFigures
  flowFigures(flow: string, stats?: FlowQueueStats, windowMs?: number): FlowFigures
  pollerFigures(poller: string): PollerFigures
  queueStats(): Promise<Map<string, FlowQueueStats> | undefined>
}

export interface Reading {
  subject: AlertSubject
  /** `undefined`: the figure is unknown right now; the alert stays as it is. */
  active: boolean | undefined
  value: number | null
  threshold: number
  summary: string
}

export interface ReadContext {
  now: number
  /** Queue figures for this tick (read once); undefined when unavailable. */
  stats: Map<string, FlowQueueStats> | undefined
}

export interface CompiledAlert {
  id: string
  description: string | null
  severity: AlertSeverity
  forMs: number
  channels: string[]
  condition: ConditionKind
  /** Longest figure window the rule reads (the tracker must retain this much). */
  windowMs: number
  read(src: HealthSource, ctx: ReadContext): Reading[]
}

/** Longest rate window a rule may ask for (figures are kept in memory for that long). */
export const MAX_ALERT_WINDOW_MS = 3_600_000

const pct = (r: number): string => `${+(r * 100).toFixed(1)}%`

/** Names known from the config, to check the rules' subjects. */
export interface AlertNames {
  flows: ReadonlySet<string>
  systems: ReadonlySet<string>
  routes: ReadonlySet<string>
  pollers: ReadonlySet<string>
}

export interface AlertsConfig {
  alerts?: readonly AlertConfig[]
  channels?: Readonly<Record<string, AlertChannelConfig>>
  flows?: ReadonlyArray<{ id: string }>
  systems?: Readonly<Record<string, unknown>>
  routes?: ReadonlyArray<{ id: string }>
  pollers?: ReadonlyArray<{ id: string }>
}

function invalid(path: string, message: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_CONFIG_INVALID', `${path}: ${message}`)
}

type Subjects = (src: HealthSource, ctx: ReadContext) => string[]

function subjects(kind: SubjectKind, name: string | undefined, names: AlertNames, path: string): Subjects {
  if (name !== undefined) {
    const known = { flow: names.flows, system: names.systems, route: names.routes, poller: names.pollers }[kind]
    if (!known.has(name)) throw invalid(path, `unknown ${kind} "${name}"`)
    return () => [name]
  }
  switch (kind) {
    case 'flow':
      return (src, ctx) => [...new Set([...names.flows, ...src.flowNames(), ...(ctx.stats?.keys() ?? [])])].sort()
    case 'system':
      return (src) => [...new Set([...names.systems, ...src.systemNames()])].sort()
    case 'route':
      return (src) => [...new Set([...names.routes, ...src.routeNames()])].sort()
    case 'poller':
      return (src) => [...new Set([...names.pollers, ...src.pollerNames()])].sort()
  }
}

function windowOf(value: string | number | undefined, path: string): number {
  const ms = durationMs(value ?? '5m')
  if (ms > MAX_ALERT_WINDOW_MS) throw invalid(path, `window ${formatDuration(ms)} is longer than the maximum of 1h`)
  return ms
}

type Reader = Pick<CompiledAlert, 'condition' | 'windowMs' | 'read'>

/** The reader for the one condition of `when`. */
function reader(when: AlertConditionConfig, names: AlertNames, path: string): Reader {
  const read = (kind: SubjectKind, list: Subjects, one: (name: string, src: HealthSource, ctx: ReadContext) => Omit<Reading, 'subject'>) =>
    (src: HealthSource, ctx: ReadContext): Reading[] => list(src, ctx).map((name) => ({ subject: { kind, name }, ...one(name, src, ctx) }))

  if (when.flowErrorRate) {
    const c = when.flowErrorRate
    const windowMs = windowOf(c.window, `${path}.flowErrorRate.window`)
    const min = c.minAttempts ?? 5
    return {
      condition: 'flowErrorRate',
      windowMs,
      read: read('flow', subjects('flow', c.flow, names, `${path}.flowErrorRate.flow`), (name, src) => {
        const f = src.flowFigures(name, undefined, windowMs)
        const attempts = f.delivered + f.failed + f.dead
        const bad = f.failed + f.dead
        const value = attempts === 0 ? null : bad / attempts
        return {
          active: value !== null && attempts >= min && value > c.above,
          value,
          threshold: c.above,
          summary: `flow ${name}: attempt error rate ${value === null ? 'n/a' : pct(value)} (${bad} of ${attempts}) over ${formatDuration(windowMs)}, threshold ${pct(c.above)}`,
        }
      }),
    }
  }
  if (when.dlqDepth) {
    const c = when.dlqDepth
    const above = c.above ?? 0
    return {
      condition: 'dlqDepth',
      windowMs: 0,
      read: read('flow', subjects('flow', c.flow, names, `${path}.dlqDepth.flow`), (name, _src, ctx) => {
        const depth = ctx.stats === undefined ? null : (ctx.stats.get(name)?.dead ?? 0)
        return {
          active: depth === null ? undefined : depth > above,
          value: depth,
          threshold: above,
          summary: `flow ${name}: ${depth ?? 'unknown'} deliveries in the dead-letter queue, threshold ${above}`,
        }
      }),
    }
  }
  if (when.oldestPending) {
    const c = when.oldestPending
    const limit = durationMs(c.olderThan)
    return {
      condition: 'oldestPending',
      windowMs: 0,
      read: read('flow', subjects('flow', c.flow, names, `${path}.oldestPending.flow`), (name, _src, ctx) => {
        const age = ctx.stats === undefined ? null : (ctx.stats.get(name)?.oldestPendingAgeMs ?? 0)
        return {
          active: age === null ? undefined : age > limit,
          value: age,
          threshold: limit,
          summary: `flow ${name}: oldest pending delivery is ${age === null ? 'unknown' : formatDuration(Math.round(age))} old, threshold ${formatDuration(limit)}`,
        }
      }),
    }
  }
  if (when.circuitOpen) {
    const c = when.circuitOpen
    const limit = durationMs(c.longerThan ?? 0)
    return {
      condition: 'circuitOpen',
      windowMs: 0,
      read: read('system', subjects('system', c.system, names, `${path}.circuitOpen.system`), (name, src, ctx) => {
        const f = src.systemFigures(name)
        const openFor = f.circuitOpenSince === null ? (f.circuit === 'closed' ? null : 0) : Math.max(0, ctx.now - Date.parse(f.circuitOpenSince))
        return {
          active: openFor !== null && openFor >= limit,
          value: openFor,
          threshold: limit,
          summary:
            openFor === null
              ? `system ${name}: circuit closed`
              : `system ${name}: circuit ${f.circuit} for ${formatDuration(Math.round(openFor))}${f.lastError ? ` (last error ${f.lastError.code})` : ''}`,
        }
      }),
    }
  }
  if (when.routeErrorRate) {
    const c = when.routeErrorRate
    const windowMs = windowOf(c.window, `${path}.routeErrorRate.window`)
    const min = c.minRequests ?? 5
    return {
      condition: 'routeErrorRate',
      windowMs,
      read: read('route', subjects('route', c.route, names, `${path}.routeErrorRate.route`), (name, src) => {
        const f = src.routeFigures(name, windowMs)
        return {
          active: f.errorRate !== null && f.requests >= min && f.errorRate > c.above,
          value: f.errorRate,
          threshold: c.above,
          summary: `route ${name}: 5xx rate ${f.errorRate === null ? 'n/a' : pct(f.errorRate)} (${f.errors} of ${f.requests}) over ${formatDuration(windowMs)}, threshold ${pct(c.above)}`,
        }
      }),
    }
  }
  if (when.pollerFailing) {
    const c = when.pollerFailing
    const n = c.consecutiveFailures ?? 3
    return {
      condition: 'pollerFailing',
      windowMs: 0,
      read: read('poller', subjects('poller', c.poller, names, `${path}.pollerFailing.poller`), (name, src) => {
        const f = src.pollerFigures(name)
        return {
          active: f.consecutiveFailures >= n,
          value: f.consecutiveFailures,
          threshold: n,
          summary: `poller ${name}: ${f.consecutiveFailures} runs failed in a row${f.lastError ? ` (last error ${f.lastError.code})` : ''}, threshold ${n}`,
        }
      }),
    }
  }
  throw invalid(path, 'needs exactly one condition')
}

/**
 * Checks and compiles the alert rules. Throws SB_ERR_CONFIG_INVALID naming the field for an
 * unknown channel, an unknown flow/system/route/poller, or a window over 1h.
 */
export function compileAlerts(config: AlertsConfig): CompiledAlert[] {
  const names: AlertNames = {
    flows: new Set((config.flows ?? []).map((f) => f.id)),
    systems: new Set(Object.keys(config.systems ?? {})),
    routes: new Set((config.routes ?? []).map((r) => r.id)),
    pollers: new Set((config.pollers ?? []).map((p) => p.id)),
  }
  const channels = config.channels ?? {}
  const seen = new Set<string>()
  return (config.alerts ?? []).map((a, i) => {
    const path = `alerts[${i}]`
    if (seen.has(a.id)) throw invalid(`${path}.id`, `duplicate alert id "${a.id}"`)
    seen.add(a.id)
    a.channels.forEach((c, j) => {
      if (!Object.hasOwn(channels, c)) throw invalid(`${path}.channels[${j}]`, `unknown channel "${c}"`)
    })
    return {
      id: a.id,
      description: a.description ?? null,
      severity: a.severity ?? 'warning',
      forMs: durationMs(a.for ?? 0),
      channels: [...a.channels],
      ...reader(a.when, names, `${path}.when`),
    }
  })
}

/** The retention the health tracker needs for `rules` (`new HealthTracker({ retentionMs })`). */
export function longestWindowMs(rules: readonly CompiledAlert[]): number {
  return rules.reduce((max, r) => Math.max(max, r.windowMs), 0)
}
