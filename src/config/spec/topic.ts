import { Type, type Static } from '@sinclair/typebox'
import { Description, Duration, Obj, Owner } from './common.js'

export const TopicSpec = Obj(
  {
    owner: Owner(),
    description: Description(),
    schema: Type.Optional(Type.Unknown({ description: 'JSON Schema of the event body: a path (relative to the config file) or an inline object.' })),
    dedupeWindow: Type.Optional(Duration({ default: '7d', description: 'How long an event id is remembered for dedupe.' })),
  },
  { description: 'A named kind of event.' },
)
export type TopicConfig = Static<typeof TopicSpec>
