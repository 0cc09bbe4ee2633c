import { Type, type Static } from '@sinclair/typebox'
import { Description, Duration, Expression, Headers, HttpUrl, Name, Obj, Owner, Secret } from './common.js'
import { InboundRateLimit } from './consumer.js'

const PathString = (description: string) => Type.String({ pattern: '^/', description })

export const JwtAuth = Obj(
  {
    jwksUrl: Type.Optional(HttpUrl({ description: 'JWKS endpoint; keys are cached and refetched on an unknown `kid`.' })),
    key: Type.Optional(Secret({ description: 'Static verification key: PEM public key, or the shared secret for HS256.' })),
    issuer: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    audience: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    algorithms: Type.Optional(
      Type.Array(Type.Union(['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256'].map((a) => Type.Literal(a))), { minItems: 1, default: ['RS256'] }),
    ),
    clockSkew: Type.Optional(Duration({ default: '30s' })),
    consumerClaim: Type.Optional(Type.String({ default: 'sub', description: 'Claim mapped to a consumer’s `jwtSubjects`.' })),
  },
  { description: 'Bearer JWT verification.' },
)

export const ApiKeyAuth = Obj(
  {
    header: Type.Optional(Type.String({ default: 'X-Api-Key' })),
    query: Type.Optional(Type.String({ description: 'Also accept the key in this query parameter (off by default: keys in URLs leak into logs).' })),
  },
  { description: 'Consumer API keys (header, `Authorization: Bearer`, or an opted-in query parameter).' },
)

export const WebhookAuth = Obj(
  {
    scheme: Type.Union([Type.Literal('standard-webhooks'), Type.Literal('stripe'), Type.Literal('github')]),
    secret: Type.Union([Secret(), Type.Array(Secret(), { minItems: 1 })], { description: 'Signing secret(s); several allow rotation.' }),
    tolerance: Type.Optional(Duration({ default: '5m', description: 'Maximum clock difference, past or future.' })),
    consumer: Type.Optional(Name({ description: 'Consumer the sender is counted as.' })),
  },
  { description: 'Signed webhook, verified over the raw body in constant time.' },
)

export const AuthMethod = Type.Union([
  Type.Literal('none'),
  Type.Literal('apiKey'),
  Type.Literal('jwt'),
  Obj({ apiKey: ApiKeyAuth }),
  Obj({ jwt: JwtAuth }),
  Obj({ webhook: WebhookAuth }),
])

export const ProxyAction = Obj(
  {
    system: Name({ description: 'Target system.' }),
    path: Type.Optional(PathString('Upstream path template; `:param` values are URL-encoded. Defaults to the route path.')),
    method: Type.Optional(Type.String({ pattern: '^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$' })),
    timeout: Type.Optional(Duration()),
  },
  { description: 'Forward the request to a system.' },
)

export const PublishAction = Obj(
  {
    topic: Type.String({ minLength: 1, description: 'Topic to publish the request body to.' }),
    id: Type.Optional(Expression({ description: 'JSONata over `{ headers, body, query, params }` for the event id (dedupe); generated when absent.' })),
    key: Type.Optional(Expression({ description: 'JSONata for the ordering key.' })),
    headers: Type.Optional(Type.Array(Type.String(), { description: 'Request headers kept on the event.' })),
  },
  { description: 'Publish the request as a durable event; answers 202 once committed.' },
)

export const HeaderOps = Obj({
  set: Type.Optional(Headers()),
  remove: Type.Optional(Type.Array(Type.String())),
})

export const RouteSpec = Obj(
  {
    id: Name({ description: 'Stable id (metrics, logs, catalog).' }),
    get: Type.Optional(PathString('GET path; `:param` segments and a trailing `*`.')),
    post: Type.Optional(PathString('POST path.')),
    put: Type.Optional(PathString('PUT path.')),
    patch: Type.Optional(PathString('PATCH path.')),
    delete: Type.Optional(PathString('DELETE path.')),
    head: Type.Optional(PathString('HEAD path.')),
    options: Type.Optional(PathString('OPTIONS path.')),
    host: Type.Optional(Type.String({ description: 'Only match requests for this Host.' })),
    version: Type.Optional(Type.String({ description: 'API version label (catalog, docs).' })),
    owner: Owner(),
    description: Description(),
    auth: Type.Optional(Type.Union([AuthMethod, Type.Array(AuthMethod, { minItems: 1 })], { description: 'Accepted authentication methods (any one suffices).' })),
    scopes: Type.Optional(Type.Array(Type.String(), { description: 'Scopes the consumer must hold.' })),
    consumers: Type.Optional(Type.Array(Name(), { description: 'Only these consumers may call the route.' })),
    proxy: Type.Optional(ProxyAction),
    publish: Type.Optional(PublishAction),
    request: Type.Optional(
      Obj({
        validate: Type.Optional(
          Obj({
            body: Type.Optional(Type.Unknown({ description: 'JSON Schema (inline object or a path to a file).' })),
            query: Type.Optional(Type.Unknown()),
            params: Type.Optional(Type.Unknown()),
            headers: Type.Optional(Type.Unknown()),
            openapi: Type.Optional(Type.Boolean({ description: 'Validate with the operation’s schemas from the system’s OpenAPI document.' })),
          }),
        ),
        transform: Type.Optional(Expression({ description: 'JSONata transform of the request body.' })),
        headers: Type.Optional(HeaderOps),
      }),
    ),
    response: Type.Optional(
      Obj({
        transform: Type.Optional(Expression({ description: 'JSONata transform of the response body.' })),
        allow: Type.Optional(Type.Array(Type.String(), { description: 'Only these fields (dotted paths) are returned.' })),
        deny: Type.Optional(Type.Array(Type.String(), { description: 'These fields (dotted paths) are removed.' })),
        headers: Type.Optional(HeaderOps),
      }),
    ),
    rateLimit: Type.Optional(InboundRateLimit),
    limits: Type.Optional(
      Obj({
        body: Type.Optional(Type.Integer({ minimum: 0, default: 1_048_576, description: 'Maximum body bytes.' })),
        depth: Type.Optional(Type.Integer({ minimum: 1, default: 32, description: 'Maximum JSON nesting depth.' })),
        timeout: Type.Optional(Duration({ description: 'Total request time.' })),
      }),
    ),
    cors: Type.Optional(
      Obj({
        origins: Type.Array(Type.String(), { minItems: 1 }),
        methods: Type.Optional(Type.Array(Type.String())),
        headers: Type.Optional(Type.Array(Type.String())),
        credentials: Type.Optional(Type.Boolean()),
        maxAge: Type.Optional(Duration()),
      }),
    ),
    ip: Type.Optional(Obj({ allow: Type.Optional(Type.Array(Type.String())), deny: Type.Optional(Type.Array(Type.String())) })),
    deprecated: Type.Optional(
      Obj({
        since: Type.Optional(Type.String({ format: 'date' })),
        sunset: Type.Optional(Type.String({ format: 'date' })),
        successor: Type.Optional(Type.String()),
      }),
    ),
  },
  { description: 'An inbound HTTP endpoint: one method key with its path, and exactly one of `proxy` or `publish`.' },
)
export type RouteConfig = Static<typeof RouteSpec>
export type AuthMethodConfig = Static<typeof AuthMethod>
export type JwtAuthConfig = Static<typeof JwtAuth>
export type WebhookAuthConfig = Static<typeof WebhookAuth>
