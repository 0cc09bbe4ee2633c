/**
 * Bringing the store in line with the config at start: consumers declared in the config are
 * upserted (and those removed from it are removed, revoking their keys), and a config revision
 * is recorded when the config's hash differs from the last one. Every change is audited.
 */
import type { LoadedConfig } from '../config/load.js'
import type { Store } from '../store/contract.js'

export interface SyncReport {
  consumers: { created: string[]; updated: string[]; removed: string[] }
  /** The new revision's id, or undefined when the config is unchanged. */
  revision: number | undefined
}

const ACTOR = 'config'

export async function syncFromConfig(store: Store, loaded: LoadedConfig, now = Date.now()): Promise<SyncReport> {
  const declared = loaded.config.consumers ?? {}
  return store.transaction(async (tx) => {
    const report: SyncReport = { consumers: { created: [], updated: [], removed: [] }, revision: undefined }
    const existing = new Map((await tx.consumers.list()).map((c) => [c.name, c]))
    for (const [name, spec] of Object.entries(declared)) {
      const scopes = [...(spec.scopes ?? [])]
      const prev = existing.get(name)
      if (prev && prev.source === 'config' && sameSet(prev.scopes, scopes)) continue
      await tx.consumers.upsert({ name, source: 'config', scopes })
      ;(prev ? report.consumers.updated : report.consumers.created).push(name)
      await tx.audit.append({ at: now, actor: ACTOR, action: prev ? 'consumer.updated' : 'consumer.created', target: name, details: { scopes, file: loaded.file } })
    }
    for (const c of existing.values()) {
      if (c.source !== 'config' || Object.hasOwn(declared, c.name)) continue
      await tx.consumers.remove(c.name)
      report.consumers.removed.push(c.name)
      await tx.audit.append({ at: now, actor: ACTOR, action: 'consumer.removed', target: c.name, details: { reason: 'no longer in the config', file: loaded.file } })
    }
    const latest = await tx.revisions.latest()
    if (latest?.hash !== loaded.hash) {
      const rev = await tx.revisions.add({ hash: loaded.hash, config: loaded.source, source: loaded.file, actor: ACTOR })
      report.revision = rev.id
      await tx.audit.append({
        at: now,
        actor: ACTOR,
        action: 'config.applied',
        target: loaded.file,
        details: { revision: rev.id, hash: loaded.hash, previousHash: latest?.hash ?? null },
      })
    }
    return report
  })
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n')
}
