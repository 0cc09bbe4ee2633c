import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { buildAccess, ipFilter, normalizeIp, requireConsumer, requireScopes } from '../../../src/gateway/auth/access.js'
import type { Principal } from '../../../src/gateway/auth/policy.js'

const keyHolder: Principal = { consumer: 'acme', scopes: ['orders:read'], method: 'apiKey', subject: 'k1' }
const anonymous: Principal = { consumer: null, scopes: [], method: 'none' }
const unmappedJwt: Principal = { consumer: null, scopes: ['orders:read'], method: 'jwt', subject: 'stranger' }

const bootError = (path: string) => (e: Error & { code?: string }) => e.code === 'SB_ERR_CONFIG_INVALID' && e.message.startsWith(`${path}:`)

describe('scopes', () => {
  it('passes when every required scope is held', () => {
    assert.equal(requireScopes(keyHolder, ['orders:read']), undefined)
    assert.equal(requireScopes(keyHolder, []), undefined)
  })

  it('answers 403 naming the missing scope to an authenticated caller', () => {
    const err = requireScopes(keyHolder, ['orders:read', 'orders:write'])
    assert.equal(err?.code, 'SB_ERR_AUTH_FORBIDDEN_SCOPE')
    assert.equal(err?.status, 403)
    assert.match(err?.message ?? '', /orders:write/)
    assert.equal(err?.toProblem().missingScope, 'orders:write')
  })

  it('answers 401 to an anonymous caller (credentials could fix it)', () => {
    const err = requireScopes(anonymous, ['orders:read'])
    assert.equal(err?.code, 'SB_ERR_AUTH_MISSING')
    assert.equal(err?.status, 401)
  })

  it('matches scopes exactly (no prefix or case games)', () => {
    assert.equal(requireScopes({ ...keyHolder, scopes: ['orders'] }, ['orders:read'])?.code, 'SB_ERR_AUTH_FORBIDDEN_SCOPE')
    assert.equal(requireScopes({ ...keyHolder, scopes: ['ORDERS:READ'] }, ['orders:read'])?.code, 'SB_ERR_AUTH_FORBIDDEN_SCOPE')
  })
})

describe('allowed consumers', () => {
  const allowed = new Set(['acme'])
  it('lets listed consumers through and refuses others with 403', () => {
    assert.equal(requireConsumer(keyHolder, allowed), undefined)
    assert.equal(requireConsumer({ ...keyHolder, consumer: 'globex' }, allowed)?.code, 'SB_ERR_AUTH_FORBIDDEN_CONSUMER')
    assert.equal(requireConsumer(unmappedJwt, allowed)?.status, 403)
  })
  it('answers 401 to an anonymous caller', () => {
    assert.equal(requireConsumer(anonymous, allowed)?.code, 'SB_ERR_AUTH_MISSING')
  })
})

describe('IP rules', () => {
  it('allows IPv4 addresses inside an allowed CIDR only', () => {
    const check = ipFilter({ allow: ['10.0.0.0/8', '192.168.1.7'] })
    assert.equal(check('10.20.30.40'), undefined)
    assert.equal(check('192.168.1.7'), undefined)
    assert.equal(check('192.168.1.8')?.code, 'SB_ERR_AUTH_IP_DENIED')
    assert.equal(check('11.0.0.1')?.status, 403)
  })

  it('matches IPv4-mapped IPv6 client addresses against IPv4 rules', () => {
    assert.equal(normalizeIp('::ffff:10.1.2.3'), '10.1.2.3')
    const allow = ipFilter({ allow: ['10.0.0.0/8'] })
    assert.equal(allow('::ffff:10.1.2.3'), undefined)
    assert.equal(allow('::FFFF:11.1.2.3')?.code, 'SB_ERR_AUTH_IP_DENIED')
    const deny = ipFilter({ deny: ['203.0.113.0/24'] })
    assert.equal(deny('::ffff:203.0.113.9')?.code, 'SB_ERR_AUTH_IP_DENIED')
  })

  it('handles IPv6 CIDRs', () => {
    const check = ipFilter({ allow: ['2001:db8::/32', '::1'] })
    assert.equal(check('2001:db8:1:2::5'), undefined)
    assert.equal(check('::1'), undefined)
    assert.equal(check('2001:db9::1')?.code, 'SB_ERR_AUTH_IP_DENIED')
    assert.equal(check('fe80::1%eth0')?.code, 'SB_ERR_AUTH_IP_DENIED')
    assert.equal(check('10.0.0.1')?.code, 'SB_ERR_AUTH_IP_DENIED', 'an IPv4 client does not match IPv6 rules')
  })

  it('lets deny win over allow', () => {
    const check = ipFilter({ allow: ['10.0.0.0/8'], deny: ['10.6.6.0/24'] })
    assert.equal(check('10.1.1.1'), undefined)
    assert.equal(check('10.6.6.6')?.code, 'SB_ERR_AUTH_IP_DENIED')
  })

  it('refuses unparseable client addresses when an allow list is set', () => {
    const check = ipFilter({ allow: ['0.0.0.0/0', '::/0'] })
    assert.equal(check('203.0.113.1'), undefined)
    assert.equal(check('2001:db8::1'), undefined)
    assert.equal(check('')?.code, 'SB_ERR_AUTH_IP_DENIED')
    assert.equal(check('not-an-ip')?.code, 'SB_ERR_AUTH_IP_DENIED')
  })

  it('names an invalid CIDR at boot', () => {
    assert.throws(() => ipFilter({ allow: ['10.0.0.0/8', '10.0.0.0/33'] }, 'routes[1].ip'), bootError('routes[1].ip.allow[1]'))
    assert.throws(() => ipFilter({ deny: ['300.1.1.1'] }, 'routes[1].ip'), bootError('routes[1].ip.deny[0]'))
    assert.throws(() => ipFilter({ deny: ['2001:db8::/129'] }, 'routes[1].ip'), bootError('routes[1].ip.deny[0]'))
    assert.throws(() => ipFilter({ deny: ['10.0.0.0/abc'] }, 'routes[1].ip'), bootError('routes[1].ip.deny[0]'))
    assert.throws(() => ipFilter({ deny: ['10.0.0.0/'] }, 'routes[1].ip'), bootError('routes[1].ip.deny[0]'))
    assert.throws(() => ipFilter({ allow: [] }, 'routes[1].ip'), bootError('routes[1].ip.allow'))
  })
})

describe('buildAccess', () => {
  it('checks consumers before scopes, and IPs separately', () => {
    const access = buildAccess({ scopes: ['orders:write'], consumers: ['acme'], ip: { deny: ['192.0.2.0/24'] } }, 'routes[0]')
    assert.equal(access.checkPrincipal({ ...keyHolder, consumer: 'globex' })?.code, 'SB_ERR_AUTH_FORBIDDEN_CONSUMER')
    assert.equal(access.checkPrincipal(keyHolder)?.code, 'SB_ERR_AUTH_FORBIDDEN_SCOPE')
    assert.equal(access.checkPrincipal({ ...keyHolder, scopes: ['orders:write'] }), undefined)
    assert.equal(access.checkIp('192.0.2.1')?.code, 'SB_ERR_AUTH_IP_DENIED')
    assert.equal(access.checkIp('198.51.100.1'), undefined)
  })

  it('lets everyone through when the route has no rules', () => {
    const access = buildAccess({})
    assert.equal(access.checkPrincipal(anonymous), undefined)
    assert.equal(access.checkIp('203.0.113.1'), undefined)
  })
})
