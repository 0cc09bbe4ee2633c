/**
 * JSON Schemas shared by admin routes (TypeBox, like the config spec). Times are ISO 8601
 * strings in the API even though the store keeps epoch milliseconds.
 */
import { Type, type Static } from '@sinclair/typebox'

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable error code (SB_ERR_…); see docs/errors.md.' }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details.' },
)

export const IsoTime = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) })

export const LimitQuery = Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size.' })

export const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) })

/** `{ items: [...] }`: every collection is wrapped so fields can be added without breaking clients. */
export const ListOf = <T extends ReturnType<typeof Type.Object>>(item: T, extra: Parameters<typeof Type.Object>[0] = {}) =>
  Type.Object({ items: Type.Array(item), ...extra })

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString()
}

export type ProblemBody = Static<typeof ProblemSchema>
