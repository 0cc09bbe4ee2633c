/**
 * The shapes of the alerting layer: what a notification says, who sends it, and the state of an
 * alert instance (one rule applied to one subject: `dlq-not-empty` × flow `order-to-invoice`).
 */

export type AlertSeverity = 'critical' | 'warning' | 'info'

export type SubjectKind = 'flow' | 'system' | 'route' | 'poller'

/** What an alert is about. */
export interface AlertSubject {
  kind: SubjectKind
  name: string
}

/** The condition kinds of `alerts[].when`. */
export type ConditionKind = 'flowErrorRate' | 'dlqDepth' | 'oldestPending' | 'circuitOpen' | 'routeErrorRate' | 'pollerFailing'

/** One message to the channels: an alert instance started firing, or stopped. */
export interface AlertNotification {
  /**
   * Stable id of this transition (`<key>@<activeSince>:<status>`): the same each time it is
   * offered, so the delivery machinery drops a re-offer (it is the event id the notification is
   * published with on each channel's topic) and receivers can tell transitions apart.
   */
  id: string
  /** Instance key: `<alert id>/<subject kind>:<subject name>`. */
  key: string
  /** The rule id (`alerts[].id`). */
  alert: string
  status: 'firing' | 'resolved'
  severity: AlertSeverity
  condition: ConditionKind
  subject: AlertSubject
  /** One line for people: `flow order-to-invoice: attempt error rate 35% ≥ 10% over 5m`. */
  summary: string
  description: string | null
  /** The figure compared (rate 0..1, count, or milliseconds), when known. */
  value: number | null
  threshold: number
  /** When the condition started to hold (ISO 8601). */
  activeSince: string
  /** When the alert fired (ISO 8601). */
  firingSince: string
  /** When it resolved (ISO 8601); null while firing. */
  resolvedAt: string | null
  /** Names of the channels to notify (`alerts[].channels`). */
  channels: string[]
}

/**
 * Hands a notification over for delivery. Resolving means it was *accepted*: the evaluator then
 * considers the transition notified and never offers it again. Rejecting makes the evaluator
 * offer it again on the next tick. (The runtime's alert loop collects an evaluation's
 * notifications and commits them for delivery in the same transaction as the alert state, so
 * they are accepted durably exactly when the state that says so is saved.)
 */
export interface AlertNotifier {
  notify(n: AlertNotification): Promise<void>
}

/** One alert instance that is not inactive (for `GET /v1/alerts`, and to survive restarts). */
export interface AlertInstanceState {
  key: string
  alert: string
  subject: AlertSubject
  severity: AlertSeverity
  /** `pending`: holding but not yet for `for`; `firing`; `resolving`: resolved, notification not yet accepted. */
  state: 'pending' | 'firing' | 'resolving'
  /** Epoch ms the condition started to hold. */
  activeSince: number
  /** Epoch ms it fired (null while pending). */
  firingSince: number | null
  /** Epoch ms it resolved (only in `resolving`). */
  resolvedAt: number | null
  /** The last notification accepted by the notifier for this instance. */
  notified: 'none' | 'firing' | 'resolved'
  value: number | null
  threshold: number
  summary: string
}
