/** openStore: URL forms, safe descriptions, and SB_ERR_STORE_UNAVAILABLE for stores that cannot be opened. */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import pg from 'pg'
import { SwitchboardError } from '../../src/core/errors.js'
import { openStore } from '../../src/store/open.js'
import { SqliteStore } from '../../src/store/sqlite/store.js'
import { parseStoreUrl, redactUrl } from '../../src/store/store-url.js'
import { rejectsWith } from '../conformance/store/context.js'
import { pgAdminUrl, requireService } from '../helpers/services.js'
import { createTestDatabase } from './pg-database.js'

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as { port: number }
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

describe('store URLs', () => {
  it('resolves sqlite paths against cwd, keeps absolute ones, and knows :memory:', () => {
    assert.deepEqual(parseStoreUrl('sqlite:./data/sb.db', '/srv/app'), { kind: 'sqlite', path: '/srv/app/data/sb.db', description: 'sqlite:/srv/app/data/sb.db' })
    assert.equal(parseStoreUrl('sqlite:data/sb.db', '/srv/app').kind === 'sqlite' && parseStoreUrl('sqlite:data/sb.db', '/srv/app').description, 'sqlite:/srv/app/data/sb.db')
    assert.deepEqual(parseStoreUrl('sqlite:/var/lib/sb.db', '/srv/app'), { kind: 'sqlite', path: '/var/lib/sb.db', description: 'sqlite:/var/lib/sb.db' })
    assert.deepEqual(parseStoreUrl('sqlite:///var/lib/sb.db', '/srv/app'), { kind: 'sqlite', path: '/var/lib/sb.db', description: 'sqlite:/var/lib/sb.db' })
    assert.deepEqual(parseStoreUrl('sqlite::memory:'), { kind: 'sqlite', path: ':memory:', description: 'sqlite::memory:' })
  })

  it('describes postgres URLs without the password', () => {
    const loc = parseStoreUrl('postgres://sb:s3cr%40t@db.internal:6543/switchboard?sslmode=require&password=other')
    assert.equal(loc.kind, 'postgres')
    assert.equal(loc.description, 'postgres://sb@db.internal:6543/switchboard')
    assert.equal(parseStoreUrl('postgresql://db/x').description, 'postgresql://db/x')
    assert.equal(parseStoreUrl('postgres:///x?host=/var/run/postgresql').description, 'postgres:///var/run/postgresql/x')
  })

  it('rejects unsupported or malformed URLs with SB_ERR_CONFIG_INVALID, password redacted', async () => {
    for (const url of ['mysql://root:hunter2@db/x', 'sqlite:', 'sqlite://', 'postgres://u:hunter2@[bad/x', 'file.db', '', 'sqlite:a\0b']) {
      const err = await rejectsWith(openStore(url), 'SB_ERR_CONFIG_INVALID')
      assert.doesNotMatch(err.message, /hunter2/)
      assert.equal(err.cause, undefined, 'no cause that could carry the URL')
    }
    assert.equal(redactUrl('postgres://u:p@ss@h/db'), 'postgres://***@h/db')
  })
})

