/**
 * Consumer API keys: the single place keys are created, listed and revoked (the admin API and
 * the `switchboard keys` CLI call these). The plaintext key exists only in the return value of
 * {@link createApiKey}; the store keeps its SHA-256 hash and a short prefix for recognition.
 * Creation and revocation are audited in the same transaction as the change.
 */
import { newId, newSecretToken } from '../../core/ids.js'
import { hashSecret } from '../../core/secrets.js'
import type { ApiKeyRecord, Store } from '../../store/contract.js'
import { API_KEY_PREFIX } from './api-key.js'

/** Characters of the key kept as its visible prefix: `sbk_` + 8 random characters (48 bits). */
const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 8

export interface CreatedApiKey {
  id: string
  /** The plaintext key. Show it once; it cannot be recovered. */
  key: string
  prefix: string
}

export interface KeyActionOptions {
  /** Who does it, for the audit log (`admin`, `cli:alice`…). Default `system`. */
  actor?: string
  /** Epoch ms; default now. */
  now?: number
}

/**
 * Create a key for `consumer`. Rejects with SB_ERR_STORE_NOT_FOUND when the consumer does not
 * exist in the store.
 */
export async function createApiKey(store: Store, consumer: string, label?: string | null, options: KeyActionOptions = {}): Promise<CreatedApiKey> {
  const now = options.now ?? Date.now()
  const id = newId(now)
  const key = newSecretToken(API_KEY_PREFIX.slice(0, -1))
  const prefix = key.slice(0, VISIBLE_PREFIX_LENGTH)
  await store.transaction(async (tx) => {
    await tx.apiKeys.create({ id, consumer, hash: hashSecret(key), prefix, label: label ?? null })
    await tx.audit.append({ at: now, actor: options.actor ?? 'system', action: 'apikey.create', target: consumer, details: { id, prefix, label: label ?? null } })
  })
  return { id, key, prefix }
}

/** Keys of one consumer, or of all; newest first, revoked ones included. Never the key itself. */
export function listApiKeys(store: Store, consumer?: string): Promise<ApiKeyRecord[]> {
  return store.apiKeys.list(consumer)
}

/**
 * Revoke a key by id. Returns false when it does not exist or was already revoked (then nothing
 * is audited). Running gateways stop accepting it within about a second (their revocation poll).
 */
export async function revokeApiKey(store: Store, id: string, options: KeyActionOptions = {}): Promise<boolean> {
  const now = options.now ?? Date.now()
  return store.transaction(async (tx) => {
    const revoked = await tx.apiKeys.revoke(id, now)
    if (revoked) await tx.audit.append({ at: now, actor: options.actor ?? 'system', action: 'apikey.revoke', target: id, details: null })
    return revoked
  })
}
