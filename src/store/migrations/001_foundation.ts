/**
 * 001 — the foundation: consumers and their API keys, config revisions, the audit log,
 * settings and quota counters. Released: never edit; add 002_… instead.
 *
 * Conventions (both dialects): tables prefixed `sb_`; timestamps are epoch milliseconds in
 * integer columns; JSON is TEXT on SQLite and jsonb on PostgreSQL; names compare bytewise
 * (PostgreSQL `COLLATE "C"`, SQLite's default BINARY) so ordering agrees across backends.
 */
import type { Migration } from './migration.js'

const sqlite = `
CREATE TABLE sb_consumers (
  name        TEXT PRIMARY KEY,
  source      TEXT NOT NULL CHECK (source IN ('config', 'api')),
  scopes      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  removed_at  INTEGER
) STRICT;

CREATE TABLE sb_api_keys (
  id            TEXT PRIMARY KEY,
  consumer      TEXT NOT NULL REFERENCES sb_consumers (name),
  hash          TEXT NOT NULL UNIQUE,
  prefix        TEXT NOT NULL,
  label         TEXT,
  created_at    INTEGER NOT NULL,
  revoked_at    INTEGER,
  last_used_at  INTEGER
) STRICT;
CREATE INDEX sb_api_keys_consumer ON sb_api_keys (consumer, created_at);
CREATE INDEX sb_api_keys_revoked ON sb_api_keys (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE sb_config_revisions (
  id          INTEGER PRIMARY KEY,
  hash        TEXT NOT NULL,
  config      TEXT NOT NULL,
  source      TEXT NOT NULL,
  actor       TEXT NOT NULL,
  created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE sb_audit_log (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  at       INTEGER NOT NULL,
  actor    TEXT NOT NULL,
  action   TEXT NOT NULL,
  target   TEXT,
  details  TEXT
) STRICT;
CREATE INDEX sb_audit_log_action ON sb_audit_log (action, id);
CREATE INDEX sb_audit_log_target ON sb_audit_log (target, id);

CREATE TABLE sb_settings (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
) STRICT;

CREATE TABLE sb_quota_counters (
  subject  TEXT NOT NULL,
  period   TEXT NOT NULL,
  used     INTEGER NOT NULL,
  PRIMARY KEY (subject, period)
) STRICT;
`

const postgres = `
CREATE TABLE sb_consumers (
  name        text COLLATE "C" PRIMARY KEY,
  source      text NOT NULL CHECK (source IN ('config', 'api')),
  scopes      text[] NOT NULL,
  created_at  bigint NOT NULL,
  updated_at  bigint NOT NULL,
  removed_at  bigint
);

CREATE TABLE sb_api_keys (
  id            text COLLATE "C" PRIMARY KEY,
  consumer      text COLLATE "C" NOT NULL REFERENCES sb_consumers (name),
  hash          text COLLATE "C" NOT NULL UNIQUE,
  prefix        text NOT NULL,
  label         text,
  created_at    bigint NOT NULL,
  revoked_at    bigint,
  last_used_at  bigint
);
CREATE INDEX sb_api_keys_consumer ON sb_api_keys (consumer, created_at);
CREATE INDEX sb_api_keys_revoked ON sb_api_keys (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE sb_config_revisions (
  id          bigint PRIMARY KEY,
  hash        text NOT NULL,
  config      jsonb NOT NULL,
  source      text NOT NULL,
  actor       text NOT NULL,
  created_at  bigint NOT NULL
);

CREATE TABLE sb_audit_log (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at       bigint NOT NULL,
  actor    text NOT NULL,
  action   text COLLATE "C" NOT NULL,
  target   text COLLATE "C",
  details  jsonb
);
CREATE INDEX sb_audit_log_action ON sb_audit_log (action, id);
CREATE INDEX sb_audit_log_target ON sb_audit_log (target, id);

CREATE TABLE sb_settings (
  key    text COLLATE "C" PRIMARY KEY,
  value  text NOT NULL
);

CREATE TABLE sb_quota_counters (
  subject  text COLLATE "C" NOT NULL,
  period   text COLLATE "C" NOT NULL,
  used     bigint NOT NULL,
  PRIMARY KEY (subject, period)
);
`

export const foundation: Migration = { id: 1, name: 'foundation', sql: { sqlite, postgres } }
