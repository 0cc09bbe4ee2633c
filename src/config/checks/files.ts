/** Files the config points at: event schemas, request validation schemas, OpenAPI documents. */
import { readDocument, readUserSchema } from '../user-schema.js'
import { entries, rec, str, type CheckContext } from './context.js'

const VALIDATED_PARTS = ['body', 'query', 'params', 'headers'] as const

export function checkFiles(ctx: CheckContext): void {
  for (const [name, topic] of Object.entries(rec(ctx.config.topics))) {
    const schema = rec(topic).schema
    if (schema === undefined) continue
    const result = readUserSchema(schema, ctx.dir)
    if (!result.ok) ctx.report({ path: ['topics', name, 'schema'], message: result.problem })
  }
  for (const [i, route] of entries(ctx, 'routes')) {
    const validate = rec(rec(route.request).validate)
    for (const part of VALIDATED_PARTS) {
      if (validate[part] === undefined) continue
      const result = readUserSchema(validate[part], ctx.dir)
      if (!result.ok) ctx.report({ path: ['routes', i, 'request', 'validate', part], message: result.problem })
    }
  }
  for (const [name, system] of Object.entries(rec(ctx.config.systems))) {
    const openapi = str(rec(system).openapi)
    if (openapi === undefined) continue
    const doc = readDocument(openapi, ctx.dir)
    if (!doc.ok) ctx.report({ path: ['systems', name, 'openapi'], message: doc.problem })
    else if (!String(doc.value.openapi ?? '').startsWith('3.')) {
      ctx.report({ path: ['systems', name, 'openapi'], message: `${openapi} is not an OpenAPI 3.x document (no "openapi: 3.x" field)` })
    }
  }
}
