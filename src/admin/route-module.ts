/**
 * How a feature adds endpoints to the admin API: one file per feature in `routes/` exporting an
 * {@link AdminRouteModule}, listed in `routes/index.ts`. Every route declares a JSON Schema for
 * its inputs and responses plus `summary`/`tags`; the OpenAPI document at /openapi.json is
 * built from exactly those declarations, so the docs cannot drift from the code.
 */
import type { FastifyInstance } from 'fastify'
import type { AdminDeps } from './deps.js'

export type AdminRouteModule = (app: FastifyInstance, deps: AdminDeps) => void | Promise<void>

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the admin token (health probes and the OpenAPI document only). */
    public?: boolean
  }
  interface FastifySchema {
    summary?: string
    description?: string
    tags?: readonly string[]
    operationId?: string
    /** The request body may be left out (it is then validated as `{}`). */
    bodyOptional?: boolean
    /** Left out of /openapi.json. */
    hide?: boolean
    /** Media type of the success answers in /openapi.json (default `application/json`). */
    produces?: string
  }
}
