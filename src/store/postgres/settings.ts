/** PostgreSQL: string settings (instance id, secrets generated on first start, cursors). */
import type { SettingsRepo } from '../contract.js'
import { sql, type PgExec } from './executor.js'

const GET = sql('settings_get', 'SELECT value FROM sb_settings WHERE key = $1')
const SET = sql('settings_set', 'INSERT INTO sb_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value')
const SET_IF_ABSENT = sql('settings_set_if_absent', 'INSERT INTO sb_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING')

export class PgSettings implements SettingsRepo {
  constructor(private readonly x: PgExec) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.x.query<{ value: string }>(GET, [key])).rows[0]?.value
  }

  async set(key: string, value: string): Promise<void> {
    await this.x.query(SET, [key, value])
  }

  async setIfAbsent(key: string, value: string): Promise<boolean> {
    return (await this.x.query(SET_IF_ABSENT, [key, value])).rowCount === 1
  }
}
