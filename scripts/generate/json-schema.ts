/**
 * switchboard.schema.json: the JSON Schema of switchboard.yaml for editors
 * (`# yaml-language-server: $schema=./switchboard.schema.json`), straight from the TypeBox spec.
 */
import { ConfigSpec } from '../../src/config/spec/root.js'

export const SCHEMA_ID = 'urn:switchboard:schema:config:1'

export function renderJsonSchema(): string {
  // JSON round-trip drops TypeBox's symbol-keyed metadata.
  const body = JSON.parse(JSON.stringify(ConfigSpec)) as Record<string, unknown>
  const schema = { $schema: 'http://json-schema.org/draft-07/schema#', $id: SCHEMA_ID, ...body }
  return `${JSON.stringify(schema, null, 2)}\n`
}
