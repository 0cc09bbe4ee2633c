/**
 * The config `switchboard init` writes: small, commented, valid as written, and runnable with
 * no other files (the mock system and the inline topic schema need nothing else); its one route
 * works as soon as a key is created.
 */
export const STARTER_CONFIG = `# Switchboard configuration. Reference: docs/reference/configuration.md
# Check it with:  npx switchboard validate -c switchboard.yaml
# Run it with:    npx switchboard start -c switchboard.yaml
version: 1

# development: an admin token is generated on first start and printed once.
# production: admin.token (or SWITCHBOARD_ADMIN_TOKEN) is required.
mode: development

# Embedded SQLite by default; postgres://user@host:5432/db to share state between nodes.
store: sqlite:./data/switchboard.db

listen:
  gateway: 8080   # where partners and apps call your APIs
  admin: 8081     # admin API (bearer token), /healthz, /readyz, /openapi.json

# admin:
#   token: "\${env:SWITCHBOARD_ADMIN_TOKEN}"   # secrets are references, never literals

# External APIs Switchboard talks to. A system with \`mock:\` is served by Switchboard itself,
# handy until the real one is reachable: replace \`mock:\` with \`baseUrl: https://…\`.
systems:
  crm:
    owner: sales-platform
    timeout: 5s
    mock:
      responses:
        - method: GET
          path: /contacts/:id
          template: '{ "id": params.id, "name": "Ada Lovelace" }'
        - method: POST
          path: /contacts
          status: 201
          template: '{ "id": "c-1", "email": body.email }'

# Clients of the gateway; create their API keys with \`switchboard keys create website\`.
consumers:
  website:
    scopes: [contacts:read]

# What the gateway (listen.gateway) exposes. Callers send their key as \`X-Api-Key\`.
routes:
  - id: get-contact
    get: /v1/contacts/:id
    auth: apiKey
    scopes: [contacts:read]
    proxy: { system: crm, path: /contacts/:id }

# Kinds of events, with the JSON Schema their bodies must match.
topics:
  contact.created:
    owner: sales-platform
    schema:
      type: object
      required: [email]
      properties:
        email: { type: string }
`
