/**
 * The admin API's OpenAPI 3.1 document, built from the routes as registered: each route's
 * method, URL, `schema` (params, querystring, body, responses, summary, tags) and whether it is
 * public. One source: what fastify validates is what the document says.
 */
import type { FastifyInstance, RouteOptions } from 'fastify'
import { ProblemSchema } from './schemas.js'

interface CollectedRoute {
  methods: string[]
  url: string
  schema: Record<string, unknown>
  public: boolean
}

export interface OpenApiDocument {
  openapi: '3.1.0'
  info: { title: string; version: string; description: string }
  paths: Record<string, Record<string, unknown>>
  components: Record<string, unknown>
  security: Array<Record<string, string[]>>
}

/** Starts collecting routes; call before any route is registered. */
export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = []
  app.addHook('onRoute', (opts: RouteOptions) => {
    const schema = (opts.schema ?? {}) as Record<string, unknown>
    if (schema.hide === true) return
    const methods = (Array.isArray(opts.method) ? opts.method : [opts.method]).map((m) => String(m).toLowerCase()).filter((m) => m !== 'head')
    if (methods.length === 0) return
    routes.push({ methods, url: opts.url, schema, public: opts.config?.public === true })
  })
  return routes
}

export function buildOpenApiDocument(routes: readonly CollectedRoute[], version: string): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {}
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    const item = (paths[path] ??= {})
    for (const method of r.methods) item[method] = operation(r, method)
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard admin API',
      version,
      description: 'Operate a Switchboard node. Every endpoint except the health probes and this document needs `Authorization: Bearer <admin token>`. Errors are application/problem+json with a stable `code`.',
    },
    paths,
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'The admin token (admin.token, SWITCHBOARD_ADMIN_TOKEN, or the one printed on first start).' } },
      schemas: { Problem: plain(ProblemSchema) },
    },
    security: [{ adminToken: [] }],
  }
}

function operation(r: CollectedRoute, method: string): Record<string, unknown> {
  const s = r.schema
  const op: Record<string, unknown> = {}
  if (typeof s.summary === 'string') op.summary = s.summary
  if (typeof s.description === 'string') op.description = s.description
  if (Array.isArray(s.tags)) op.tags = s.tags
  op.operationId = typeof s.operationId === 'string' ? s.operationId : defaultOperationId(method, r.url)
  const parameters = [...params(s.params, 'path'), ...params(s.querystring, 'query')]
  if (parameters.length > 0) op.parameters = parameters
  if (s.body !== undefined) op.requestBody = { required: s.bodyOptional !== true, content: { 'application/json': { schema: plain(s.body) } } }
  const responses: Record<string, unknown> = {}
  for (const [status, schema] of Object.entries((s.response ?? {}) as Record<string, unknown>)) {
    const desc = (schema as { description?: string }).description ?? (status.startsWith('2') ? 'Success' : 'Error')
    if (status === '204') responses[status] = { description: desc }
    else responses[status] = { description: desc, content: { [status.startsWith('2') ? (typeof s.produces === 'string' ? s.produces : 'application/json') : 'application/problem+json']: { schema: plain(schema) } } }
  }
  if (!r.public) responses['401'] = problemResponse('Missing or wrong admin token.')
  responses.default = problemResponse('Error (problem+json with a stable `code`).')
  op.responses = responses
  if (r.public) op.security = []
  return op
}

function params(schema: unknown, where: 'path' | 'query'): Array<Record<string, unknown>> {
  const props = (schema as { properties?: Record<string, unknown>; required?: string[] } | undefined)?.properties
  if (!props) return []
  const required = new Set((schema as { required?: string[] }).required ?? [])
  return Object.entries(props).map(([name, sch]) => {
    const p: Record<string, unknown> = { name, in: where, required: where === 'path' || required.has(name), schema: plain(sch) }
    const d = (sch as { description?: string }).description
    if (d) p.description = d
    return p
  })
}

function problemResponse(description: string): Record<string, unknown> {
  return { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } }
}

function defaultOperationId(method: string, url: string): string {
  const words = url.split('/').filter(Boolean).map((w) => w.replace(/^:/, 'by-').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')))
  return method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')
}

/** TypeBox schemas carry symbol keys; a JSON round trip leaves the plain JSON Schema. */
function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema ?? {}))
}
