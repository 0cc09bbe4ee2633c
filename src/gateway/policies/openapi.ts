/**
 * Request schemas from an OpenAPI 3.x document (`request.validate.openapi: true`): the operation
 * is found by the upstream method and path template (`/orders/:id` ↔ `/orders/{orderId}`,
 * parameters matched by position), and its JSON request body and parameters become JSON
 * Schemas. Local `$ref`s (`#/components/…`) keep working because every schema is compiled
 * next to the document's `components`.
 */
import { SwitchboardError } from '../../core/errors.js'

type Json = Record<string, unknown>

export interface OperationSchemas {
  body?: Json
  bodyRequired: boolean
  query?: Json
  params?: Json
  headers?: Json
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Follows one local `$ref` (`#/components/parameters/Id`) to its target object. */
function deref(doc: Json, value: unknown, where: string): unknown {
  let v = value
  for (let hops = 0; isObj(v) && typeof v.$ref === 'string'; hops++) {
    const ref = v.$ref
    if (!ref.startsWith('#/') || hops > 20) throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: cannot follow $ref "${ref}" (only local references are supported)`)
    let target: unknown = doc
    for (const raw of ref.slice(2).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
      target = isObj(target) ? target[key] : undefined
    }
    if (target === undefined) throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: $ref "${ref}" points nowhere`)
    v = target
  }
  return v
}

/** Path shape for matching: `/orders/{id}` and `/orders/:id` both → `/orders/{}`; names in order. */
function shape(path: string, param: RegExp): { key: string; names: string[] } {
  const names: string[] = []
  const key = path.replace(param, (_m, name: string) => {
    names.push(name)
    return '{}'
  })
  return { key: key.length > 1 ? key.replace(/\/+$/, '') : key, names }
}

/** A schema compiled next to the document's components so `#/components/...` refs resolve. */
function withComponents(doc: Json, schema: unknown): Json {
  return { allOf: [schema], components: doc.components ?? {} }
}

/**
 * The schemas of the operation `method` + `template` (the proxy's upstream path, `:name` params)
 * in `doc`. Throws SB_ERR_CONFIG_INVALID naming `where` when the operation is not in the document.
 */
export function operationSchemas(doc: Json, method: string, template: string, where: string): OperationSchemas {
  const want = shape(template, /:([A-Za-z_][A-Za-z0-9_]*)/g)
  const paths = isObj(doc.paths) ? doc.paths : {}
  for (const [p, rawItem] of Object.entries(paths)) {
    const have = shape(p, /\{([^}/]+)\}/g)
    if (have.key !== want.key) continue
    const item = deref(doc, rawItem, where)
    if (!isObj(item)) continue
    const op = deref(doc, item[method.toLowerCase()], where)
    if (!isObj(op)) continue
    // OpenAPI name → route name, by position in the path.
    const rename = new Map(have.names.map((n, i) => [n, want.names[i] ?? n]))
    return build(doc, item, op, rename, where)
  }
  throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: the system's OpenAPI document has no operation ${method.toUpperCase()} ${template}`)
}

function build(doc: Json, item: Json, op: Json, rename: Map<string, string>, where: string): OperationSchemas {
  // Operation-level parameters override path-level ones with the same name and location.
  const params = new Map<string, Json>()
  for (const list of [item.parameters, op.parameters]) {
    if (!Array.isArray(list)) continue
    for (const raw of list) {
      const p = deref(doc, raw, where)
      if (isObj(p) && typeof p.name === 'string' && typeof p.in === 'string') params.set(`${p.in}:${p.name}`, p)
    }
  }
  const groups: Record<'query' | 'path' | 'header', { properties: Json; required: string[] }> = {
    query: { properties: {}, required: [] },
    path: { properties: {}, required: [] },
    header: { properties: {}, required: [] },
  }
  for (const p of params.values()) {
    const loc = p.in as string
    if (loc !== 'query' && loc !== 'path' && loc !== 'header') continue
    let name = p.name as string
    if (loc === 'path') name = rename.get(name) ?? name
    if (loc === 'header') name = name.toLowerCase()
    groups[loc].properties[name] = p.schema ?? {}
    if (p.required === true || loc === 'path') groups[loc].required.push(name)
  }
  const asSchema = (g: { properties: Json; required: string[] }): Json | undefined =>
    Object.keys(g.properties).length === 0 ? undefined : withComponents(doc, { type: 'object', properties: g.properties, required: g.required })

  const out: OperationSchemas = { bodyRequired: false }
  const query = asSchema(groups.query)
  const path = asSchema(groups.path)
  const header = asSchema(groups.header)
  if (query) out.query = query
  if (path) out.params = path
  if (header) out.headers = header

  const requestBody = deref(doc, op.requestBody, where)
  if (isObj(requestBody) && isObj(requestBody.content)) {
    const content = requestBody.content
    const jsonType = Object.keys(content).find((t) => /^application\/(?:[\w.+-]+\+)?json\b/i.test(t))
    const media = jsonType === undefined ? undefined : content[jsonType]
    if (isObj(media) && media.schema !== undefined) out.body = withComponents(doc, media.schema)
    out.bodyRequired = requestBody.required === true
  }
  return out
}
