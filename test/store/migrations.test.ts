/**
 * Migrations on both backends: concurrent migrators, the ledger, and the databases this build
 * must refuse to touch (unknown or edited migrations).
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import pg from 'pg'
import { ManualClock } from '../../src/core/clock.js'
import type { MigrationReport, Store } from '../../src/store/contract.js'
import { MIGRATIONS, checksum, type Dialect, type Migration } from '../../src/store/migrations/index.js'
import { assertWellFormed, planMigrations } from '../../src/store/migrations/plan.js'
import { PgStore } from '../../src/store/postgres/store.js'
import { SqliteStore } from '../../src/store/sqlite/store.js'
import { rejectsWith } from '../conformance/store/context.js'
import { requireService } from '../helpers/services.js'
import { createTestDatabase, type TestDatabase } from './pg-database.js'

/** A fixture child process: `ready` once it has opened the store, `done` with its last output line. */
function spawnChild(fixture: string, path: string): { ready: Promise<void>; go(): void; done: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, path], { stdio: ['pipe', 'pipe', 'inherit'], timeout: 120_000 })
  let out = ''
  let markReady!: () => void
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    if (out.startsWith('ready\n')) markReady()
  })
  const done = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').at(-1) ?? '') : reject(new Error(`child exited with ${code}: ${out}`))))
  })
  return { ready: Promise.race([ready, done.then(() => undefined)]), go: () => child.stdin.write('go\n'), done }
}

/** One fresh database per case, reachable through stores and through raw SQL. */
interface Backend {
  dialect: Dialect
  open(migrations?: readonly Migration[]): Promise<Store>
  sql(text: string): Promise<Array<Record<string, unknown>>>
  cleanup(): Promise<void>
}

const clock = new ManualClock(1_750_000_000_000)

