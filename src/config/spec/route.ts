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
    clockSkew: Type.Optional(Duration({ default: '30s', description: 'Leeway for `exp`, `nbf` and `iat` checks.' })),
    consumerClaim: Type.Optional(Type.String({ default: 'sub', description: 'Claim mapped to a consumer’s `jwtSubjects`.' })),
    jwksCooldown: Type.Optional(Duration({ default: '30s', description: 'Minimum time after a JWKS fetch before an unknown `kid` may trigger another (protects the identity provider from token floods).' })),
    jwksMaxAge: Type.Optional(Duration({ default: '10m', description: 'How long fetched JWKS keys are used before they are fetched again.' })),
  },
  {
    description:
      'Bearer JWT verification: exactly one of `jwksUrl` or `key`. Tokens must carry `exp`. `HS256` needs a shared-secret `key` of at least 32 bytes and cannot be combined with a JWKS or a public key (algorithm confusion).',
  },
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
    tolerance: Type.Optional(Duration({ 'x-positive': true, default: '5m', description: 'Maximum clock difference, past or future.' })),
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
    path: Type.Optional(
      PathString(
        'Upstream path template. `:param` segments take the route’s parameter of that name, URL-encoded; a trailing `*` takes the route’s wildcard tail. A parameter holding `/`, `\\`, a dot segment or a control character is rejected with 400, never forwarded. Defaults to the route path. The query string is passed through.',
      ),
    ),
    method: Type.Optional(Type.String({ pattern: '^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$', description: 'Upstream method; defaults to the request’s.' })),
    timeout: Type.Optional(Duration({ 'x-positive': true, description: 'Time limit of the upstream call; overrides the system’s `timeout`.' })),
  },
  { description: 'Forward the request to a system; status, headers and body pass through (hop-by-hop headers stripped).', examples: [{ system: 'erp', path: '/orders/:id' }] },
)

export const PublishAction = Obj(
  {
    topic: Type.String({ minLength: 1, description: 'Topic to publish the request body to.' }),
    id: Type.Optional(
      Expression({ description: 'JSONata over `{ headers, body, query, params }` giving the event id (dedupe: a repeated id is accepted again but delivered once); generated when absent or empty.', examples: ["headers.'webhook-id'"] }),
    ),
    key: Type.Optional(Expression({ description: 'JSONata over `{ headers, body, query, params }` giving the ordering key.', examples: ['body.customer.id'] })),
    headers: Type.Optional(Type.Array(Type.String(), { description: 'Request headers kept on the event (names, case-insensitive).' })),
  },
  { description: 'Publish the request body (JSON) as a durable event; answers 202 `{ id, topic, duplicate }` only once the event is committed.' },
)

export const HeaderOps = Obj(
  {
    set: Type.Optional(Headers({ description: 'Headers to set (replacing any value); values may be secret references.' })),
    remove: Type.Optional(Type.Array(Type.String(), { description: 'Header names to remove (case-insensitive).' })),
  },
  { examples: [{ set: { 'X-Tenant': 'acme' }, remove: ['Cookie'] }] },
)

/** A JSON Schema given inline, or the path of a JSON/YAML file holding one (relative to the config file). */
const SchemaRef = (description: string) =>
  Type.Union([Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.Unknown())], { description })

export const RequestOptions = Obj(
  {
    validate: Type.Optional(
      Obj(
        {
          body: Type.Optional(SchemaRef('JSON Schema of the JSON body (inline object, or a path to a JSON/YAML file relative to the config file).')),
          query: Type.Optional(SchemaRef('JSON Schema of the query parameters, as an object of strings (types are coerced: `?limit=5` satisfies `type: integer`).')),
          params: Type.Optional(SchemaRef('JSON Schema of the path parameters, as an object (types are coerced).')),
          headers: Type.Optional(SchemaRef('JSON Schema of the request headers, as an object with lower-case names.')),
          openapi: Type.Optional(
            Type.Boolean({ description: 'Validate with the operation’s request body and parameters from the proxied system’s OpenAPI 3.x document (`systems.<name>.openapi`); the operation is found by method and upstream path.' }),
          ),
        },
        { description: 'Request validation; a failure answers 400 listing every violation.' },
      ),
    ),
    transform: Type.Optional(
      Expression({ description: 'JSONata transform of the JSON request body, with `$headers`, `$query`, `$params` and `$consumer` bound; compiled at load.', examples: ["{ 'sku': item.code, 'qty': quantity }"] }),
    ),
    headers: Type.Optional(HeaderOps),
  },
  { description: 'What happens to the request before it is forwarded or published.' },
)

export const ResponseOptions = Obj(
  {
    transform: Type.Optional(Expression({ description: 'JSONata transform of the JSON response body, with `$status` and `$headers` bound.', examples: ['{ "id": id, "total": amount / 100 }'] })),
    allow: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Only these fields (dotted paths; arrays are traversed, so `items.sku` keeps `sku` in every item) are returned. A non-JSON or compressed body is refused with 502 rather than passed on.',
        examples: [['id', 'status', 'items.sku']],
      }),
    ),
    deny: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'These fields (dotted paths, arrays traversed) are removed.', examples: [['customer.email', 'internal']] })),
    headers: Type.Optional(HeaderOps),
  },
  { description: 'What happens to the upstream response before it is returned.' },
)

