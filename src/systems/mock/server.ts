/**
 * A mock system: a small HTTP server on 127.0.0.1 that answers from the system's `mock:` config
 * (and OpenAPI examples), so a whole integration can run on one laptop with no real CRM or ERP.
 * The runtime starts one per mocked system and uses its URL as the system's base URL.
 */
import { join, isAbsolute } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyReply } from 'fastify'
import type { Logger } from 'pino'
import { SwitchboardError } from '../../core/errors.js'
import { DEFAULT_HTTP_LIMITS, closeGracefully, fastifyServerOptions } from '../../core/http-limits.js'
import { PROBLEM_CONTENT_TYPE, toSwitchboardError } from '../../core/http-problem.js'
import type { SystemConfig } from '../../config/spec/system.js'
import { createExampleResponder, loadOpenApiDocument, type ExampleResponder } from './openapi-examples.js'
import { createMockResponder, type MockReply } from './responder.js'
import { RequestRecorder, type RecordedRequest } from './recorder.js'

export interface StartMockOptions {
  name: string
  system: SystemConfig
  /** Directory of the config file (the system's `openapi` path is relative to it). */
  configDir: string
  /** Overrides `mock.port` (tests pass 0). */
  port?: number
  logger?: Logger
}

export interface MockSystem {
  readonly name: string
  /** `http://127.0.0.1:PORT`, the system's effective base URL. */
  readonly url: string
  /** Requests received, newest first (credentials redacted). */
  requests(): RecordedRequest[]
  clearRequests(): void
  close(): Promise<void>
}

/** In-flight mock answers (even with a long `delay`) get this long to finish on close. */
const CLOSE_TIMEOUT_MS = 10_000

export async function startMockSystem(options: StartMockOptions): Promise<MockSystem> {
  const { name, system } = options
  const mock = system.mock
  if (!mock) throw new SwitchboardError('SB_ERR_SYSTEM_UNKNOWN', `system "${name}" has no mock configuration`)
  const label = `systems.${name}.mock`
  let examples: ExampleResponder | undefined
  if (system.openapi !== undefined && mock.openapiExamples !== false) {
    const file = isAbsolute(system.openapi) ? system.openapi : join(options.configDir, system.openapi)
    examples = createExampleResponder(await loadOpenApiDocument(file, `systems.${name}.openapi`))
  }
  const respond = createMockResponder(label, mock, examples)
  const recorder = new RequestRecorder(mock.record ?? 100)
  const log = options.logger?.child({ mock: name })

  const app = Fastify({ ...fastifyServerOptions(DEFAULT_HTTP_LIMITS), logger: false })
  // Mocks accept any body: JSON is parsed (by fastify's default parser), the rest kept as text.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))

  app.setErrorHandler((err, req, reply) => {
    const sbErr = toSwitchboardError(err)
    if (sbErr.status >= 500) log?.warn({ err }, 'mock %s failed', name)
    return sendProblem(reply, sbErr, req.url)
  })

  app.all('*', async (req, reply) => {
    const path = req.url.split('?', 1)[0] || '/'
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v
    const input = { method: req.method, path, query: { ...(req.query as Record<string, unknown>) }, headers, body: req.body ?? null }
    let answer: MockReply | undefined
    try {
      answer = await respond(input)
    } catch (err) {
      recorder.add({ at: Date.now(), ...input, status: 500, matched: null })
      throw err
    }
    if (!answer) {
      recorder.add({ at: Date.now(), ...input, status: 404, matched: null })
      return sendProblem(
        reply,
        new SwitchboardError('SB_ERR_SYSTEM_MOCK_NO_MATCH', `mock system "${name}" has no response for ${req.method} ${path}`),
        path,
      )
    }
    recorder.add({ at: Date.now(), ...input, status: answer.status, matched: answer.matched })
    if (answer.delayMs > 0) await sleep(answer.delayMs)
    return sendMockReply(reply, answer)
  })

  await app.listen({ host: '127.0.0.1', port: options.port ?? mock.port ?? 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const url = `http://127.0.0.1:${port}`
  return {
    name,
    url,
    requests: () => recorder.list(),
    clearRequests: () => recorder.clear(),
    close: () => closeGracefully(app, CLOSE_TIMEOUT_MS),
  }
}

function sendMockReply(reply: FastifyReply, answer: MockReply): FastifyReply {
  reply.code(answer.status)
  const headers = Object.fromEntries(Object.entries(answer.headers).map(([k, v]) => [k.toLowerCase(), v]))
  if (answer.body === undefined || answer.status === 204 || answer.status === 304) {
    reply.headers(headers)
    return reply.send()
  }
  const isText = typeof answer.body === 'string'
  headers['content-type'] ??= isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8'
  reply.headers(headers)
  return reply.send(isText ? answer.body : JSON.stringify(answer.body))
}

function sendProblem(reply: FastifyReply, err: SwitchboardError, instance: string): FastifyReply {
  return reply.code(err.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(err.toProblem(instance)))
}
