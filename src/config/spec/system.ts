import { Type, type Static } from '@sinclair/typebox'
import { Description, Duration, Headers, HttpUrl, Name, Obj, Owner, Secret, Expression } from './common.js'

export const SystemAuth = Type.Union(
  [
    Obj({ type: Type.Literal('none') }),
    Obj(
      {
        type: Type.Literal('apiKey'),
        value: Secret({ description: 'The key.' }),
        header: Type.Optional(Type.String({ description: 'Header to send the key in.', default: 'X-Api-Key' })),
        query: Type.Optional(Type.String({ description: 'Send the key as this query parameter instead of a header.' })),
      },
      { description: 'A static API key in a header or query parameter.' },
    ),
    Obj({ type: Type.Literal('bearer'), token: Secret() }, { description: 'A static bearer token.' }),
    Obj({ type: Type.Literal('basic'), username: Secret(), password: Secret() }, { description: 'HTTP Basic.' }),
    Obj(
      {
        type: Type.Literal('oauth2-client-credentials'),
        tokenUrl: HttpUrl(),
        clientId: Secret(),
        clientSecret: Secret(),
        scope: Type.Optional(Type.String()),
        audience: Type.Optional(Type.String()),
        clientAuth: Type.Optional(
          Type.Union([Type.Literal('basic'), Type.Literal('body')], {
            default: 'basic',
            description: 'How the client authenticates to the token endpoint: HTTP Basic (RFC 6749 §2.3.1) or `client_id`/`client_secret` form fields.',
          }),
        ),
      },
      { description: 'OAuth2 client credentials; the token is cached until shortly before it expires.' },
    ),
  ],
  { description: 'How Switchboard authenticates to the system.', 'x-discriminator': 'type' },
)

export const RetryPolicy = Obj(
  {
    attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Total attempts including the first.', default: 10 })),
    initial: Type.Optional(Duration({ 'x-positive': true, description: 'First backoff delay.', default: '5s' })),
    max: Type.Optional(Duration({ 'x-positive': true, description: 'Largest backoff delay; also caps how long a `Retry-After` answer may defer a retry.', default: '6h' })),
    factor: Type.Optional(Type.Number({ minimum: 1, maximum: 100, default: 4, description: 'Growth of the delay between consecutive retries (delay n = initial × factorⁿ⁻¹, capped at `max`).' })),
    maxAge: Type.Optional(Duration({ 'x-positive': true, description: 'Give up once the event is this old, whatever attempts remain.', default: '3d' })),
    jitter: Type.Optional(
      Type.Union([Type.Literal('full'), Type.Literal('none')], {
        default: 'full',
        description: '`full`: each delay is drawn at random between its step and the next, so failed deliveries do not retry in lockstep.',
      }),
    ),
  },
  {
    description:
      'Retry schedule of deliveries: exponential backoff from `initial` to `max` with jitter, up to `attempts` and `maxAge`. The defaults spread 10 attempts over about a day (5s, 20s, 80s, 5m, 21m, 1.4h, 5.7h, 6h, 6h), like Standard Webhooks.',
  },
)

export const CircuitBreakerPolicy = Obj(
  {
    failureRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5, description: 'Open when this share of calls in the window fail.' })),
    minRequests: Type.Optional(Type.Integer({ minimum: 1, default: 20, description: 'Calls needed in the window before the rate is judged.' })),
    window: Type.Optional(Duration({ 'x-positive': true, default: '30s', description: 'Rolling window the failure rate is measured over.' })),
    cooldown: Type.Optional(Duration({ 'x-positive': true, default: '30s', description: 'Time open before half-open probes are let through.' })),
    halfOpenProbes: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'Concurrent probe calls while half-open.' })),
  },
  { description: 'One breaker per system, shared by gateway routes and flows.' },
)

export const OutboundRateLimit = Obj(
  {
    perSecond: Type.Number({ exclusiveMinimum: 0, description: 'Sustained calls per second.' }),
    burst: Type.Optional(Type.Integer({ minimum: 1, description: 'Bucket size; defaults to perSecond.' })),
  },
  { description: 'Token bucket for calls to the system.' },
)

