import { Type, type Static } from '@sinclair/typebox'
import { Description, Duration, Obj, Owner } from './common.js'

export const Quota = Obj(
  {
    limit: Type.Integer({ minimum: 1, description: 'Requests allowed per period.' }),
    per: Type.Union([Type.Literal('1h'), Type.Literal('1d'), Type.Literal('1M')], { description: 'Calendar period (UTC): hour, day or month.' }),
  },
  { description: 'Persisted quota; survives restarts.' },
)

export const InboundRateLimit = Obj(
  {
    perSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    perMinute: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    burst: Type.Optional(Type.Integer({ minimum: 1 })),
    window: Type.Optional(Duration({ 'x-positive': true, description: 'Sliding window length (default 1s or 1m by unit).' })),
  },
  { description: 'Rate limit; answers 429 with RateLimit-* and Retry-After headers.' },
)

export const ConsumerSpec = Obj(
  {
    owner: Owner(),
    description: Description(),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Scopes granted to this consumer.' })),
    quota: Type.Optional(Quota),
    rateLimit: Type.Optional(InboundRateLimit),
    jwtSubjects: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'JWT `sub` values (or the configured claim) that identify this consumer.' })),
  },
  { description: 'A client of the gateway. API keys are created with `switchboard keys create` and stored hashed.' },
)
export type ConsumerConfig = Static<typeof ConsumerSpec>
export type QuotaConfig = Static<typeof Quota>
export type InboundRateLimitConfig = Static<typeof InboundRateLimit>
