/**
 * 002 — event flows: accepted events, their deliveries (which double as the store bus's queue)
 * and every delivery attempt. Released: never edit; add 003_… instead.
 *
 * - `sb_events.source_id` is the dedupe key: UNIQUE (topic, source_id); NULLs never collide, so
 *   events without a source id are not deduplicated, and forgetting a source id (dedupe window
 *   over) is setting it to NULL.
 * - `sb_deliveries.seq` is the enqueue order that per-key ordering follows. `next_at` is when a
 *   pending delivery is due and, while in flight, when its lease ends, so one partial index
 *   serves both "due" and "lease expired" claims.
 * - Attempts cascade with their delivery, deliveries with their event (pruning only).
 */
import type { Migration } from './migration.js'

const sqlite = `
CREATE TABLE sb_events (
  id           TEXT PRIMARY KEY,
  topic        TEXT NOT NULL,
  source_id    TEXT,
  key          TEXT,
  body         TEXT NOT NULL,
  headers      TEXT NOT NULL,
  request_id   TEXT,
  traceparent  TEXT,
  created_at   INTEGER NOT NULL,
  UNIQUE (topic, source_id)
) STRICT;
CREATE INDEX sb_events_created ON sb_events (created_at);
CREATE INDEX sb_events_topic ON sb_events (topic, created_at);

CREATE TABLE sb_deliveries (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  event_id         TEXT NOT NULL REFERENCES sb_events (id) ON DELETE CASCADE,
  flow_id          TEXT NOT NULL,
  system           TEXT,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'in_flight', 'delivered', 'skipped', 'dead', 'discarded')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_at          INTEGER NOT NULL,
  lease_owner      TEXT,
  lease_until      INTEGER,
  ordering_key     TEXT,
  last_status      INTEGER,
  last_error_code  TEXT,
  last_error       TEXT,
  dead_reason      TEXT,
  request          TEXT,
  age_from         INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX sb_deliveries_due ON sb_deliveries (next_at, seq) WHERE status IN ('pending', 'in_flight');
CREATE INDEX sb_deliveries_key ON sb_deliveries (flow_id, ordering_key, seq) WHERE ordering_key IS NOT NULL AND status IN ('pending', 'in_flight');
CREATE INDEX sb_deliveries_event ON sb_deliveries (event_id);
CREATE INDEX sb_deliveries_status ON sb_deliveries (status, seq);

CREATE TABLE sb_attempts (
  id                INTEGER PRIMARY KEY,
  delivery_id       TEXT NOT NULL REFERENCES sb_deliveries (id) ON DELETE CASCADE,
  attempt           INTEGER NOT NULL,
  started_at        INTEGER NOT NULL,
  latency_ms        INTEGER NOT NULL,
  status            INTEGER,
  error_code        TEXT,
  error             TEXT,
  response_excerpt  TEXT,
  request_id        TEXT
) STRICT;
CREATE INDEX sb_attempts_delivery ON sb_attempts (delivery_id, id);
`

const postgres = `
CREATE TABLE sb_events (
  id           text COLLATE "C" PRIMARY KEY,
  topic        text COLLATE "C" NOT NULL,
  source_id    text COLLATE "C",
  key          text COLLATE "C",
  body         jsonb NOT NULL,
  headers      jsonb NOT NULL,
  request_id   text,
  traceparent  text,
  created_at   bigint NOT NULL,
  UNIQUE (topic, source_id)
);
CREATE INDEX sb_events_created ON sb_events (created_at);
CREATE INDEX sb_events_topic ON sb_events (topic, created_at);

CREATE TABLE sb_deliveries (
  seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id               text COLLATE "C" NOT NULL UNIQUE,
  event_id         text COLLATE "C" NOT NULL REFERENCES sb_events (id) ON DELETE CASCADE,
  flow_id          text COLLATE "C" NOT NULL,
  system           text COLLATE "C",
  status           text NOT NULL CHECK (status IN ('pending', 'in_flight', 'delivered', 'skipped', 'dead', 'discarded')),
  attempts         integer NOT NULL DEFAULT 0,
  next_at          bigint NOT NULL,
  lease_owner      text,
  lease_until      bigint,
  ordering_key     text COLLATE "C",
  last_status      integer,
  last_error_code  text COLLATE "C",
  last_error       text,
  dead_reason      text,
  request          jsonb,
  age_from         bigint NOT NULL,
  created_at       bigint NOT NULL,
  updated_at       bigint NOT NULL
);
CREATE INDEX sb_deliveries_due ON sb_deliveries (next_at, seq) WHERE status IN ('pending', 'in_flight');
CREATE INDEX sb_deliveries_key ON sb_deliveries (flow_id, ordering_key, seq) WHERE ordering_key IS NOT NULL AND status IN ('pending', 'in_flight');
CREATE INDEX sb_deliveries_event ON sb_deliveries (event_id);
CREATE INDEX sb_deliveries_status ON sb_deliveries (status, seq);

CREATE TABLE sb_attempts (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id       text COLLATE "C" NOT NULL REFERENCES sb_deliveries (id) ON DELETE CASCADE,
  attempt           integer NOT NULL,
  started_at        bigint NOT NULL,
  latency_ms        integer NOT NULL,
  status            integer,
  error_code        text,
  error             text,
  response_excerpt  text,
  request_id        text
);
CREATE INDEX sb_attempts_delivery ON sb_attempts (delivery_id, id);
`

export const eventFlows: Migration = { id: 2, name: 'event_flows', sql: { sqlite, postgres } }
