/** Fresh, randomly named PostgreSQL databases for tests, dropped afterwards. */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { pgAdminUrl } from '../helpers/services.js'

export interface TestDatabase {
  name: string
  /** Connection string for the new database. */
  url: string
  /** Empties the database (drops and recreates the public schema): as good as new, and far cheaper. */
  reset(): Promise<void>
  /** Drops the database, disconnecting anything still attached. */
  drop(): Promise<void>
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>, connectionString = pgAdminUrl()): Promise<T> {
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `sb_test_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(pgAdminUrl())
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    reset: () => admin((c) => c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public'), url.toString()).then(() => undefined),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  }
}
