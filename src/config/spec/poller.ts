import { Type, type Static } from '@sinclair/typebox'
import { Description, Duration, Expression, Name, Obj, Owner } from './common.js'

export const PollerSpec = Obj(
  {
    id: Name(),
    owner: Owner(),
    description: Description(),
    system: Name({ description: 'System to read.' }),
    every: Type.Optional(Duration({ 'x-positive': true, description: 'Interval between polls.' })),
    cron: Type.Optional(Type.String({ description: 'Cron expression (instead of `every`).' })),
    get: Type.String({ pattern: '^/', description: 'Path to GET; `{cursor}` is replaced by the current cursor.' }),
    query: Type.Optional(Type.Record(Type.String(), Type.String())),
    items: Expression({ description: 'JSONata selecting the array of items from the response body.' }),
    itemId: Expression({ description: 'JSONata giving each item’s stable id (dedupe).' }),
    cursor: Type.Optional(Expression({ description: 'JSONata computing the next cursor from the response body.' })),
    publish: Obj({ topic: Type.String({ minLength: 1 }), key: Type.Optional(Expression()) }),
  },
  { description: 'Reads a system on a schedule and publishes what changed.' },
)
export type PollerConfig = Static<typeof PollerSpec>
