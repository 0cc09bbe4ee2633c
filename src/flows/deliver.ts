/**
 * Working one claimed delivery to its outcome: filter → transform → request (or publish to
 * another topic) → classify → settle on the bus. Every failure is recorded: errors before the
 * request (a JSONata error, an unsafe path value) as an attempt without a status, so the DLQ
 * shows why; the outbound request as sent (secrets redacted) with every failed delivery.
 *
 * A delivery claimed again after its worker died has already counted that attempt (the bus
 * counts claims), so `claim.delivery.attempts` is this attempt's number.
 */
import type { Bus, Claim } from '../bus/contract.js'
import type { Clock } from '../core/clock.js'
import { isSwitchboardError, NonRetryableError } from '../core/errors.js'
import type { NewAttempt } from '../store/contract.js'
import { runAttempt, type AttemptRecord, type DeliveryClient } from './attempt.js'
import { classifyAttempt, type Verdict } from './classify.js'
import { deliveryChannel, deliveryTracing, targetGoneChannel, type DeliveryTraceContext, type FlowsDeliveryMessage } from './diagnostics.js'
import { jsonataTruthy } from './expressions.js'
import type { CompiledFlow } from './flow-set.js'
import type { PublishInput, PublishResult } from './publisher.js'
import type { Redactor } from './redact.js'
import { idempotencyKey, type OutboundRequest } from './target.js'

/** What a delivery needs from the systems layer (the `Systems` registry fits). */
export interface DeliverySystems {
  get(name: string): DeliveryClient
}

export interface DeliverDeps {
  /** Settling is all a delivery does on the bus. */
  bus: Pick<Bus, 'ack' | 'nack' | 'deadLetter'>
  systems: DeliverySystems
  /** Publishes for flows with `publish:` (the node's Publisher). */
  publisher?: { publish(e: PublishInput): Promise<PublishResult> } | undefined
  clock: Clock
  redactor: Redactor
  /** Called when a target answers 410 Gone. */
  onGone?: (flow: CompiledFlow, path: string) => void
  /** This attempt's trace context, set by {@link deliver} only while a tracer listens. */
  trace?: DeliveryTraceContext | undefined
}

export type DeliveryOutcome = FlowsDeliveryMessage['outcome']

/**
 * Deliver `claim` through `flow` (undefined: the flow left the config) and settle it. Resolves
 * with the outcome; rejects only when settling failed (lease lost, store down), in which case
 * the lease runs out and the delivery is tried again.
 */
export function deliver(claim: Claim, flow: CompiledFlow | undefined, deps: DeliverDeps, signal?: AbortSignal): Promise<DeliveryOutcome> {
  if (!deliveryTracing.hasSubscribers) return deliverClaim(claim, flow, deps, signal)
  const { delivery, event } = claim
  const trace: DeliveryTraceContext = {
    flowId: delivery.flowId,
    system: delivery.system,
    eventId: event.id,
    deliveryId: delivery.id,
    attempt: delivery.attempts,
    parent: event.traceparent,
    traceparent: undefined,
    span: undefined,
    status: null,
    errorCode: null,
  }
  return deliveryTracing.tracePromise(deliverClaim, trace, undefined, claim, flow, { ...deps, trace }, signal)
}

async function deliverClaim(claim: Claim, flow: CompiledFlow | undefined, deps: DeliverDeps, signal?: AbortSignal): Promise<DeliveryOutcome> {
  const { delivery, event } = claim
  const startedAt = deps.clock.now()
  if (flow === undefined) {
    const error = `flow "${delivery.flowId}" is no longer configured`
    await deps.bus.deadLetter(claim, { reason: 'non-retryable', errorCode: 'SB_ERR_FLOW_UNKNOWN', error, attempt: failure(startedAt, 'SB_ERR_FLOW_UNKNOWN', error) })
    return report(claim, 'dead', null, 'SB_ERR_FLOW_UNKNOWN', 0, deps)
  }
  const classify = { schedule: flow.schedule, rules: flow.rules, attempt: delivery.attempts, eventCreatedAt: delivery.ageFrom }
  const bindings = { event: { id: event.id, topic: event.topic, key: event.key, headers: event.headers, createdAt: event.createdAt } }

  let payload: unknown
  let request: OutboundRequest | undefined
  try {
    if (flow.filter && !jsonataTruthy(await flow.filter.evaluate(event.body, bindings))) {
      await deps.bus.ack(claim, { status: 'skipped' })
      return report(claim, 'skipped', null, null, 0, deps)
    }
    payload = flow.transform ? await flow.transform.evaluate(event.body, bindings) : event.body
    if (flow.target) {
      request = flow.target.build({ eventId: event.id, flowId: flow.id, eventBody: event.body, payload, traceparent: event.traceparent, now: deps.clock.now() })
      // Traced: the target joins the trace as a child of this attempt's span.
      if (deps.trace?.traceparent !== undefined) request.headers.traceparent = deps.trace.traceparent
    }
  } catch (error) {
    // Expression and path errors are NonRetryable; anything else is a bug worth a retry.
    return settle(claim, flow, deps, classifyAttempt({ kind: 'error', error }, { ...classify, now: deps.clock.now() }), failure(startedAt, codeOf(error), messageOf(error)), undefined)
  }

  if (flow.publishTopic !== undefined) return publishOnward(claim, flow, payload, deps, classify)

  const target = flow.target as NonNullable<CompiledFlow['target']>
  // The request is kept (redacted) with failed deliveries only: a delivered one never pays for it.
  const snapshot = () => ({ method: request?.method, path: request?.recordedPath ?? request?.path, headers: deps.redactor.headers(request?.headers ?? {}), body: deps.redactor.value(payload) })
  let record: AttemptRecord
  try {
    record = await runAttempt(deps.systems.get(target.system), request as OutboundRequest, { clock: deps.clock, redactor: deps.redactor, classify, signal })
  } catch (error) {
    // systems.get threw (system removed from the config): retried until it is back or the schedule ends.
    const verdict = classifyAttempt({ kind: 'error', error }, { ...classify, now: deps.clock.now() })
    return settle(claim, flow, deps, verdict, failure(startedAt, codeOf(error), messageOf(error)), snapshot)
  }
  if (record.verdict.kind === 'dead' && record.verdict.reason === 'gone') deps.onGone?.(flow, request?.path ?? '')
  const attempt: NewAttempt = {
    startedAt: record.startedAt,
    latencyMs: record.latencyMs,
    status: record.status,
    errorCode: record.errorCode,
    error: record.error,
    responseExcerpt: record.responseExcerpt,
    requestId: record.requestId,
  }
  return settle(claim, flow, deps, record.verdict, attempt, snapshot)
}

