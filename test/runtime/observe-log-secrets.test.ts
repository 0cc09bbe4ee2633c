/**
 * Logs never carry a configured secret: the secret values of a loaded config (resolved
 * `${env:…}`/`${file:…}` references, also inside a longer value) are scrubbed from every line —
 * message text, unexpected fields, JSON-escaped forms — on top of the field-name redaction of
 * Authorization, cookies and `log.redact`.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { loadConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/observe/logger.js'
import { configSecretValues, MIN_SECRET_LENGTH } from '../../src/runtime/log-secrets.js'

const CONFIG = `
version: 1
admin: { token: "\${env:ADMIN_TOKEN}" }
log: { redact: [x-partner-key] }
systems:
  crm:
    baseUrl: https://crm.example.com
    auth: { type: bearer, token: "\${env:CRM_TOKEN}" }
    headers: { X-Partner: "key=\${env:PARTNER}; v=1" }
channels:
  ops: { slack: { url: "https://hooks.slack.example/services/\${env:SLACK_PATH}" } }
`

const ENV = {
  ADMIN_TOKEN: 'admin-token-0123456789abcdef',
  CRM_TOKEN: 'crm"quoted\\secret',
  PARTNER: 'partner-9f8e7d',
  SLACK_PATH: 'T000/B000/XXXXSECRET',
}

function capture() {
  let text = ''
  const destination = new Writable({
    write(chunk, _e, cb) {
      text += String(chunk)
      cb()
    },
  })
  return { destination, text: () => text }
}

describe('log secrets', () => {
  it('collects the resolved parts of every secret reference, not the literal text around them', async () => {
    const loaded = await loadConfig('/virtual/switchboard.yaml', { text: CONFIG, env: ENV })
    const secrets = configSecretValues(loaded)
    for (const v of Object.values(ENV)) assert.ok(secrets.includes(v), v)
    assert.ok(!secrets.some((s) => s.includes('key=') || s.includes('hooks.slack.example')), 'literals around references are not secrets')
    assert.deepEqual(secrets, [...secrets].sort((a, b) => b.length - a.length), 'longest first')
  })

  it('skips values too short to scrub safely', async () => {
    const loaded = await loadConfig('/virtual/switchboard.yaml', { text: CONFIG, env: { ...ENV, PARTNER: 'abc' } })
    assert.ok(!configSecretValues(loaded).includes('abc'))
    assert.ok(MIN_SECRET_LENGTH > 3)
  })

  it('the logger scrubs them from messages and any field, and still redacts Authorization, cookies and log.redact names', async () => {
    const loaded = await loadConfig('/virtual/switchboard.yaml', { text: CONFIG, env: ENV })
    for (const pretty of [false, true]) {
      const c = capture()
      const log = createLogger({ destination: c.destination, env: {}, pretty, redact: loaded.config.log?.redact, secrets: configSecretValues(loaded) })
      log.warn(
        {
          upstream: { answer: `echoed ${ENV.PARTNER} back`, nested: { deeper: { still: { deep: ENV.CRM_TOKEN } } } },
          err: new Error(`POST https://hooks.slack.example/services/${ENV.SLACK_PATH} failed`),
          req: { headers: { authorization: 'Bearer unrelated-bearer-value', cookie: 'sid=cookie-value-1', 'x-partner-key': 'pk-value-2' } },
        },
        `token ${ENV.ADMIN_TOKEN} rejected`,
      )
      const out = c.text()
      for (const v of [...Object.values(ENV), JSON.stringify(ENV.CRM_TOKEN).slice(1, -1), 'unrelated-bearer-value', 'cookie-value-1', 'pk-value-2']) {
        assert.ok(!out.includes(v), `${pretty ? 'pretty' : 'json'}: ${v} leaked`)
      }
      assert.match(out, /token \[redacted\] rejected/)
      assert.match(out, /echoed \[redacted\] back/)
      if (!pretty) assert.doesNotThrow(() => JSON.parse(out.trim()), 'scrubbing keeps the line valid JSON')
    }
  })
})
