/** The SQLite repositories bound to one executor: the Store's, or one transaction's. */
import type { StoreTx } from '../contract.js'
import { SqliteAlerts } from './alerts.js'
import { SqliteDeliveries } from './deliveries.js'
import { SqliteEvents } from './events.js'
import { SqliteApiKeys } from './api-keys.js'
import { SqliteAudit } from './audit.js'
import { SqliteConsumers } from './consumers.js'
import type { SqliteExec } from './executor.js'
import { SqliteLeases } from './leases.js'
import { SqlitePollers } from './pollers.js'
import { SqliteQuotas } from './quotas.js'
import { SqliteRevisions } from './revisions.js'
import { SqliteSettings } from './settings.js'

export function sqliteRepos(x: SqliteExec): StoreTx {
  return {
    consumers: new SqliteConsumers(x),
    apiKeys: new SqliteApiKeys(x),
    revisions: new SqliteRevisions(x),
    audit: new SqliteAudit(x),
    settings: new SqliteSettings(x),
    quotas: new SqliteQuotas(x),
    events: new SqliteEvents(x),
    deliveries: new SqliteDeliveries(x),
    alerts: new SqliteAlerts(x),
    leases: new SqliteLeases(x),
    pollers: new SqlitePollers(x),
  }
}
