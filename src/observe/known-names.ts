/**
 * The names a config declares, for the label caps of the metrics and the entity lists of the
 * health summary: configured names always get their own series and appear with no traffic yet.
 */
import type { RawConfig } from '../config/spec/root.js'

export interface ConfigNames {
  routes: string[]
  consumers: string[]
  systems: string[]
  flows: string[]
  topics: string[]
  pollers: string[]
}

export function namesFromConfig(config: Readonly<RawConfig>): ConfigNames {
  return {
    routes: (config.routes ?? []).map((r) => r.id),
    consumers: Object.keys(config.consumers ?? {}),
    systems: Object.keys(config.systems ?? {}),
    flows: (config.flows ?? []).map((f) => f.id),
    topics: Object.keys(config.topics ?? {}),
    pollers: (config.pollers ?? []).map((p) => p.id),
  }
}
