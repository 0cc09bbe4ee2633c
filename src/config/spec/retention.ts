/**
 * `retention:` — how long finished event history is kept. An event whose deliveries have all
 * ended (delivered, skipped or discarded) is deleted with its deliveries and attempts once it
 * is older than `events`; an event with a pending, in-flight or dead delivery is kept whatever
 * its age. How long an event id is remembered for dedupe is each topic's `dedupeWindow`.
 */
import { Type, type Static } from '@sinclair/typebox'
import { Duration, Obj } from './common.js'

export const RetentionSpec = Obj(
  {
    events: Type.Optional(
      Duration({
        'x-positive': true,
        default: '14d',
        description:
          'Age (from acceptance) after which an event whose deliveries have all ended is deleted, with its deliveries and their attempts. Not shorter than any topic’s `dedupeWindow`: a deleted event takes its id with it.',
      }),
    ),
    interval: Type.Optional(Duration({ 'x-positive': true, default: '10m', description: 'How often the pruning pass runs, on nodes that deliver (`all`, `worker`).' })),
  },
  { default: {}, description: 'Pruning of finished events and their delivery history.', examples: [{ events: '30d', interval: '10m' }] },
)
export type RetentionConfig = Static<typeof RetentionSpec>
