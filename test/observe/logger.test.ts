import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { createLogger, redactPaths } from '../../src/observe/logger.js'

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

describe('logger', () => {
  it('writes JSON lines and redacts credentials at any of the first levels', () => {
    const c = capture()
    const log = createLogger({ destination: c.destination, env: {} })
    log.info(
      {
        req: { headers: { authorization: 'Bearer AAA', cookie: 'sid=BBB', 'x-api-key': 'CCC', accept: 'json' } },
        res: { headers: { 'set-cookie': 'sid=DDD' } },
        system: { auth: { clientSecret: 'EEE', password: 'FFF', token: 'GGG' } },
        apiKey: 'HHH',
      },
      'hello',
    )
    const line = JSON.parse(c.text().trim()) as Record<string, unknown>
    assert.equal(line.msg, 'hello')
    for (const secret of ['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF', 'GGG', 'HHH']) assert.ok(!c.text().includes(secret), secret)
    assert.match(c.text(), /\[redacted\]/)
    assert.ok(c.text().includes('"accept":"json"'), 'other fields are kept')
  })

  it('redacts the extra names from log.redact, including ones that are not identifiers', () => {
    const c = capture()
    const log = createLogger({ destination: c.destination, env: {}, redact: ['ssn', 'x-partner-secret'] })
    log.info({ person: { ssn: '123-45' }, headers: { 'x-partner-secret': 'PPP' } })
    assert.ok(!c.text().includes('123-45'))
    assert.ok(!c.text().includes('PPP'))
  })

  it('takes the level from SWITCHBOARD_LOG_LEVEL over the config', () => {
    const c = capture()
    const log = createLogger({ destination: c.destination, level: 'debug', env: { SWITCHBOARD_LOG_LEVEL: 'warn' } })
    log.info('hidden')
    log.warn('shown')
    assert.ok(!c.text().includes('hidden'))
    assert.ok(c.text().includes('shown'))
    assert.equal(createLogger({ destination: c.destination, level: 'debug', env: {} }).level, 'debug')
    assert.throws(() => createLogger({ destination: c.destination, env: { SWITCHBOARD_LOG_LEVEL: 'loud' } }), /loud/)
  })

  it('pretty mode prints readable lines, still redacted', () => {
    const c = capture()
    const log = createLogger({ destination: c.destination, env: {}, pretty: true })
    log.info({ authorization: 'Bearer ZZZ' }, 'pretty hello')
    assert.ok(c.text().includes('pretty hello'))
    assert.ok(!c.text().startsWith('{'))
    assert.ok(!c.text().includes('ZZZ'))
  })

  it('builds valid redact paths for odd names', () => {
    assert.ok(redactPaths(['a"b']).some((p) => p.includes('["a\\"b"]')))
  })
})