async function publishOnward(claim: Claim, flow: CompiledFlow, payload: unknown, deps: DeliverDeps, classify: { schedule: CompiledFlow['schedule']; rules: CompiledFlow['rules']; attempt: number; eventCreatedAt: number }): Promise<DeliveryOutcome> {
  const { event } = claim
  const startedAt = deps.clock.now()
  try {
    if (!deps.publisher) throw new NonRetryableError('SB_ERR_EVENT_PUBLISHER_CLOSED', 'no publisher on this worker for flows with `publish`')
    // The id is stable (event + flow): if this delivery runs twice, the second publish is a duplicate.
    await deps.publisher.publish({
      topic: flow.publishTopic as string,
      id: idempotencyKey(event.id, flow.id),
      key: event.key ?? undefined,
      body: payload,
      headers: {},
      requestId: event.requestId ?? undefined,
      traceparent: deps.trace?.traceparent ?? event.traceparent ?? undefined,
    })
  } catch (error) {
    const verdict = classifyAttempt({ kind: 'error', error }, { ...classify, now: deps.clock.now() })
    return settle(claim, flow, deps, verdict, failure(startedAt, codeOf(error), messageOf(error)), () => ({ publish: flow.publishTopic, body: deps.redactor.value(payload) }))
  }
  await deps.bus.ack(claim, { status: 'delivered' })
  return report(claim, 'delivered', null, null, deps.clock.now() - startedAt, deps)
}

/** `request` builds the redacted outbound request kept with a failed delivery (undefined: none was built). */
async function settle(claim: Claim, flow: CompiledFlow, deps: DeliverDeps, verdict: Verdict, attempt: NewAttempt, request: (() => unknown) | undefined): Promise<DeliveryOutcome> {
  switch (verdict.kind) {
    case 'delivered':
      await deps.bus.ack(claim, { status: 'delivered', attempt })
      break
    case 'retry':
      await deps.bus.nack(claim, { delayMs: verdict.delayMs, consumeAttempt: true, errorCode: verdict.code, error: verdict.message, attempt, request: request?.() })
      break
    case 'wait':
      // No request went out: nothing to record as an attempt.
      await deps.bus.nack(claim, { delayMs: verdict.delayMs, consumeAttempt: false, errorCode: verdict.code, error: verdict.message })
      break
    case 'dead':
      await deps.bus.deadLetter(claim, { reason: verdict.reason, errorCode: verdict.code, error: verdict.message, attempt, request: request?.() })
      if (verdict.reason === 'gone' && targetGoneChannel.hasSubscribers) {
        targetGoneChannel.publish({ flowId: flow.id, system: flow.target?.system ?? '', path: flow.target?.pathTemplate ?? '' })
      }
      break
  }
  return report(claim, verdict.kind, attempt.status, verdict.kind === 'delivered' ? null : verdict.code, attempt.latencyMs, deps)
}

function report(claim: Claim, outcome: DeliveryOutcome, status: number | null, errorCode: string | null, latencyMs: number, deps: Pick<DeliverDeps, 'clock' | 'trace'>): DeliveryOutcome {
  const { clock, trace } = deps
  if (trace !== undefined) {
    trace.status = status
    trace.errorCode = errorCode
  }
  if (deliveryChannel.hasSubscribers) {
    const message: FlowsDeliveryMessage = {
      flowId: claim.delivery.flowId,
      system: claim.delivery.system,
      outcome,
      status,
      errorCode,
      latencyMs,
      ageMs: Math.max(0, clock.now() - claim.event.createdAt),
      attempt: claim.delivery.attempts,
    }
    deliveryChannel.publish(message)
  }
  return outcome
}

function failure(startedAt: number, errorCode: string, error: string): NewAttempt {
  return { startedAt, latencyMs: 0, status: null, errorCode, error, responseExcerpt: null, requestId: null }
}

function codeOf(err: unknown): string {
  return isSwitchboardError(err) ? err.code : 'SB_ERR_HTTP_INTERNAL'
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
