/**
 * Gateway consumers: those declared in the config (synced at start) and those created by API,
 * with how many API keys each holds (the keys themselves are under `/v1/keys`).
 */
import { Type } from '@sinclair/typebox'
import type { AdminRouteModule } from '../route-module.js'
import { IsoTime, ListOf, iso } from '../schemas.js'

const Consumer = Type.Object({
  name: Type.String(),
  source: Type.Union([Type.Literal('config'), Type.Literal('api')]),
  scopes: Type.Array(Type.String()),
  owner: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  quota: Type.Union([Type.Object({ limit: Type.Integer(), per: Type.String() }), Type.Null()]),
  keys: Type.Object({ active: Type.Integer({ minimum: 0 }), revoked: Type.Integer({ minimum: 0 }) }, { description: 'API key counts.' }),
  createdAt: IsoTime(),
  updatedAt: IsoTime(),
})

export const registerConsumerRoutes: AdminRouteModule = (app, deps) => {
  app.get(
    '/v1/consumers',
    {
      schema: {
        summary: 'Consumers, ordered by name',
        tags: ['consumers'],
        response: { 200: ListOf(Consumer) },
      },
    },
    async () => {
      const declared = deps.config().config.consumers ?? {}
      const rows = await deps.store.consumers.list()
      const keys = new Map<string, { active: number; revoked: number }>()
      for (const k of await deps.store.apiKeys.list()) {
        const count = keys.get(k.consumer) ?? { active: 0, revoked: 0 }
        if (k.revokedAt === null) count.active++
        else count.revoked++
        keys.set(k.consumer, count)
      }
      return {
        items: rows.map((c) => {
          const spec = Object.hasOwn(declared, c.name) ? declared[c.name] : undefined
          return {
            ...c,
            owner: spec?.owner ?? null,
            description: spec?.description ?? null,
            quota: spec?.quota ?? null,
            keys: keys.get(c.name) ?? { active: 0, revoked: 0 },
            createdAt: iso(c.createdAt),
            updatedAt: iso(c.updatedAt),
          }
        }),
      }
    },
  )
}
