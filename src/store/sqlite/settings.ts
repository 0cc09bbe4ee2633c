/** SQLite: string settings (instance id, secrets generated on first start, cursors). */
import type { SettingsRepo } from '../contract.js'
import type { SqliteExec } from './executor.js'

const GET = 'SELECT value FROM sb_settings WHERE key = ?'
const SET = 'INSERT INTO sb_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'
const SET_IF_ABSENT = 'INSERT INTO sb_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'

export class SqliteSettings implements SettingsRepo {
  constructor(private readonly x: SqliteExec) {}

  get(key: string): Promise<string | undefined> {
    return this.x.run((conn) => (conn.stmt(GET).get(key) as { value: string } | undefined)?.value)
  }

  set(key: string, value: string): Promise<void> {
    return this.x.run((conn) => {
      conn.stmt(SET).run(key, value)
    })
  }

  setIfAbsent(key: string, value: string): Promise<boolean> {
    return this.x.run((conn) => conn.stmt(SET_IF_ABSENT).run(key, value).changes === 1)
  }
}
