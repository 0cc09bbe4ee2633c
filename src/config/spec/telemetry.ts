/**
 * `telemetry:` — OpenTelemetry traces of this node. Without `otlp` no span is recorded (the API
 * stays a no-op and costs nothing), yet the W3C trace context still flows: a caller's
 * `traceparent` is stored with its event and reaches the targets.
 */
import { Type, type Static } from '@sinclair/typebox'
import { Duration, Headers, HttpUrl, Obj } from './common.js'

export const TelemetrySpec = Obj(
  {
    serviceName: Type.Optional(Type.String({ minLength: 1, default: 'switchboard', examples: ['switchboard-eu'], description: '`service.name` of this node’s spans.' })),
    otlp: Type.Optional(
      Obj(
        {
          endpoint: HttpUrl({
            examples: ['http://otel-collector:4318'],
            description:
              'Base URL of the collector’s OTLP/HTTP receiver (`http://otel-collector:4318`): spans are POSTed to `<endpoint>/v1/traces` (a URL whose path already ends in `/v1/traces` is used as is). Setting it turns tracing on.',
          }),
          headers: Type.Optional(Headers({ examples: [{ 'x-api-key': '${env:OTLP_API_KEY}' }], description: 'Extra headers on every export, such as the API key of a hosted backend (use secret references).' })),
          protocol: Type.Optional(
            Type.Union([Type.Literal('http/protobuf'), Type.Literal('http/json')], {
              default: 'http/protobuf',
              description:
                'Encoding of the exports, as OTLP names them: `http/protobuf` (the OTLP default; about 2.5× smaller and cheaper to encode) or `http/json` (for receivers that only take JSON).',
            }),
          ),
          timeout: Type.Optional(Duration({ 'x-positive': true, default: '10s', description: 'How long one export request may take; also bounds the flush at shutdown.' })),
        },
        {
          description:
            'Export spans over OTLP/HTTP, in batches (every 5 s or 512 spans). Gateway request spans are recorded and exported by a worker thread, off the thread that answers requests.',
        },
      ),
    ),
    sampling: Type.Optional(
      Obj(
        {
          ratio: Type.Optional(
            Type.Number({
              minimum: 0,
              maximum: 1,
              default: 1,
              examples: [0.1],
              description:
                'Share of new traces recorded (`0.1` = one in ten), drawn when the trace starts here. A caller’s `traceparent` decides for its trace, and an event’s stored one for its deliveries: sampled upstream means recorded here (parent-based sampling). Unrecorded traces still propagate `traceparent` (with the sampled flag off) and skip the SDK entirely, so a low ratio costs little.',
            }),
          ),
        },
        { default: {}, description: 'Which traces are recorded.' },
      ),
    ),
  },
  { description: 'OpenTelemetry traces: the gateway request, the publish and every delivery attempt of an event in one trace.' },
)

export type TelemetryConfig = Static<typeof TelemetrySpec>