export const RouteRateLimit = Obj(
  {
    ...InboundRateLimit.properties,
    by: Type.Optional(
      Type.Union([Type.Literal('consumer'), Type.Literal('ip'), Type.Literal('route')], {
        default: 'consumer',
        description: 'Who shares a bucket: each consumer (anonymous callers by client IP), each client IP, or everyone on the route.',
      }),
    ),
  },
  { description: 'Token bucket: refills at `perSecond` (or `perMinute`), holds up to `burst` (default: the per-unit amount). Answers 429 with RateLimit-* and Retry-After headers.', examples: [{ perSecond: 10, burst: 20 }] },
)

export const RouteLimits = Obj(
  {
    body: Type.Optional(Type.Integer({ minimum: 0, default: 1_048_576, description: 'Maximum request body bytes (413 above).' })),
    depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 32, description: 'Maximum JSON nesting depth of a buffered body (400 above).' })),
    responseBody: Type.Optional(Type.Integer({ minimum: 0, default: 10_485_760, description: 'Maximum upstream response bytes when the response must be buffered (transform or field lists); 502 above.' })),
    timeout: Type.Optional(Duration({ 'x-positive': true, description: 'Deadline for the whole request, from arrival to the response head (408 while reading the body, 504 while waiting for the system).' })),
  },
  { description: 'Per-route request limits.', examples: [{ body: 65536, depth: 16, timeout: '5s' }] },
)

export const RouteCors = Obj(
  {
    origins: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Allowed origins (`https://app.example.com`), or `*`.' }),
    methods: Type.Optional(Type.Array(Type.String(), { description: 'Allowed methods; default: the methods of the routes on this path.' })),
    headers: Type.Optional(Type.Array(Type.String(), { description: 'Allowed request headers; default: those the preflight asks for.' })),
    exposeHeaders: Type.Optional(Type.Array(Type.String(), { description: 'Response headers readable by the page.' })),
    credentials: Type.Optional(Type.Boolean({ default: false, description: 'Allow cookies/credentials (not with `*`).' })),
    maxAge: Type.Optional(Duration({ default: '10m', description: 'How long browsers may cache the preflight.' })),
  },
  { description: 'CORS: the gateway answers preflights itself and adds Access-Control-* headers.', examples: [{ origins: ['https://app.example.com'], credentials: true }] },
)

export const RouteDeprecation = Type.Union(
  [
    Type.Literal(true),
    Obj({
      since: Type.Optional(Type.String({ format: 'date', description: 'Date of deprecation (sent as `Deprecation: @<epoch>`; `true` without).' })),
      sunset: Type.Optional(Type.String({ format: 'date', description: 'Date of removal (sent as `Sunset: <HTTP-date>`).' })),
      successor: Type.Optional(Type.String({ description: 'URL or path of the replacement (sent as `Link: <…>; rel="successor-version"`).' })),
    }),
  ],
  { description: 'Marks the route deprecated: responses carry Deprecation, Sunset and Link headers.', examples: [{ since: '2026-01-01', sunset: '2026-06-30', successor: '/v2/orders/:id' }] },
)

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
    host: Type.Optional(Type.String({ description: 'Only match requests for this Host (any port); a leading `*.` matches one subdomain level.', examples: ['api.example.com', '*.example.com'] })),
    version: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: '^[\\x21-\\x7e]+$',
        description:
          'API version of the route. Routes may share a method, path and host when each has a distinct version: the gateway serves the one the request names in the `versioning.header` header (`Api-Version` by default), else the `versioning.default` one. Answers carry the header with the version served.',
        examples: ['2', '2026-01-15'],
      }),
    ),
    owner: Owner(),
    description: Description(),
    auth: Type.Optional(Type.Union([AuthMethod, Type.Array(AuthMethod, { minItems: 1 })], { description: 'Accepted authentication methods (any one suffices).' })),
    scopes: Type.Optional(Type.Array(Type.String(), { description: 'Scopes the consumer must hold.' })),
    consumers: Type.Optional(Type.Array(Name(), { description: 'Only these consumers may call the route.' })),
    proxy: Type.Optional(ProxyAction),
    publish: Type.Optional(PublishAction),
    request: Type.Optional(RequestOptions),
    response: Type.Optional(ResponseOptions),
    rateLimit: Type.Optional(RouteRateLimit),
    limits: Type.Optional(RouteLimits),
    cors: Type.Optional(RouteCors),
    ip: Type.Optional(Obj({ allow: Type.Optional(Type.Array(Type.String())), deny: Type.Optional(Type.Array(Type.String())) })),
    deprecated: Type.Optional(RouteDeprecation),
  },
  { description: 'An inbound HTTP endpoint: one method key with its path, and exactly one of `proxy` or `publish`.' },
)
export type RouteConfig = Static<typeof RouteSpec>
export type RouteRateLimitConfig = Static<typeof RouteRateLimit>
export type RouteCorsConfig = Static<typeof RouteCors>
export type RouteDeprecationConfig = Static<typeof RouteDeprecation>
export type HeaderOpsConfig = Static<typeof HeaderOps>
export type ProxyActionConfig = Static<typeof ProxyAction>
export type PublishActionConfig = Static<typeof PublishAction>
export type RouteLimitsConfig = Static<typeof RouteLimits>
export type RequestOptionsConfig = Static<typeof RequestOptions>
export type ResponseOptionsConfig = Static<typeof ResponseOptions>
export type AuthMethodConfig = Static<typeof AuthMethod>
export type JwtAuthConfig = Static<typeof JwtAuth>
export type ApiKeyAuthConfig = Static<typeof ApiKeyAuth>
export type WebhookAuthConfig = Static<typeof WebhookAuth>
