/**
 * 003 — alerts and leases. Released: never edit; add 004_… instead.
 *
 * - `sb_alert_instances`: the alert instances that are not inactive, rewritten by the evaluating
 *   node after each evaluation, read back at start so a restart does not notify again.
 * - `sb_alert_events`: the firing/resolved history, append-only, pruned by age.
 * - `sb_leases`: named leases electing one node for a singleton job (alert evaluation) when
 *   several nodes share the store.
 */
import type { Migration } from './migration.js'

const sqlite = `
CREATE TABLE sb_alert_instances (
  key           TEXT PRIMARY KEY,
  alert         TEXT NOT NULL,
  subject_kind  TEXT NOT NULL,
  subject_name  TEXT NOT NULL,
  severity      TEXT NOT NULL,
  state         TEXT NOT NULL,
  active_since  INTEGER NOT NULL,
  firing_since  INTEGER,
  resolved_at   INTEGER,
  notified      TEXT NOT NULL,
  value         REAL,
  threshold     REAL NOT NULL,
  summary       TEXT NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sb_alert_events (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  at            INTEGER NOT NULL,
  key           TEXT NOT NULL,
  alert         TEXT NOT NULL,
  subject_kind  TEXT NOT NULL,
  subject_name  TEXT NOT NULL,
  severity      TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  value         REAL,
  threshold     REAL NOT NULL,
  summary       TEXT NOT NULL
) STRICT;
CREATE INDEX sb_alert_events_alert ON sb_alert_events (alert, id);
CREATE INDEX sb_alert_events_at ON sb_alert_events (at);

CREATE TABLE sb_leases (
  name   TEXT PRIMARY KEY,
  owner  TEXT NOT NULL,
  until  INTEGER NOT NULL
) STRICT;
`

const postgres = `
CREATE TABLE sb_alert_instances (
  key           text COLLATE "C" PRIMARY KEY,
  alert         text COLLATE "C" NOT NULL,
  subject_kind  text NOT NULL,
  subject_name  text NOT NULL,
  severity      text NOT NULL,
  state         text NOT NULL,
  active_since  bigint NOT NULL,
  firing_since  bigint,
  resolved_at   bigint,
  notified      text NOT NULL,
  value         double precision,
  threshold     double precision NOT NULL,
  summary       text NOT NULL,
  updated_at    bigint NOT NULL
);

CREATE TABLE sb_alert_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at            bigint NOT NULL,
  key           text COLLATE "C" NOT NULL,
  alert         text COLLATE "C" NOT NULL,
  subject_kind  text NOT NULL,
  subject_name  text NOT NULL,
  severity      text NOT NULL,
  status        text NOT NULL CHECK (status IN ('firing', 'resolved')),
  value         double precision,
  threshold     double precision NOT NULL,
  summary       text NOT NULL
);
CREATE INDEX sb_alert_events_alert ON sb_alert_events (alert, id);
CREATE INDEX sb_alert_events_at ON sb_alert_events (at);

CREATE TABLE sb_leases (
  name   text COLLATE "C" PRIMARY KEY,
  owner  text COLLATE "C" NOT NULL,
  until  bigint NOT NULL
);
`

export const alerts: Migration = { id: 3, name: 'alerts', sql: { sqlite, postgres } }
