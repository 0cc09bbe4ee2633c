/** The systems layer's public surface (see docs/reference/systems.md). */
export { Systems, type SystemsOptions } from './registry.js'
export { SystemClient } from './client.js'
export type { ResponseSink, StreamControl } from './stream-call.js'
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitPermit } from './breaker.js'
export { TokenBucket } from './rate-limit.js'
export {
  SYSTEM_CALL_CHANNEL,
  CIRCUIT_TRANSITION_CHANNEL,
  type SystemCallMessage,
  type CircuitTransitionMessage,
} from './diagnostics.js'
export { SYSTEM_DEFAULTS } from './options.js'
export type { SystemCallOptions, SystemResponse, SystemHealth, CircuitState, TargetHealth } from './types.js'
