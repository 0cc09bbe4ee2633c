/**
 * Consumer API keys: create (the only answer that ever holds the plaintext key), list (prefix
 * only) and revoke. Keys are created and revoked through `gateway/auth/keys.ts`, which stores
 * the hash and writes the audit entry in the same transaction.
 */
import { Type, type Static } from '@sinclair/typebox'
import { SwitchboardError } from '../../core/errors.js'
import { createApiKey, listApiKeys, revokeApiKey } from '../../gateway/auth/keys.js'
import type { ApiKeyRecord } from '../../store/contract.js'
import type { AdminRouteModule } from '../route-module.js'
import type { AdminDeps } from '../deps.js'
import { IsoTime, ListOf, NameParam, ProblemSchema, iso } from '../schemas.js'

/** Who the audit log names for changes made through the admin API (the token has no identity). */
export const ADMIN_ACTOR = 'admin-api'

const ApiKeyView = Type.Object({
  id: Type.String(),
  consumer: Type.String(),
  prefix: Type.String({ description: 'First characters of the key, to recognise it. Never the key.' }),
  label: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
  createdAt: IsoTime(),
  revokedAt: Type.Union([IsoTime(), Type.Null()]),
  lastUsedAt: Type.Union([IsoTime('Recorded in batches, about once a minute.'), Type.Null()]),
})

const CreateKeyBody = Type.Object(
  {
    // Printable text only: labels end up in tables, logs and the audit log.
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'What the key is for (shown in listings).' })),
  },
  { additionalProperties: false },
)

const CreatedKey = Type.Object({
  id: Type.String(),
  key: Type.String({ description: 'The API key. Shown only in this answer: only its hash is stored.' }),
  prefix: Type.String(),
  consumer: Type.String(),
})

const KeysQuery = Type.Object({ consumer: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Only the keys of this consumer.' })) })
const KeyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$', description: 'Key id (from the listing).' }) })

function view(k: ApiKeyRecord) {
  return {
    id: k.id,
    consumer: k.consumer,
    prefix: k.prefix,
    label: k.label,
    status: k.revokedAt === null ? ('active' as const) : ('revoked' as const),
    createdAt: iso(k.createdAt),
    revokedAt: iso(k.revokedAt),
    lastUsedAt: iso(k.lastUsedAt),
  }
}

async function requireConsumer(deps: AdminDeps, name: string): Promise<void> {
  if (!(await deps.store.consumers.get(name))) throw new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', `consumer "${name}" does not exist`)
}

export const registerKeyRoutes: AdminRouteModule = (app, deps) => {
  app.post<{ Params: Static<typeof NameParam>; Body: Static<typeof CreateKeyBody> | undefined }>(
    '/v1/consumers/:name/keys',
    {
      schema: {
        summary: 'Create an API key for a consumer; the answer is the only place the key is ever shown',
        tags: ['keys'],
        params: NameParam,
        body: CreateKeyBody,
        bodyOptional: true,
        response: { 201: CreatedKey, 404: { ...ProblemSchema, description: 'No such consumer (SB_ERR_ADMIN_NOT_FOUND).' } },
      },
    },
    async (req, reply) => {
      const consumer = req.params.name
      await requireConsumer(deps, consumer)
      // A consumer removed between the check and the insert is refused by the store (404 too).
      const created = await createApiKey(deps.store, consumer, req.body?.label ?? null, { actor: ADMIN_ACTOR })
      return reply.code(201).send({ ...created, consumer })
    },
  )

  app.get<{ Querystring: Static<typeof KeysQuery> }>(
    '/v1/keys',
    {
      schema: {
        summary: 'API keys (never the keys themselves), newest first, revoked ones included',
        tags: ['keys'],
        querystring: KeysQuery,
        response: { 200: ListOf(ApiKeyView), 404: { ...ProblemSchema, description: 'No such consumer (SB_ERR_ADMIN_NOT_FOUND).' } },
      },
    },
    async (req) => {
      const consumer = req.query.consumer
      if (consumer !== undefined) await requireConsumer(deps, consumer)
      return { items: (await listApiKeys(deps.store, consumer)).map(view) }
    },
  )

  app.delete<{ Params: Static<typeof KeyParams> }>(
    '/v1/keys/:id',
    {
      schema: {
        summary: 'Revoke an API key; this node’s gateway refuses it at once, other nodes within about a second',
        tags: ['keys'],
        params: KeyParams,
        response: {
          204: Type.Null({ description: 'Revoked.' }),
          404: { ...ProblemSchema, description: 'No active key with this id: unknown, or already revoked (SB_ERR_ADMIN_NOT_FOUND).' },
        },
      },
    },
    async (req, reply) => {
      if (!(await revokeApiKey(deps.store, req.params.id, { actor: ADMIN_ACTOR }))) {
        throw new SwitchboardError('SB_ERR_ADMIN_NOT_FOUND', `no active API key with id "${req.params.id}" (unknown or already revoked)`)
      }
      await deps.onKeyRevoked?.(req.params.id).catch((err: unknown) => req.log.warn({ err }, 'could not refresh the gateway’s revoked keys at once'))
      return reply.code(204).send()
    },
  )
}
