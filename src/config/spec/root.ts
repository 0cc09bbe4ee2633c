/**
 * The whole `switchboard.yaml`. This is the single source for the config's TypeScript types,
 * the published JSON Schema and the configuration reference.
 */
import { Type, type Static } from '@sinclair/typebox'
import { Duration, Name, Obj, Secret } from './common.js'
import { SystemSpec } from './system.js'
import { ConsumerSpec } from './consumer.js'
import { ApiKeyAuth, JwtAuth, RouteSpec } from './route.js'
import { TopicSpec } from './topic.js'
import { FlowSpec } from './flow.js'
import { PollerSpec } from './poller.js'
import { AlertChannelSpec, AlertSpec } from './alert.js'
import { ObserveSpec } from './observe.js'
import { TelemetrySpec } from './telemetry.js'
import { RetentionSpec } from './retention.js'

export const ListenSpec = Obj(
  {
    host: Type.Optional(Type.String({ default: '127.0.0.1', description: 'Interface both servers bind to.' })),
    gateway: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'Gateway port (0 = any free port).' })),
    admin: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: 8081, description: 'Admin API port (0 = any free port).' })),
  },
  { default: {}, description: 'Where the servers listen.' },
)

export const AdminSpec = Obj(
  {
    token: Type.Optional(Secret({ minLength: 16, description: 'Admin bearer token (use a secret reference). Otherwise SWITCHBOARD_ADMIN_TOKEN, or one generated on first start.' })),
  },
  { description: 'Admin API settings.' },
)

export const LogSpec = Obj(
  {
    level: Type.Optional(
      Type.Union(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
    ),
    pretty: Type.Optional(Type.Boolean({ description: 'Human-readable logs (default: when stdout is a terminal).' })),
    redact: Type.Optional(Type.Array(Type.String(), { description: 'Extra field names to redact in logs and delivery records.' })),
  },
  { default: {}, description: 'Logging.' },
)

export const ServerSpec = Obj(
  {
    shutdownTimeout: Type.Optional(Duration({ 'x-positive': true, default: '10s', description: 'How long a graceful shutdown may take before in-flight work is abandoned (and redelivered later).' })),
    headersTimeout: Type.Optional(Duration({ 'x-positive': true, default: '10s', description: 'Time allowed for a client to send request headers (slowloris guard).' })),
    requestTimeout: Type.Optional(Duration({ 'x-positive': true, default: '30s', description: 'Time allowed for a client to send the whole request.' })),
    maxHeaderSize: Type.Optional(Type.Integer({ minimum: 1024, default: 16384, description: 'Largest request head in bytes.' })),
  },
  { default: {}, description: 'Server-wide limits.' },
)

export const VersioningSpec = Obj(
  {
    header: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
        default: 'Api-Version',
        description: 'Request header naming the wanted version; answers of a versioned route carry it too, with the version served (and `Vary` on it).',
      }),
    ),
    default: Type.Optional(
      Type.Union([Type.Literal('oldest'), Type.Literal('newest'), Type.Literal('required')], {
        default: 'oldest',
        description:
          'Which version answers a request without the header when several routes share a method, path and host: `oldest` (the oldest version still configured, deprecated or not: adding a version never changes what existing clients get), `newest` (the newest version that is not `deprecated`), or `required` (400 `SB_ERR_GATEWAY_VERSION_REQUIRED`). Versions are ordered naturally (`v2` < `v10`, `2025-01-01` < `2026-03-01`).',
      }),
    ),
  },
  {
    default: {},
    description:
      'Version selection for routes that share a method, path and host and differ by `version`. A request naming a version no such route has gets 400 `SB_ERR_GATEWAY_VERSION_UNKNOWN` listing the versions.',
    examples: [{ header: 'Api-Version', default: 'oldest' }],
  },
)

export const AuthDefaultsSpec = Obj(
  {
    apiKey: Type.Optional(ApiKeyAuth),
    jwt: Type.Optional(JwtAuth),
  },
  {
    description:
      'Gateway authentication options shared by routes: a route with `auth: jwt` (or `auth: apiKey`) uses the block of that name here. A route with an object form (`auth: { jwt: {…} }`) uses only its own options.',
  },
)

export const ConfigSpec = Obj(
  {
    $schema: Type.Optional(Type.String({ description: 'Editor hint; ignored.' })),
    version: Type.Literal(1, { description: 'Config format version.' }),
    mode: Type.Optional(Type.Union([Type.Literal('development'), Type.Literal('production')], { default: 'development', description: 'In production an admin token must be provided (none is generated).' })),
    store: Type.Optional(Type.String({ default: 'sqlite:./data/switchboard.db', description: '`sqlite:PATH` (relative to the working directory) or `postgres://…`.' })),
    bus: Type.Optional(Type.String({ default: 'store', description: '`store` (events ride in the store) or `nats://host:port`.' })),
    listen: Type.Optional(ListenSpec),
    admin: Type.Optional(AdminSpec),
    log: Type.Optional(LogSpec),
    server: Type.Optional(ServerSpec),
    auth: Type.Optional(AuthDefaultsSpec),
    versioning: Type.Optional(VersioningSpec),
    systems: Type.Optional(Type.Record(Name(), SystemSpec, { default: {}, additionalProperties: false, description: 'External APIs, by name (names starting with `switchboard.` are reserved).' })),
    consumers: Type.Optional(Type.Record(Name(), ConsumerSpec, { default: {}, additionalProperties: false, description: 'Gateway clients, by name.' })),
    routes: Type.Optional(Type.Array(RouteSpec, { default: [] })),
    topics: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$' }), TopicSpec, { default: {}, additionalProperties: false, description: 'Event topics, by name (`order.created`; names starting with `switchboard.` are reserved).' })),
    flows: Type.Optional(Type.Array(FlowSpec, { default: [] })),
    pollers: Type.Optional(Type.Array(PollerSpec, { default: [] })),
    retention: Type.Optional(RetentionSpec),
    alerts: Type.Optional(Type.Array(AlertSpec, { default: [], description: 'Alert rules over the health figures.' })),
    channels: Type.Optional(Type.Record(Name(), AlertChannelSpec, { default: {}, additionalProperties: false, description: 'Alert notification channels, by name.' })),
    observe: Type.Optional(ObserveSpec),
    telemetry: Type.Optional(TelemetrySpec),
  },
  {
    title: 'Switchboard configuration',
    description: 'switchboard.yaml',
    // Like Compose files: `x-…` keys are ignored, so they can hold YAML anchors reused with `<<: *name`.
    patternProperties: { '^x-': {} },
  },
)

export type RawConfig = Static<typeof ConfigSpec>
export type AuthDefaultsConfig = Static<typeof AuthDefaultsSpec>
export type VersioningConfig = Static<typeof VersioningSpec>
