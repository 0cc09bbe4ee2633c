/**
 * Checks beyond the JSON Schema: references between blocks, uniqueness, exclusive choices,
 * expressions, URLs, schedules, files and impossible value combinations. They run even when the
 * schema found problems, so one `switchboard validate` shows everything.
 */
import { checkChannels } from './checks/channels.js'
import { checkFiles } from './checks/files.js'
import { checkFlows, checkPollers } from './checks/flows.js'
import { checkDuplicateIds } from './checks/ids.js'
import { checkKinds } from './checks/kinds.js'
import { checkReferences } from './checks/references.js'
import { checkReservedNames } from './checks/reserved.js'
import { checkRetention } from './checks/retention.js'
import { checkRoutes } from './checks/routes.js'
import { checkValues } from './checks/values.js'
import type { Check, CheckContext } from './checks/context.js'
import type { SecretLookup } from './explain.js'
import type { Finding } from './issues.js'
import { isRecord } from './paths.js'

const CHECKS: readonly Check[] = [checkReferences, checkReservedNames, checkDuplicateIds, checkRoutes, checkFlows, checkPollers, checkKinds, checkValues, checkChannels, checkFiles, checkRetention]

/**
 * Every semantic problem in `config` (a parsed, secret-resolved config, valid or not). Pass
 * `schemaValid` when the schema accepted it, so a check that throws is not silently skipped.
 */
export function checkSemantics(config: unknown, dir: string, secret: SecretLookup = () => undefined, opts: { schemaValid?: boolean } = {}): Finding[] {
  if (!isRecord(config)) return []
  const findings: Finding[] = []
  const ctx: CheckContext = { config, dir, secret, report: (f) => findings.push(f) }
  for (const check of CHECKS) {
    try {
      check(ctx)
    } catch (err) {
      // A shape the schema already rejected can trip a check; the schema finding says enough.
      // On a schema-valid config a throwing check is a bug and must surface.
      if (opts.schemaValid === true) throw err
    }
  }
  return findings
}
