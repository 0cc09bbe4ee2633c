/**
 * 004 — pollers. Released: never edit; add 005_… instead.
 *
 * `sb_pollers`: one row per poller id — its cursor, when its next tick is due, the lease of the
 * tick in progress (`owner`, `lease_until`), and the outcome of its last runs. The lease and the
 * schedule live in the same row so one conditional UPDATE both claims a due tick and keeps
 * every other node from running it (see src/store/contract-pollers.ts).
 *
 * The cursor is JSON kept as text on both backends (not jsonb), so it reads back exactly as
 * written, key order included.
 */
import type { Migration } from './migration.js'

const sqlite = `
CREATE TABLE sb_pollers (
  id               TEXT PRIMARY KEY,
  cursor_json      TEXT,
  next_at          INTEGER NOT NULL,
  owner            TEXT,
  lease_until      INTEGER,
  runs             INTEGER NOT NULL DEFAULT 0,
  last_run_at      INTEGER,
  last_success_at  INTEGER,
  last_items       INTEGER NOT NULL DEFAULT 0,
  failures         INTEGER NOT NULL DEFAULT 0,
  last_error_at    INTEGER,
  last_error_code  TEXT,
  last_error       TEXT,
  updated_at       INTEGER NOT NULL
) STRICT;
`

const postgres = `
CREATE TABLE sb_pollers (
  id               text COLLATE "C" PRIMARY KEY,
  cursor_json      text,
  next_at          bigint NOT NULL,
  owner            text COLLATE "C",
  lease_until      bigint,
  runs             bigint NOT NULL DEFAULT 0,
  last_run_at      bigint,
  last_success_at  bigint,
  last_items       bigint NOT NULL DEFAULT 0,
  failures         bigint NOT NULL DEFAULT 0,
  last_error_at    bigint,
  last_error_code  text,
  last_error       text,
  updated_at       bigint NOT NULL
);
`

export const pollers: Migration = { id: 4, name: 'pollers', sql: { sqlite, postgres } }
