/**
 * The Slack-compatible channel: an incoming-webhook message (`text` as the notification
 * fallback, `blocks` for the layout). Mattermost and Rocket.Chat accept the same `text`.
 * Everything interpolated is escaped for Slack's mrkdwn, so a name or description cannot inject
 * links or mentions (`<!channel>`).
 */
import type { AlertNotification, AlertSeverity } from './types.js'

/** The overrides a Slack channel may set on every message. */
export interface SlackOverrides {
  channel?: string | undefined
  username?: string | undefined
}

/**
 * Slack refuses a section text over 3000 characters. Free text is clipped *before* escaping (so
 * an entity is never cut in half) to a length whose worst-case escape (×5 for `&amp;`) still fits.
 */
const MAX_FREE_TEXT = 250

const EMOJI: Record<AlertSeverity, string> = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' }

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s)

/** The message body of a notification (a plain object, JSON-ready). */
export function slackMessage(n: AlertNotification, channel: SlackOverrides = {}): Record<string, unknown> {
  const firing = n.status === 'firing'
  const emoji = firing ? EMOJI[n.severity] : ':large_green_circle:'
  const head = `${firing ? 'FIRING' : 'RESOLVED'} · ${n.severity} · ${n.alert}`
  const summary = slackEscape(clip(n.summary, MAX_FREE_TEXT))
  const description = n.description === null ? '' : `\n${slackEscape(clip(n.description, MAX_FREE_TEXT))}`
  const when = firing ? `firing since ${n.firingSince}` : `resolved at ${n.resolvedAt ?? ''} (fired ${n.firingSince})`
  const message: Record<string, unknown> = {
    text: `${emoji} [${firing ? 'FIRING' : 'RESOLVED'}] ${slackEscape(n.alert)}: ${summary}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${emoji} *${slackEscape(head)}*\n${summary}${description}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`${n.subject.kind} ${n.subject.name} · ${when} · ${n.key}`) }] },
    ],
  }
  if (channel.channel !== undefined) message.channel = channel.channel
  if (channel.username !== undefined) message.username = channel.username
  return message
}