export const MockResponse = Obj(
  {
    method: Type.Optional(Type.String({ pattern: '^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|\\*)$', default: '*' })),
    path: Type.String({ pattern: '^/', description: 'Path pattern; `:param` and a trailing `*` match like routes.' }),
    when: Type.Optional(Expression({ description: 'JSONata over `{ method, path, params, query, headers, body }`; the response applies only when true.' })),
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, default: 200 })),
    headers: Type.Optional(Headers()),
    body: Type.Optional(Type.Unknown({ description: 'JSON body; strings in it are sent as-is.' })),
    template: Type.Optional(Expression({ description: 'JSONata computing the body from the request (instead of `body`).' })),
    delay: Type.Optional(Duration({ description: 'Wait this long before answering (to simulate a slow system).' })),
  },
  { description: 'One canned response of a mock system; the first that matches answers.' },
)

export const MockSpec = Obj(
  {
    responses: Type.Optional(Type.Array(MockResponse, { default: [] })),
    openapiExamples: Type.Optional(Type.Boolean({ default: true, description: 'Answer from the examples in the system’s OpenAPI document when no response matches.' })),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: 0, description: 'Port the mock listens on, on 127.0.0.1 (0 = any free port; the effective URL is in the start-up log and GET /v1/systems).' })),
    record: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000, default: 100, description: 'How many received requests to keep in memory for GET /v1/systems/{name}/mock/requests.' })),
  },
  { description: 'Serve this system from Switchboard itself (for local development and demos).' },
)

export const SystemSpec = Obj(
  {
    owner: Owner(),
    description: Description(),
    baseUrl: Type.Optional(
      Type.Union([HttpUrl(), Type.Array(HttpUrl(), { minItems: 1 })], {
        description: 'Base URL, or several for round-robin with passive health. Optional only for mock systems.',
      }),
    ),
    auth: Type.Optional(SystemAuth),
    headers: Type.Optional(Headers({ description: 'Headers added to every call (values may be secret references).' })),
    timeout: Type.Optional(Duration({ 'x-positive': true, default: '10s', description: 'Total time for one call.' })),
    connectTimeout: Type.Optional(Duration({ 'x-positive': true, default: '2s' })),
    retry: Type.Optional(RetryPolicy),
    circuitBreaker: Type.Optional(CircuitBreakerPolicy),
    rateLimit: Type.Optional(OutboundRateLimit),
    passiveHealth: Type.Optional(
      Obj(
        {
          failures: Type.Optional(Type.Integer({ minimum: 1, default: 3, description: 'Consecutive failures (network error, timeout, 5xx) that take one base URL out of rotation.' })),
          cooldown: Type.Optional(Duration({ 'x-positive': true, default: '10s', description: 'Time a failing base URL is skipped before it is tried again.' })),
        },
        { description: 'Passive health of each base URL when there are several.' },
      ),
    ),
    pool: Type.Optional(
      Obj({
        connections: Type.Optional(Type.Integer({ minimum: 1, default: 64 })),
        keepAlive: Type.Optional(Duration({ default: '60s' })),
      }),
    ),
    openapi: Type.Optional(Type.String({ description: 'Path (relative to the config file) of the system’s OpenAPI 3.x document.' })),
    mock: Type.Optional(MockSpec),
  },
  { description: 'An external API Switchboard talks to.' },
)
export type SystemConfig = Static<typeof SystemSpec>
export type SystemAuthConfig = Static<typeof SystemAuth>
export type RetryConfig = Static<typeof RetryPolicy>
export type CircuitBreakerConfig = Static<typeof CircuitBreakerPolicy>
export type MockConfig = Static<typeof MockSpec>
export type MockResponseConfig = Static<typeof MockResponse>

export const SystemName = () => Name({ description: 'Name of a system declared under `systems`.' })