describe('openStore: sqlite', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-open-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('creates missing parent directories and does not migrate', async () => {
    const store = await openStore('sqlite:./a/b/sb.db', { cwd: dir })
    try {
      assert.equal(store.kind, 'sqlite')
      assert.equal(store.description, `sqlite:${join(dir, 'a/b/sb.db')}`)
      await store.ping()
    } finally {
      await store.close()
    }
    const db = new Database(join(dir, 'a/b/sb.db'), { readonly: true })
    try {
      assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'sb_%'").all(), [])
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
    } finally {
      db.close()
    }
  })

  it('uses WAL, synchronous=FULL, foreign keys and a busy timeout', () => {
    const store = SqliteStore.open(join(dir, 'pragmas.db'), 'test')
    try {
      // Durability is not observable through the API, so read the connection's settings.
      const db = store['conn'].db
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
      assert.equal(db.pragma('synchronous', { simple: true }), 2, 'synchronous=FULL')
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1)
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000)
    } finally {
      void store.close()
    }
  })

  it('rejects with SB_ERR_STORE_UNAVAILABLE when the file cannot be opened', async () => {
    await writeFile(join(dir, 'not-a-dir'), 'x')
    await mkdir(join(dir, 'is-a-dir'))
    await writeFile(join(dir, 'garbage.db'), Buffer.alloc(4096, 7))
    for (const path of [join(dir, 'not-a-dir', 'sb.db'), join(dir, 'is-a-dir'), join(dir, 'garbage.db')]) {
      const err = await rejectsWith(openStore(`sqlite:${path}`), 'SB_ERR_STORE_UNAVAILABLE')
      assert.ok(err.cause, `cause attached for ${path}`)
    }
    assert.equal(existsSync(join(dir, 'not-a-dir', 'sb.db')), false)
  })
})

const pgSkip = await requireService('postgres')

describe('openStore: postgres', () => {
  it('rejects quickly with SB_ERR_STORE_UNAVAILABLE when nothing listens, password kept out', async () => {
    const port = await closedPort()
    const err = await rejectsWith(openStore(`postgres://sb:hunter2@127.0.0.1:${port}/switchboard`, { connectTimeoutMs: 2000 }), 'SB_ERR_STORE_UNAVAILABLE')
    assert.match(err.message, new RegExp(`postgres://sb@127\\.0\\.0\\.1:${port}/switchboard`))
    assert.doesNotMatch(err.message, /hunter2/)
    assert.ok(err.cause)
  })

  it('rejects with SB_ERR_STORE_UNAVAILABLE for a database that does not exist', { skip: pgSkip }, async () => {
    const url = new URL(pgAdminUrl())
    url.pathname = '/sb_test_does_not_exist_0'
    await rejectsWith(openStore(url.toString(), { connectTimeoutMs: 2000 }), 'SB_ERR_STORE_UNAVAILABLE')
  })

  it('opens a reachable database without migrating it', { skip: pgSkip }, async () => {
    const store = await openStore(pgAdminUrl(), { connectTimeoutMs: 2000 })
    try {
      assert.equal(store.kind, 'postgres')
      await store.ping()
    } finally {
      await store.close()
    }
    await rejectsWith(store.ping(), 'SB_ERR_STORE_UNAVAILABLE')
  })

  it('a connection killed mid-transaction rejects with SB_ERR_STORE_UNAVAILABLE, and the store recovers', { skip: pgSkip }, async () => {
    const db = await createTestDatabase()
    const store = await openStore(db.url, { connectTimeoutMs: 2000 })
    try {
      await store.migrate()
      const kill = async () => {
        const c = new pg.Client({ connectionString: pgAdminUrl() })
        await c.connect()
        try {
          await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name])
        } finally {
          await c.end()
        }
      }
      await rejectsWith(
        store.transaction(async (tx) => {
          await tx.settings.set('k', 'v')
          await kill()
          await tx.settings.set('k2', 'v2')
        }),
        'SB_ERR_STORE_UNAVAILABLE',
      )
      // Idle pooled connections were killed too. A call may still pick one before its
      // termination notice arrives (and fail with UNAVAILABLE); the pool then replaces it.
      for (let attempt = 1; ; attempt++) {
        try {
          await store.ping()
          break
        } catch (err) {
          assert.ok(attempt < 5 && err instanceof SwitchboardError && err.code === 'SB_ERR_STORE_UNAVAILABLE', String(err))
        }
      }
      assert.equal(await store.settings.get('k'), undefined)
      await store.settings.set('k', 'after')
      assert.equal(await store.settings.get('k'), 'after')
    } finally {
      await store.close()
      await db.drop()
    }
  })
})
