/** The PostgreSQL repositories bound to one executor: the pool's, or one transaction's client. */
import type { StoreTx } from '../contract.js'
import { PgAlerts } from './alerts.js'
import { PgDeliveries } from './deliveries.js'
import { PgEvents } from './events.js'
import { PgApiKeys } from './api-keys.js'
import { PgAudit } from './audit.js'
import { PgConsumers } from './consumers.js'
import type { PgExec } from './executor.js'
import { PgLeases } from './leases.js'
import { PgPollers } from './pollers.js'
import { PgQuotas } from './quotas.js'
import { PgRevisions } from './revisions.js'
import { PgSettings } from './settings.js'

export function pgRepos(x: PgExec): StoreTx {
  return {
    consumers: new PgConsumers(x),
    apiKeys: new PgApiKeys(x),
    revisions: new PgRevisions(x),
    audit: new PgAudit(x),
    settings: new PgSettings(x),
    quotas: new PgQuotas(x),
    events: new PgEvents(x),
    deliveries: new PgDeliveries(x),
    alerts: new PgAlerts(x),
    leases: new PgLeases(x),
    pollers: new PgPollers(x),
  }
}
