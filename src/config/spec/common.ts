/**
 * Shared building blocks of the config spec. Each block is declared once with TypeBox: the
 * TypeScript type (`Static<>`), the JSON Schema (switchboard.schema.json) and the reference docs
 * (docs/reference/configuration.md) all come from these declarations.
 */
import { Type, type TSchema, type SchemaOptions } from '@sinclair/typebox'
import { DURATION_PATTERN } from '../../core/duration.js'

/** A duration that is not zero: `0s` (or `0.0m`) is refused by the pattern's look-ahead. */
export const POSITIVE_DURATION_PATTERN = `^(?![0.]+(ms|s|m|h|d|w)$)${DURATION_PATTERN.slice(1)}`

/**
 * `250ms`, `30s`, `5m`, `2h`, `1d`, or a number of milliseconds. With `'x-positive': true` zero
 * is refused (a timeout, window or cooldown of 0 makes no sense).
 */
export const Duration = (options: SchemaOptions = {}) =>
  options['x-positive'] === true
    ? Type.Union([Type.String({ pattern: POSITIVE_DURATION_PATTERN }), Type.Integer({ minimum: 1 })], { ...options, 'x-kind': 'duration' })
    : Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Integer({ minimum: 0 })], { ...options, 'x-kind': 'duration' })

/** A name usable as an identifier in ids, metric labels and URLs. */
export const Name = (options: SchemaOptions = {}) =>
  Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', ...options, 'x-kind': 'name' })

/** A JSONata expression, compiled once at load (a syntax error is reported with its position). */
export const Expression = (options: SchemaOptions = {}) =>
  Type.String({ minLength: 1, ...options, 'x-kind': 'jsonata' })

/** An absolute http(s) URL. */
export const HttpUrl = (options: SchemaOptions = {}) => Type.String({ minLength: 1, ...options, 'x-kind': 'url' })

/** A string that may be (or contain) a secret reference: `${env:NAME}` or `${file:path}`. */
export const Secret = (options: SchemaOptions = {}) => Type.String({ minLength: 1, ...options, 'x-kind': 'secret' })

export const Owner = () => Type.Optional(Type.String({ minLength: 1, description: 'Team or person accountable for this entry.' }))
export const Description = () => Type.Optional(Type.String({ description: 'Free text shown in the catalog and generated docs.' }))

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const
export type HttpMethodKey = (typeof HTTP_METHODS)[number]

/** A map of header name → value; values may hold secret references. */
export const Headers = (options: SchemaOptions = {}) =>
  Type.Record(Type.String({ pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$' }), Type.String(), { additionalProperties: false, ...options })

/** A strict object: unknown fields are errors (catches typos such as `timout`). */
export const Obj = <T extends Record<string, TSchema>>(props: T, options: SchemaOptions = {}) =>
  Type.Object(props, { additionalProperties: false, ...options })
