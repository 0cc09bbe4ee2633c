import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { compileExpression, jsonataTruthy } from '../../src/flows/expressions.js'
import { NonRetryableError, SwitchboardError } from '../../src/core/errors.js'

describe('compileExpression', () => {
  it('evaluates a transform against the event body with bindings', async () => {
    const e = compileExpression("{ 'customer': customer.email, 'amount': total, 'id': $event.id }", 'flows[0].transform')
    const out = await e.evaluate({ customer: { email: 'a@b.c' }, total: 12 }, { event: { id: 'ev1' } })
    assert.deepEqual(out, { customer: 'a@b.c', amount: 12, id: 'ev1' })
  })

  it('returns plain JSON arrays, not jsonata sequences', async () => {
    const out = await compileExpression('items.sku', 'x').evaluate({ items: [{ sku: 'a' }, { sku: 'b' }] })
    assert.ok(Array.isArray(out))
    assert.equal(JSON.stringify(out), '["a","b"]')
    assert.deepEqual(Object.keys(out as object), ['0', '1'])
  })

  it('rejects a syntax error at compile time naming where and the position', () => {
    assert.throws(
      () => compileExpression('total >', 'flows[3].filter'),
      (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_CONFIG_INVALID' && /flows\[3\]\.filter/.test(err.message) && /position/.test(err.message),
    )
  })

  it('maps an evaluation error to a non-retryable SB_ERR_FLOW_EXPRESSION with jsonata’s message', async () => {
    const e = compileExpression("$number('abc')", 'flows[1].transform')
    await assert.rejects(e.evaluate({}), (err: unknown) => {
      assert.ok(err instanceof NonRetryableError)
      assert.equal(err.code, 'SB_ERR_FLOW_EXPRESSION')
      assert.match(err.message, /^flows\[1\]\.transform: /)
      assert.match(err.message, /number/i)
      return true
    })
  })

  it('bounds runaway evaluation by time, with a retryable SB_ERR_FLOW_EXPRESSION_TIMEOUT', async () => {
    // An unbounded tail recursion (jsonata optimises tail calls, so the stack never grows).
    const e = compileExpression('($f := function($n) { $f($n + 1) }; $f(0))', 'flows[0].transform', { timeoutMs: 50, maxDepth: 1_000_000 })
    await assert.rejects(e.evaluate({}), (err: unknown) => {
      // The budget is wall clock, which a starved process also spends: not a verdict on the event.
      assert.ok(err instanceof SwitchboardError && !(err instanceof NonRetryableError))
      assert.equal(err.code, 'SB_ERR_FLOW_EXPRESSION_TIMEOUT')
      assert.match(err.message, /^flows\[0\]\.transform: .*timeout/i)
      return true
    })
  })

  it('bounds recursion depth', async () => {
    const e = compileExpression('($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))', 'x', { maxDepth: 200, timeoutMs: 10_000 })
    await assert.rejects(e.evaluate({}), (err: unknown) => err instanceof NonRetryableError && /stack/i.test(err.message))
  })

  it('bounds sequence length (a hostile range cannot exhaust memory)', async () => {
    const e = compileExpression('[1..5000000].($ * 2)', 'x', { maxSequence: 1000 })
    await assert.rejects(e.evaluate({}), (err: unknown) => err instanceof NonRetryableError && err.code === 'SB_ERR_FLOW_EXPRESSION')
  })

  it('evaluates concurrently without sharing bindings between calls', async () => {
    const e = compileExpression('$event.id & ":" & n', 'x')
    const outs = await Promise.all([1, 2, 3, 4].map((n) => e.evaluate({ n }, { event: { id: `e${n}` } })))
    assert.deepEqual(outs, ['e1:1', 'e2:2', 'e3:3', 'e4:4'])
  })
})

describe('jsonataTruthy', () => {
  it('follows $boolean casting', () => {
    for (const v of [true, 1, -1, 'x', [0, 1], { a: 1 }, [[true]]]) assert.equal(jsonataTruthy(v), true, JSON.stringify(v))
    for (const v of [undefined, null, false, 0, '', [], {}, [0, false, '']]) assert.equal(jsonataTruthy(v), false, JSON.stringify(v))
  })
})
