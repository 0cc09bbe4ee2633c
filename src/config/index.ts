/**
 * The config module's public API: load and validate `switchboard.yaml`, the spec (types, JSON
 * Schema) and helpers other areas reuse.
 */
export { loadConfig, type LoadedConfig, type LoadOptions } from './load.js'
export { ConfigError, formatIssue, type ConfigIssue } from './issues.js'
export { readDocument, readUserSchema, type DocumentResult } from './user-schema.js'
export { canonicalJson } from './canonical.js'
export { formatPath } from './paths.js'
export * from './spec/index.js'
