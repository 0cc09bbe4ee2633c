/**
 * `observe:` — how this node exposes and judges its health: who may scrape `/metrics`, the window
 * of the health summary, and how often alert rules are evaluated. The rules themselves are
 * `alerts[]` and `channels` (alert.ts).
 */
import { Type, type Static } from '@sinclair/typebox'
import { Duration, Obj } from './common.js'

export const ObserveSpec = Obj(
  {
    metrics: Type.Optional(
      Obj(
        {
          public: Type.Optional(
            Type.Boolean({
              default: false,
              description:
                'Serve `GET /metrics` on the admin port without the admin token, for scrapers that cannot send one. The admin port must then stay on a private network.',
            }),
          ),
        },
        { default: {}, description: 'The Prometheus endpoint `GET /metrics` on the admin port.' },
      ),
    ),
    health: Type.Optional(
      Obj(
        {
          window: Type.Optional(
            Duration({ 'x-positive': true, default: '5m', description: 'Window of the rates, counts and p95 latencies in `GET /v1/health` and `switchboard status` (at most 1h).' }),
          ),
        },
        { default: {}, description: 'The health summary.' },
      ),
    ),
    alerts: Type.Optional(
      Obj(
        {
          interval: Type.Optional(Duration({ 'x-positive': true, default: '15s', description: 'How often the alert rules are evaluated.' })),
          startDelay: Type.Optional(
            Duration({
              default: '1m',
              description:
                'After a start, how long to wait before the first evaluation. Figures live in memory, so right after a restart they are empty; waiting lets live traffic, not empty windows, decide whether an alert restored from the store still fires.',
            }),
          ),
          history: Type.Optional(Duration({ 'x-positive': true, default: '30d', description: 'How long firing/resolved transitions are kept in the store.' })),
          leaseTtl: Type.Optional(
            Duration({
              'x-positive': true,
              default: '1m',
              description:
                'PostgreSQL store: one node evaluates the rules, holding a lease in the store that it renews on every evaluation. When it stops renewing (crash), another node takes over after this long. Longer than `interval`.',
            }),
          ),
        },
        { default: {}, description: 'Alert evaluation.' },
      ),
    ),
  },
  { default: {}, description: 'Metrics endpoint, health summary and alert evaluation of this node.' },
)

export type ObserveConfig = Static<typeof ObserveSpec>
