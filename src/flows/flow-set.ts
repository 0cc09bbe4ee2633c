/**
 * The topics and flows of a config, compiled once at load: topic schemas compiled with ajv,
 * JSONata filters and transforms compiled, delivery targets checked, retry schedules resolved.
 * Everything that can be wrong with a flow is reported here (SB_ERR_CONFIG_INVALID naming the
 * field), never on the first event.
 *
 * Evaluation model (documented in docs/reference/delivery.md): a flow's `filter` and
 * `transform` see the event body as their input, and `$event` = { id, topic, key, headers,
 * createdAt } as a binding.
 */
import type { ValidateFunction } from 'ajv'
import { durationMs } from '../core/duration.js'
import { SwitchboardError } from '../core/errors.js'
import { userSchemaAjv } from '../config/ajv.js'
import { readUserSchema } from '../config/user-schema.js'
import type { FlowConfig } from '../config/spec/flow.js'
import type { PollerConfig } from '../config/spec/poller.js'
import type { SystemConfig } from '../config/spec/system.js'
import type { TopicConfig } from '../config/spec/topic.js'
import { compileExpression, type CompiledExpression, type ExpressionLimits } from './expressions.js'
import type { RetryRules } from './classify.js'
import { resolveRetrySchedule, type RetrySchedule } from './retry.js'
import { compileTarget, type CompiledTarget } from './target.js'

export interface CompiledTopic {
  name: string
  /** Absent when the topic declares no schema (any JSON body is accepted). */
  validate: ValidateFunction | undefined
  dedupeWindowMs: number
}

export interface CompiledFlow {
  id: string
  /** The topic it consumes. */
  on: string
  filter: CompiledExpression | undefined
  transform: CompiledExpression | undefined
  /** Delivery to a system, or … */
  target: CompiledTarget | undefined
  /** … publication to another topic. */
  publishTopic: string | undefined
  ordering: 'none' | 'key'
  /** Deliveries of this flow in flight at once on one node. */
  concurrency: number
  schedule: RetrySchedule
  rules: RetryRules
}

/** The parts of the config this module reads (a `LoadedConfig` fits). */
export interface FlowConfigInput {
  config: {
    readonly topics?: Readonly<Record<string, TopicConfig>> | undefined
    readonly flows?: readonly FlowConfig[] | undefined
    readonly systems?: Readonly<Record<string, SystemConfig>> | undefined
    /** Read by the pollers only (FlowsService with `pollers`). */
    readonly pollers?: readonly PollerConfig[] | undefined
  }
  /** Directory topic schema paths are relative to. */
  dir: string
}

const DEFAULT_DEDUPE_WINDOW_MS = 7 * 86_400_000

export class FlowSet {
  private readonly byTopic = new Map<string, CompiledFlow[]>()

  constructor(
    readonly topics: ReadonlyMap<string, CompiledTopic>,
    readonly flows: ReadonlyMap<string, CompiledFlow>,
  ) {
    for (const f of flows.values()) this.byTopic.set(f.on, [...(this.byTopic.get(f.on) ?? []), f])
  }

  /** Flows subscribed to `topic`, in config order. */
  subscribers(topic: string): readonly CompiledFlow[] {
    return this.byTopic.get(topic) ?? []
  }
}

export function compileFlowSet(input: FlowConfigInput, limits: ExpressionLimits = {}): FlowSet {
  const topics = new Map<string, CompiledTopic>()
  for (const [name, t] of Object.entries(input.config.topics ?? {})) topics.set(name, compileTopic(name, t, input.dir))

  const flows = new Map<string, CompiledFlow>()
  for (const [i, f] of (input.config.flows ?? []).entries()) {
    const where = `flows[${i}]`
    if (flows.has(f.id)) throw invalid(`${where}.id: duplicate flow id "${f.id}"`)
    if (!topics.has(f.on)) throw invalid(`${where}.on: unknown topic "${f.on}" (declare it under topics)`)
    if ((f.to === undefined) === (f.publish === undefined)) throw invalid(`${where}: give exactly one of \`to\` or \`publish\``)
    if (f.publish !== undefined && !topics.has(f.publish.topic)) throw invalid(`${where}.publish.topic: unknown topic "${f.publish.topic}"`)
    const system = f.to ? input.config.systems?.[f.to.system] : undefined
    if (f.to && system === undefined) throw invalid(`${where}.to.system: unknown system "${f.to.system}"`)
    flows.set(f.id, {
      id: f.id,
      on: f.on,
      filter: f.filter === undefined ? undefined : compileExpression(f.filter, `${where}.filter`, limits),
      transform: f.transform === undefined ? undefined : compileExpression(f.transform, `${where}.transform`, limits),
      target: f.to === undefined ? undefined : compileTarget(f.to, `${where}.to`),
      publishTopic: f.publish?.topic,
      ordering: f.ordering ?? 'none',
      concurrency: f.concurrency ?? 16,
      schedule: resolveRetrySchedule(f.retry, system?.retry),
      rules: { statuses: f.retryOn?.statuses, deadOn: f.retryOn?.deadOn },
    })
  }
  return new FlowSet(topics, flows)
}

function compileTopic(name: string, t: TopicConfig, dir: string): CompiledTopic {
  let validate: ValidateFunction | undefined
  if (t.schema !== undefined) {
    const doc = readUserSchema(t.schema, dir)
    if (!doc.ok) throw invalid(`topics["${name}"].schema: ${doc.problem}`)
    validate = userSchemaAjv(doc.value).compile(doc.value)
  }
  return { name, validate, dedupeWindowMs: t.dedupeWindow === undefined ? DEFAULT_DEDUPE_WINDOW_MS : durationMs(t.dedupeWindow) }
}

function invalid(message: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_CONFIG_INVALID', message)
}