async function sqliteBackend(): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-migrate-'))
  const path = join(dir, 'sb.db')
  const stores: Store[] = []
  return {
    dialect: 'sqlite',
    async open(migrations) {
      const s = SqliteStore.open(path, `sqlite:${path}`, { clock, migrations })
      stores.push(s)
      return s
    },
    async sql(text) {
      const db = new Database(path)
      try {
        const stmt = db.prepare(text)
        return stmt.reader ? (stmt.all() as Array<Record<string, unknown>>) : (stmt.run(), [])
      } finally {
        db.close()
      }
    },
    async cleanup() {
      for (const s of stores) await s.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function postgresBackend(): Promise<Backend> {
  const db: TestDatabase = await createTestDatabase()
  const stores: Store[] = []
  return {
    dialect: 'postgres',
    async open(migrations) {
      const s = await PgStore.open(db.url, db.name, { clock, migrations })
      stores.push(s)
      return s
    },
    async sql(text) {
      const c = new pg.Client({ connectionString: db.url })
      await c.connect()
      try {
        return (await c.query(text)).rows as Array<Record<string, unknown>>
      } finally {
        await c.end()
      }
    },
    async cleanup() {
      for (const s of stores) await s.close()
      await db.drop()
    },
  }
}

const second: Migration = {
  id: 2,
  name: 'second',
  sql: { sqlite: 'CREATE TABLE sb_second (id INTEGER PRIMARY KEY) STRICT;', postgres: 'CREATE TABLE sb_second (id integer PRIMARY KEY);' },
}
const broken: Migration = {
  id: 2,
  name: 'broken',
  sql: { sqlite: 'CREATE TABLE sb_half (id INTEGER); SELECT * FROM sb_does_not_exist;', postgres: 'CREATE TABLE sb_half (id integer); SELECT * FROM sb_does_not_exist;' },
}

const backends: Array<[string, () => Promise<Backend>, string | false]> = [
  ['sqlite', sqliteBackend, false],
  ['postgres', postgresBackend, await requireService('postgres')],
]

for (const [name, make, skip] of backends) {
  describe(`migrations: ${name}`, { skip }, () => {
    let b: Backend
    before(async () => {
      b = await make()
    })
    after(async () => {
      await b?.cleanup()
    })

    it('two stores migrating a fresh database at once both succeed, applying each migration exactly once', async () => {
      const [one, two] = [await b.open(), await b.open()]
      const reports = await Promise.all([one.migrate(), two.migrate()])
      const ids = MIGRATIONS.map((m) => m.id)
      assert.deepEqual(reports.flatMap((r) => r.applied).sort((x, y) => x - y), ids)
      assert.ok(reports.every((r) => r.current === ids.length))
      const ledger = await b.sql('SELECT id, name, applied_at, checksum FROM sb_migrations ORDER BY id')
      assert.deepEqual(
        ledger.map((r) => [Number(r.id), r.name, Number(r.applied_at), r.checksum]),
        MIGRATIONS.map((m) => [m.id, m.name, clock.now(), checksum(m, b.dialect)]),
      )
      // Both stores work on the migrated schema.
      await one.settings.set('k', 'v')
      assert.equal(await two.settings.get('k'), 'v')
    })

    it('new migrations apply on top of the applied ones', async () => {
      const s = await b.open([...MIGRATIONS, { ...second, id: MIGRATIONS.length + 1 }])
      assert.deepEqual(await s.migrate(), { applied: [MIGRATIONS.length + 1], current: MIGRATIONS.length + 1 })
      assert.deepEqual(await s.migrate(), { applied: [], current: MIGRATIONS.length + 1 })
    })

    it('a database with a migration this build does not know is refused', async () => {
      // The previous case applied one more migration than this build knows.
      const s = await b.open()
      const err = await rejectsWith(s.migrate(), 'SB_ERR_STORE_MIGRATION_FAILED')
      assert.match(err.message, new RegExp(`migration ${MIGRATIONS.length + 1} \\("second"\\).*does not know`))
      await b.sql(`DELETE FROM sb_migrations WHERE id = ${MIGRATIONS.length + 1}`)
      assert.deepEqual(await s.migrate(), { applied: [], current: MIGRATIONS.length })
    })

    it('an applied migration whose SQL changed is refused', async () => {
      const s = await b.open()
      const real = await b.sql('SELECT checksum FROM sb_migrations WHERE id = 1')
      await b.sql(`UPDATE sb_migrations SET checksum = 'edited' WHERE id = 1`)
      const err = await rejectsWith(s.migrate(), 'SB_ERR_STORE_MIGRATION_FAILED')
      assert.match(err.message, /migration 1 \("foundation"\).*checksum edited/)
      await b.sql(`UPDATE sb_migrations SET checksum = '${String(real[0]?.checksum)}' WHERE id = 1`)
      assert.deepEqual((await s.migrate()).applied, [])
    })

    it('a failing migration is rolled back entirely and the ledger is unchanged', async () => {
      const s = await b.open([...MIGRATIONS, { ...broken, id: MIGRATIONS.length + 1 }])
      const err = await rejectsWith(s.migrate(), 'SB_ERR_STORE_MIGRATION_FAILED')
      assert.match(err.message, new RegExp(`migration ${MIGRATIONS.length + 1} \\("broken"\\) failed`))
      const ledger = await b.sql('SELECT id FROM sb_migrations ORDER BY id')
      assert.deepEqual(ledger.map((r) => Number(r.id)), MIGRATIONS.map((m) => m.id))
      const half = await b.sql(
        b.dialect === 'sqlite'
          ? "SELECT name FROM sqlite_master WHERE name = 'sb_half'"
          : "SELECT tablename AS name FROM pg_tables WHERE tablename = 'sb_half'",
      )
      assert.deepEqual(half, [])
    })
  })
}

describe('migrations: sqlite across processes', () => {
  it('several processes migrating one fresh file at once apply each migration exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-migrate-proc-'))
    try {
      const path = join(dir, 'sb.db')
      const fixture = fileURLToPath(new URL('./fixtures/migrate-sqlite.ts', import.meta.url))
      const children = [1, 2, 3].map(() => spawnChild(fixture, path))
      await Promise.all(children.map((c) => c.ready))
      for (const c of children) c.go()
      const outputs = await Promise.all(children.map((c) => c.done))
      const reports = outputs.map((o) => JSON.parse(o) as MigrationReport)
      assert.deepEqual(reports.flatMap((r) => r.applied).sort((x, y) => x - y), MIGRATIONS.map((m) => m.id))
      assert.ok(reports.every((r) => r.current === MIGRATIONS.length))
      const db = new Database(path, { readonly: true })
      try {
        assert.deepEqual(db.prepare('SELECT id FROM sb_migrations ORDER BY id').all(), MIGRATIONS.map((m) => ({ id: m.id })))
      } finally {
        db.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('migration plan', () => {
  const m1 = MIGRATIONS[0] as Migration
  it('lists the pending migrations of a fresh database', () => {
    assert.deepEqual(planMigrations([], MIGRATIONS, 'sqlite'), { pending: [...MIGRATIONS], current: 0 })
  })

  it('checks checksums per dialect', () => {
    const row = { id: 1, name: 'foundation', checksum: checksum(m1, 'sqlite') }
    assert.deepEqual(planMigrations([row], [m1], 'sqlite').pending, [])
    assert.throws(() => planMigrations([row], [m1], 'postgres'), /checksum/)
  })

  it('a malformed migration list is rejected at load', () => {
    assert.doesNotThrow(() => assertWellFormed(MIGRATIONS))
    assert.throws(() => assertWellFormed([{ ...m1, id: 2 }]), /position 1 holds id 2/)
    assert.throws(() => assertWellFormed([m1, { ...second, name: 'foundation' }]), /duplicate name/)
    assert.throws(() => assertWellFormed([m1, { ...second, name: 'Bad Name' }]), /bad or duplicate name/)
  })
})
