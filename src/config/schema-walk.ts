/**
 * Walks a value alongside the spec schema that describes it, so checks can act on schema
 * annotations (`x-kind: jsonata`, `x-kind: url`, …) wherever they occur. Unions are resolved
 * to the branch the value matches.
 */
import { compile, explainAjv } from './ajv.js'
import { flattenUnion } from './messages.js'
import { isRecord, type Segment } from './paths.js'

type Schema = Record<string, unknown>

/**
 * Called for every schema node that has a value. `branch` is true when `schema` was chosen
 * among a union's branches.
 */
export type SchemaVisitor = (schema: Schema, value: unknown, path: Segment[], branch: boolean) => void

export function walkSchema(schema: unknown, value: unknown, visit: SchemaVisitor, path: Segment[] = [], branch = false): void {
  if (!isRecord(schema) || value === undefined) return
  visit(schema, value, path, branch)
  if (Array.isArray(schema.anyOf)) {
    const chosen = pickBranch(schema, value)
    if (chosen) walkSchema(chosen, value, visit, path, true)
    return
  }
  if (isRecord(value) && schema.type === 'object') {
    const props = isRecord(schema.properties) ? schema.properties : {}
    const patterns = isRecord(schema.patternProperties) ? Object.entries(schema.patternProperties) : []
    for (const [key, child] of Object.entries(value)) {
      const sub = props[key] ?? patterns.find(([p]) => new RegExp(p, 'u').test(key))?.[1]
      walkSchema(sub, child, visit, [...path, key])
    }
    return
  }
  if (Array.isArray(value) && schema.type === 'array') value.forEach((item, i) => walkSchema(schema.items, item, visit, [...path, i]))
}

/** The branch a value is meant for: the first it satisfies, else the first of its JSON type. */
export function pickBranch(union: Schema, value: unknown): Schema | undefined {
  const branches = flattenUnion(union)
  return branches.find((b) => compile(explainAjv(), b)(value)) ?? branches.find((b) => sameType(b, value))
}

function sameType(schema: Schema, value: unknown): boolean {
  const t = schema.type
  if (t === 'string') return typeof value === 'string'
  if (t === 'integer' || t === 'number') return typeof value === 'number'
  if (t === 'array') return Array.isArray(value)
  if (t === 'object') return isRecord(value) && (!Array.isArray(schema.required) || schema.required.every((k) => String(k) in value))
  return false
}
