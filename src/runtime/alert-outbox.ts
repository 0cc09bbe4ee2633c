/**
 * Where the alert loop's notifications go: one event per (notification, channel) on the
 * channel's internal topic (see alert-channels.ts), committed in the same transaction as the
 * alert state and history. The worker then delivers it with the flows' retries and dead-letter
 * queue — on this node, or on a worker node sharing the store when this one delivers nothing.
 *
 * The event id is the notification id (`<instance key>@<activeSince>:<status>`), so publishing
 * the same transition again is a duplicate the topic drops: at most one delivery per channel and
 * state change, whatever is re-offered.
 *
 * A notification about a channel's own delivery path (its internal flow or system failing) is
 * not sent through that channel: it could not arrive, and each attempt would feed the failure
 * that raised it. The alert's other channels still get it.
 */
import type { AlertChannelConfig } from '../config/spec/alert.js'
import { alertChannelPath } from '../config/reserved.js'
import type { Clock } from '../core/clock.js'
import { SwitchboardError } from '../core/errors.js'
import type { FlowsService } from '../flows/service.js'
import type { PublishInput } from '../flows/publisher.js'
import { channelPayload, type AlertNotification } from '../observe/index.js'
import type { StoreTx } from '../store/contract.js'
import type { AlertOutbox } from './alert-loop.js'

export interface FlowsAlertOutboxOptions {
  flows: Pick<FlowsService, 'commitWith'>
  /** `channels` from the config, secrets resolved. */
  channels: Readonly<Record<string, AlertChannelConfig>>
  clock: Clock
}

export class FlowsAlertOutbox implements AlertOutbox {
  readonly #o: FlowsAlertOutboxOptions

  constructor(options: FlowsAlertOutboxOptions) {
    this.#o = options
  }

  async commit(notifications: readonly AlertNotification[], alongside: (tx: StoreTx) => Promise<void>): Promise<void> {
    const now = this.#o.clock.now()
    const events: PublishInput[] = []
    for (const n of notifications) {
      for (const name of n.channels) {
        const channel = Object.hasOwn(this.#o.channels, name) ? this.#o.channels[name] : undefined
        // The config checks make this unreachable; refusing keeps the notification offered.
        if (channel === undefined) throw new SwitchboardError('SB_ERR_ALERT_NOTIFY_FAILED', `alert ${n.key}: no channel "${name}"`)
        const topic = alertChannelPath(name)
        if ((n.subject.kind === 'flow' || n.subject.kind === 'system') && n.subject.name === topic) continue
        events.push({ topic, id: n.id, key: n.key, body: channelPayload(n, channel, now) })
      }
    }
    await this.#o.flows.commitWith(events, (tx) => alongside(tx))
  }
}
