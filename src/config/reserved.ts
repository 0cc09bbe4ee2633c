/**
 * Names Switchboard keeps for its own topics, flows and systems: today the delivery path of each
 * alert channel (`switchboard.alerts.<channel>`, see src/runtime/alert-channels.ts). A config may
 * not declare a topic, flow or system under the prefix (checks/reserved.ts), so an internal name
 * can never collide with a user's.
 */

export const RESERVED_PREFIX = 'switchboard.'

/** Whether `name` is under the reserved prefix (case-sensitive, like every name). */
export function isReservedName(name: string): boolean {
  return name.startsWith(RESERVED_PREFIX)
}

/** The internal topic, flow and system (one name for the three) delivering alert channel `channel`. */
export function alertChannelPath(channel: string): string {
  return `${RESERVED_PREFIX}alerts.${channel}`
}
