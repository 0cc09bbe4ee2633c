/**
 * Answers mock requests from the examples in an OpenAPI 3.x document: the operation matching
 * the method and path, its lowest 2xx response, and that response's JSON example. When the
 * response has several named `examples`, one whose name equals a path parameter's value is
 * preferred (so `GET /orders/1002` can answer the `"1002"` example), else the first one.
 * Only local `$ref`s (`#/components/...`) are followed.
 */
import { readFile } from 'node:fs/promises'
import { parse } from 'yaml'
import { SwitchboardError } from '../../core/errors.js'
import { compilePathPattern, openApiPathToPattern, type PathMatcher, type PathParams } from './path-pattern.js'

export interface ExampleAnswer {
  status: number
  contentType: string
  body: unknown
  params: PathParams
}

export type ExampleResponder = (method: string, path: string) => ExampleAnswer | undefined

type Json = Record<string, unknown>

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch']

/** Reads a YAML or JSON OpenAPI document; `label` names the config field in errors. */
export async function loadOpenApiDocument(file: string, label: string): Promise<Json> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${label}: cannot read OpenAPI document "${file}"`, { cause: err })
  }
  let doc: unknown
  try {
    doc = parse(text)
  } catch (err) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${label}: "${file}" is not valid YAML/JSON: ${(err as Error).message}`, { cause: err })
  }
  if (!isObj(doc) || !isObj(doc.paths)) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${label}: "${file}" is not an OpenAPI document (no "paths" object)`)
  }
  return doc
}

export function createExampleResponder(doc: Json): ExampleResponder {
  const ops: Array<{ method: string; match: PathMatcher; op: Json }> = []
  for (const [p, item] of Object.entries(doc.paths as Json)) {
    if (!isObj(item)) continue
    const match = compilePathPattern(openApiPathToPattern(p))
    for (const m of METHODS) {
      const op = item[m]
      if (isObj(op)) ops.push({ method: m.toUpperCase(), match, op })
    }
  }
  return (method, path) => {
    for (const { method: m, match, op } of ops) {
      if (m !== method) continue
      const params = match(path)
      if (!params) continue
      const answer = exampleOf(doc, op, params)
      if (answer) return { ...answer, params }
    }
    return undefined
  }
}

function exampleOf(doc: Json, op: Json, params: PathParams): Omit<ExampleAnswer, 'params'> | undefined {
  const responses = deref(doc, op.responses)
  if (!isObj(responses)) return undefined
  const codes = Object.keys(responses)
    .filter((c) => /^2\d\d$/.test(c))
    .sort()
  for (const code of codes) {
    const response = deref(doc, responses[code])
    if (!isObj(response)) continue
    const content = deref(doc, response.content)
    if (!isObj(content)) {
      // A 2xx without content (e.g. 204) is still an answer.
      return { status: Number(code), contentType: 'application/json', body: undefined }
    }
    const types = Object.keys(content).sort((a, b) => Number(b.includes('json')) - Number(a.includes('json')))
    for (const type of types) {
      const media = deref(doc, content[type])
      if (!isObj(media)) continue
      const body = pickExample(doc, media, params)
      if (body !== NONE) return { status: Number(code), contentType: type, body }
    }
  }
  return undefined
}

const NONE = Symbol('no example')

function pickExample(doc: Json, media: Json, params: PathParams): unknown {
  if ('example' in media) return media.example
  const examples = deref(doc, media.examples)
  if (isObj(examples)) {
    const names = Object.keys(examples)
    const wanted = names.find((n) => Object.values(params).includes(n)) ?? names[0]
    const ex = wanted === undefined ? undefined : deref(doc, examples[wanted])
    if (isObj(ex) && 'value' in ex) return ex.value
  }
  const schema = deref(doc, media.schema)
  if (isObj(schema) && 'example' in schema) return schema.example
  return NONE
}

/** Follows local `$ref`s (bounded, so a cyclic document cannot loop forever). */
function deref(doc: Json, value: unknown): unknown {
  let v = value
  for (let i = 0; i < 16 && isObj(v) && typeof v.$ref === 'string'; i++) {
    const ref = v.$ref
    if (!ref.startsWith('#/')) return undefined
    let cur: unknown = doc
    for (const raw of ref.slice(2).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
      cur = isObj(cur) ? cur[key] : undefined
    }
    v = cur
  }
  return v
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
