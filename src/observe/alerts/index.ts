/** Alerts: rules compiled from the config, the evaluator, and the channel payloads. */
export * from './types.js'
export { compileAlerts, longestWindowMs, MAX_ALERT_WINDOW_MS, type CompiledAlert, type HealthSource, type Reading, type AlertsConfig } from './conditions.js'
export { AlertEvaluator, type AlertEvaluatorOptions } from './evaluator.js'
export { channelPayload } from './render.js'
export { webhookAlertBody, type WebhookAlertBody } from './webhook-payload.js'
export { slackMessage, slackEscape, type SlackOverrides } from './slack-payload.js'
