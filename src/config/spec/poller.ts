import { Type, type Static } from '@sinclair/typebox'
import { Description, Duration, Expression, Name, Obj, Owner } from './common.js'

/**
 * A poller reads a system that has no webhooks and publishes what changed. Semantics (cursor
 * commit, dedupe, one tick across nodes, back-off) are in docs/reference/pollers.md.
 */
export const PollerSpec = Obj(
  {
    id: Name(),
    owner: Owner(),
    description: Description(),
    system: Name({ description: 'System to read.' }),
    every: Type.Optional(Duration({ 'x-positive': true, description: 'Interval between polls (from the start of one tick to the next).' })),
    cron: Type.Optional(Type.String({ description: 'Cron expression (instead of `every`), in the process’s time zone; 6 fields adds seconds.' })),
    get: Type.String({
      pattern: '^/',
      description: 'Path to GET; `{cursor}` is replaced by the current cursor (URL-encoded; empty before the first one).',
      examples: ['/v1/contacts?updated_since={cursor}'],
    }),
    query: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Query parameters added to `get`; a value may hold `{cursor}`. A parameter whose value is exactly `{cursor}` is left out while there is no cursor.',
      }),
    ),
    items: Expression({
      description: 'JSONata selecting the items from the response body (`$cursor`, `$headers`, `$status` are bound). One value counts as one item; no match as none.',
      examples: ['data.contacts'],
    }),
    itemId: Expression({
      description: 'JSONata giving each item’s stable id (a string or number), evaluated on the item: the event’s id, so re-reading an item publishes nothing new.',
      examples: ['id', "id & '@' & updatedAt"],
    }),
    cursor: Type.Optional(
      Expression({
        description:
          'JSONata computing the next cursor from the response body (`$cursor`, `$items`, `$headers` are bound); saved in the same commit as the page’s events. No result keeps the current cursor. Without it every tick reads the same page.',
        examples: ['$max(data.contacts.updatedAt)', 'paging.next'],
      }),
    ),
    initialCursor: Type.Optional(Type.String({ description: 'Cursor of the very first tick (and after a cursor reset).' })),
    maxPages: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 10,
        description: 'Pages one tick may read: it goes on while a page has items and moves the cursor (catching up a backlog). Each page commits on its own.',
      }),
    ),
    onInvalidItem: Type.Optional(
      Type.Union([Type.Literal('skip'), Type.Literal('fail')], {
        default: 'skip',
        description:
          '`skip`: an item that fails the topic’s schema is left out, the rest of the page is published and the cursor moves; the poller’s last error names the item. `fail`: the tick fails and is retried with back-off (the cursor stays until the item is fixed).',
      }),
    ),
    maxBackoff: Type.Optional(
      Duration({
        'x-positive': true,
        default: '5m',
        description: 'Longest wait after consecutive failures (the wait doubles from one period; never shorter than one period; at most 10 periods).',
      }),
    ),
    publish: Obj(
      {
        topic: Type.String({ minLength: 1, description: 'Topic each item is published to (the item is the event body).' }),
        key: Type.Optional(Expression({ description: 'JSONata giving the event key (ordering key) from the item.' })),
      },
      { description: 'Where the items go.' },
    ),
  },
  { description: 'Reads a system on a schedule and publishes what changed.' },
)
export type PollerConfig = Static<typeof PollerSpec>
