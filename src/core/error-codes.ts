/**
 * The catalogue of stable error codes: `SB_ERR_<AREA>_<PROBLEM>`. Add a code here (with cause
 * and fix), then run `npm run generate` to refresh docs/errors.md. Never rename or reuse a code.
 */
export interface ErrorCodeInfo {
  status: number
  title: string
  cause: string
  fix: string
}

function codes<T extends Record<string, ErrorCodeInfo>>(table: T): { [K in keyof T]: ErrorCodeInfo } {
  return table
}

export const ERROR_CODES = codes({
  // config
  SB_ERR_CONFIG_INVALID: {
    status: 400,
    title: 'Invalid configuration',
    cause: 'The configuration file failed schema or semantic validation. Every problem is listed with file:line:col and the field path.',
    fix: 'Correct each listed field; run `switchboard validate -c FILE` until it exits 0.',
  },
  SB_ERR_CONFIG_NOT_FOUND: {
    status: 400,
    title: 'Configuration file not found',
    cause: 'The file given with -c (or ./switchboard.yaml) does not exist or cannot be read.',
    fix: 'Pass the right path with `-c`, or run `switchboard init` to write a starter config.',
  },
  SB_ERR_CONFIG_SECRET_MISSING: {
    status: 400,
    title: 'Secret reference cannot be resolved',
    cause: 'A `${env:NAME}` variable is not set, or a `${file:path}` file does not exist.',
    fix: 'Export the variable or create the file before starting; the error names the reference.',
  },
  // store
  SB_ERR_STORE_UNAVAILABLE: {
    status: 503,
    title: 'Store unavailable',
    cause: 'The SQLite file cannot be opened or the PostgreSQL server cannot be reached.',
    fix: 'Check the `store` URL, file permissions, or that PostgreSQL is running and reachable.',
  },
  SB_ERR_STORE_MIGRATION_FAILED: {
    status: 500,
    title: 'Store migration failed',
    cause: 'A schema migration could not be applied (or the database has a newer schema than this build knows).',
    fix: 'Read the cause in the log; restore from backup or upgrade Switchboard to the version that wrote the schema.',
  },
  SB_ERR_STORE_CONFLICT: {
    status: 409,
    title: 'Conflict',
    cause: 'A row with the same unique key already exists (for example a consumer name).',
    fix: 'Use a different name or update the existing row.',
  },
  SB_ERR_STORE_NOT_FOUND: {
    status: 404,
    title: 'Not found',
    cause: 'The requested row (consumer, key, revision, delivery…) does not exist.',
    fix: 'Check the id; list the collection to see what exists.',
  },
  // admin API
  SB_ERR_ADMIN_UNAUTHORIZED: {
    status: 401,
    title: 'Admin token required',
    cause: 'The admin API request had no bearer token, or the token is wrong.',
    fix: 'Send `Authorization: Bearer <token>`; the CLI reads --token or SWITCHBOARD_ADMIN_TOKEN.',
  },
  SB_ERR_ADMIN_BAD_REQUEST: {
    status: 400,
    title: 'Bad request',
    cause: 'The admin API request body or query failed validation.',
    fix: 'Compare the request with the admin OpenAPI document at GET /openapi.json.',
  },
  SB_ERR_ADMIN_NOT_FOUND: {
    status: 404,
    title: 'Not found',
    cause: 'No admin API endpoint matches the method and path.',
    fix: 'See GET /openapi.json for the available endpoints.',
  },
  // HTTP (both servers)
  SB_ERR_HTTP_BAD_REQUEST: {
    status: 400,
    title: 'Malformed request',
    cause: 'The HTTP parser rejected the request (bad header, invalid JSON, conflicting length headers).',
    fix: 'Send a well-formed HTTP/1.1 request with valid JSON.',
  },
  SB_ERR_HTTP_BODY_TOO_LARGE: {
    status: 413,
    title: 'Body too large',
    cause: 'The request body exceeds the route’s `limits.body` (default 1 MB).',
    fix: 'Send a smaller body or raise the limit on the route.',
  },
  SB_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported media type',
    cause: 'The Content-Type is not one the endpoint accepts.',
    fix: 'Send `Content-Type: application/json`.',
  },
  SB_ERR_HTTP_INTERNAL: {
    status: 500,
    title: 'Internal error',
    cause: 'An unexpected error occurred; it is logged with the request id.',
    fix: 'Report it with the X-Request-Id value from the response.',
  },
  SB_ERR_HTTP_TIMEOUT: {
    status: 408,
    title: 'Request timeout',
    cause: 'The client did not send the full request in time.',
    fix: 'Send the request promptly; slow clients are cut off.',
  },
  // systems (outbound)
  SB_ERR_SYSTEM_UNKNOWN: {
    status: 500,
    title: 'Unknown system',
    cause: 'A call named a system that is not configured.',
    fix: 'Declare the system under `systems:`.',
  },
  SB_ERR_SYSTEM_CIRCUIT_OPEN: {
    status: 503,
    title: 'Circuit open',
    cause: 'The system failed too often recently, so calls fail fast until the cooldown ends.',
    fix: 'Wait for Retry-After; check the system’s health with `switchboard status`.',
  },
  SB_ERR_SYSTEM_UNREACHABLE: {
    status: 502,
    title: 'Upstream unreachable',
    cause: 'The connection to the system was refused or reset, or its response was malformed.',
    fix: 'Check that the system is up and its baseUrl is right.',
  },
  SB_ERR_SYSTEM_TIMEOUT: {
    status: 504,
    title: 'Upstream timeout',
    cause: 'The system did not answer within its configured timeout.',
    fix: 'Raise the system’s `timeout` or investigate the slow system.',
  },
  SB_ERR_SYSTEM_AUTH_FAILED: {
    status: 502,
    title: 'Upstream authentication failed',
    cause: 'Switchboard could not obtain credentials for the system (e.g. the OAuth2 token endpoint failed).',
    fix: 'Check the system’s `auth` settings and secrets.',
  },
  SB_ERR_SYSTEM_MOCK_NO_MATCH: {
    status: 404,
    title: 'No mock response',
    cause: 'A mock system received a request that none of its configured responses (or OpenAPI examples) match.',
    fix: 'Add a response for that method and path under the system’s `mock.responses`.',
  },
})

export type ErrorCode = keyof typeof ERROR_CODES
