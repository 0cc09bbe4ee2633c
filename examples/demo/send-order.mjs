#!/usr/bin/env node
// Plays the shop: signs an order webhook with the demo's Standard Webhooks secret and posts it to
// the demo gateway (POST /hooks/shop). Plain Node, no dependencies.
//
//   node examples/demo/send-order.mjs                      # a 59.80 EUR order
//   node examples/demo/send-order.mjs --total 1499         # a big one: the CRM refuses it
//   node examples/demo/send-order.mjs --webhook-id msg_1   # send the same id twice: delivered once
//   node examples/demo/send-order.mjs --bad-signature      # refused with 401, nothing stored
//
// Options: --total N, --customer ID, --email ADDR, --name NAME, --webhook-id ID, --url URL,
// --bad-signature.
import { createHmac, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values: opts } = parseArgs({
  options: {
    total: { type: 'string', default: '59.8' },
    customer: { type: 'string', default: 'cust-42' },
    email: { type: 'string', default: 'ada@example.com' },
    name: { type: 'string', default: 'Ada Lovelace' },
    'webhook-id': { type: 'string' },
    url: { type: 'string', default: 'http://127.0.0.1:8080/hooks/shop' },
    'bad-signature': { type: 'boolean', default: false },
  },
})

const total = Number(opts.total)
if (!Number.isFinite(total) || total < 0) {
  console.error(`--total must be a non-negative number, got ${opts.total}`)
  process.exit(2)
}

// The same secret the gateway verifies with (switchboard.yaml: ${file:./shop-webhook.secret}).
const secret = readFileSync(new URL('./shop-webhook.secret', import.meta.url), 'utf8').trim()
const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')

const orderId = `ord-${randomUUID().slice(0, 8)}`
const order = {
  id: orderId,
  customer: { id: opts.customer, email: opts.email, name: opts.name },
  total,
  currency: 'EUR',
  items: [{ sku: 'SKU-1', quantity: 2, price: Math.round((total / 2) * 100) / 100 }],
  createdAt: new Date().toISOString(),
}

// Standard Webhooks: HMAC-SHA256 over "<webhook-id>.<timestamp>.<body>", base64, version v1.
const body = JSON.stringify(order)
const webhookId = opts['webhook-id'] ?? `msg_${randomUUID()}`
const timestamp = String(Math.floor(Date.now() / 1000))
const mac = createHmac('sha256', opts['bad-signature'] ? Buffer.from('not-the-secret') : key)
  .update(`${webhookId}.${timestamp}.${body}`)
  .digest('base64')

let res
try {
  res = await fetch(opts.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': webhookId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` },
    body,
  })
} catch (err) {
  console.error(`cannot reach ${opts.url} (${err.cause?.code ?? err.message}); is \`npm start\` running?`)
  process.exit(1)
}
console.log(`order ${orderId} (total ${total} EUR, customer ${opts.customer}) → ${res.status}`)
console.log(await res.text())
process.exitCode = res.ok ? 0 : 1
