/**
 * Defaults inside unions. ajv's `useDefaults` fills in every default except those inside
 * `anyOf` branches (it cannot know which branch applies). Once the config is valid the branch
 * is known, so this fills those in too: e.g. `{ jwt: { … } }` gets `algorithms: [RS256]`.
 */
import { compile, configAjv } from './ajv.js'
import { walkSchema } from './schema-walk.js'

/** Mutates `data` (already valid against `schema`). */
export function applyUnionDefaults(schema: object, data: unknown): void {
  walkSchema(schema, data, (node, value, _path, branch) => {
    // Running the defaulting validator on the chosen branch applies that branch's defaults.
    if (branch && node.type === 'object') compile(configAjv(), node)(value)
  })
}
