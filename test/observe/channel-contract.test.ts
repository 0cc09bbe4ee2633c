/**
 * observe re-declares the channel names and message shapes of the layers it listens to (it may
 * not import the gateway or flows at runtime). This keeps the two sides equal: the names at
 * runtime, the shapes at type-check time (each publisher's message type must be assignable to
 * the shape observe reads), and the guards by publishing each publisher's own message.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as flows from '../../src/flows/diagnostics.js'
import * as gateway from '../../src/gateway/diagnostics.js'
import * as systems from '../../src/systems/diagnostics.js'
import * as observed from '../../src/observe/channels.js'
import { subscribeChannels, type ObservedChannel } from '../../src/observe/channels.js'

// Type-level contract: a publisher's message must be readable as observe's event.
const gatewayMessage: gateway.GatewayRequestMessage = { route: 'r', method: 'GET', statusClass: '2xx', consumer: 'c', durationMs: 1, errorCode: null }
const systemMessage: systems.SystemCallMessage = { system: 's', method: 'GET', statusCode: 200, errorCode: null, durationMs: 1, baseUrl: null }
const circuitMessage: systems.CircuitTransitionMessage = { system: 's', from: 'closed', to: 'open', at: 1 }
const publishMessage: flows.FlowsPublishMessage = { events: 2, duplicates: 1 }
const deliveryMessage: flows.FlowsDeliveryMessage = { flowId: 'f', system: 's', outcome: 'wait', status: null, errorCode: 'SB_ERR_SYSTEM_CIRCUIT_OPEN', latencyMs: 0, ageMs: 5, attempt: 1 }
const asObserved: [observed.GatewayRequestEvent, observed.SystemCallEvent, observed.CircuitTransitionEvent, observed.EventPublishedEvent, observed.DeliveryAttemptEvent] = [
  gatewayMessage,
  systemMessage,
  circuitMessage,
  publishMessage,
  deliveryMessage,
]

describe('channel contract with the publishers', () => {
  it('uses the publishers’ channel names', () => {
    assert.equal(observed.GATEWAY_REQUEST_CHANNEL, gateway.GATEWAY_REQUEST_CHANNEL)
    assert.equal(observed.SYSTEM_CALL_CHANNEL, systems.SYSTEM_CALL_CHANNEL)
    assert.equal(observed.CIRCUIT_TRANSITION_CHANNEL, systems.CIRCUIT_TRANSITION_CHANNEL)
    assert.equal(observed.EVENT_PUBLISHED_CHANNEL, flows.FLOWS_PUBLISH_CHANNEL)
    assert.equal(observed.DELIVERY_ATTEMPT_CHANNEL, flows.FLOWS_DELIVERY_CHANNEL)
  })

  it('accepts every publisher’s message on its own channel object', () => {
    const seen: string[] = []
    const malformed: ObservedChannel[] = []
    const stop = subscribeChannels({
      gatewayRequest: () => seen.push('gateway'),
      systemCall: () => seen.push('system'),
      circuitTransition: () => seen.push('circuit'),
      eventPublished: () => seen.push('publish'),
      deliveryAttempt: () => seen.push('delivery'),
      malformed: (c) => malformed.push(c),
    })
    try {
      gateway.gatewayRequestChannel.publish(gatewayMessage)
      systems.systemCallChannel.publish(systemMessage)
      systems.circuitTransitionChannel.publish(circuitMessage)
      flows.publishBatchChannel.publish(publishMessage)
      flows.deliveryChannel.publish(deliveryMessage)
    } finally {
      stop()
    }
    assert.deepEqual(malformed, [])
    assert.deepEqual(seen, ['gateway', 'system', 'circuit', 'publish', 'delivery'])
    assert.equal(asObserved.length, 5)
  })

  it('shares one check per message between subscribers; a throwing one does not stop the others', () => {
    const channel = gateway.gatewayRequestChannel
    assert.equal(channel.hasSubscribers, false)
    const a: string[] = []
    const b: string[] = []
    const errors: unknown[] = []
    const stopA = subscribeChannels({
      gatewayRequest: (e) => {
        a.push(e.route)
        throw new Error('subscriber bug')
      },
      handlerError: (_c, err) => errors.push(err),
      malformed: () => a.push('malformed'),
    })
    const stopB = subscribeChannels({ gatewayRequest: (e) => b.push(e.route), malformed: () => b.push('malformed') })
    try {
      channel.publish(gatewayMessage)
      channel.publish({ route: 'r' }) // malformed: each subscriber hears of it
      stopA()
      assert.equal(channel.hasSubscribers, true, 'B still listens')
      channel.publish({ ...gatewayMessage, route: 'after' })
    } finally {
      stopB()
    }
    assert.equal(channel.hasSubscribers, false, 'the last unsubscribe leaves the channel silent')
    assert.deepEqual(a, ['r', 'malformed'])
    assert.deepEqual(b, ['r', 'malformed', 'after'])
    assert.equal(errors.length, 1)
    stopA() // a second stop is harmless
  })
})
