/** Alerts: rules compiled from the config, the evaluator, and the channel payloads. */
export * from './types.js'
export { compileAlerts, longestWindowMs, MAX_ALERT_WINDOW_MS, type CompiledAlert, type HealthSource, type Reading, type AlertsConfig } from './conditions.js'
export { AlertEvaluator, type AlertEvaluatorOptions } from './evaluator.js'
export { renderChannelRequest } from './render.js'
export { renderWebhookRequest, type ChannelRequest, type WebhookChannel, type WebhookAlertBody } from './webhook-payload.js'
export { renderSlackRequest, slackMessage, slackEscape, type SlackChannel } from './slack-payload.js'
