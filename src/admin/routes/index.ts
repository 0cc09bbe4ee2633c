/**
 * Every admin route module, in registration order. A new feature adds its file here
 * (`routes/keys.ts` → `registerKeyRoutes`).
 */
import type { AdminRouteModule } from '../route-module.js'
import { registerAlertRoutes } from './alerts.js'
import { registerAuditRoutes } from './audit.js'
import { registerConfigRoutes } from './config.js'
import { registerConsumerRoutes } from './consumers.js'
import { registerDeliveryRoutes } from './deliveries.js'
import { registerDlqRoutes } from './dlq.js'
import { registerEventRoutes } from './events.js'
import { registerHealthRoutes } from './health.js'
import { registerKeyRoutes } from './keys.js'
import { registerMetricsRoutes } from './metrics.js'
import { registerPollerRoutes } from './pollers.js'
import { registerRouteRoutes } from './routes.js'
import { registerSystemRoutes } from './systems.js'

export const ADMIN_ROUTE_MODULES: readonly AdminRouteModule[] = [
  registerHealthRoutes,
  registerMetricsRoutes,
  registerAlertRoutes,
  registerConfigRoutes,
  registerAuditRoutes,
  registerConsumerRoutes,
  registerKeyRoutes,
  registerRouteRoutes,
  registerSystemRoutes,
  registerEventRoutes,
  registerDeliveryRoutes,
  registerDlqRoutes,
  registerPollerRoutes,
]
