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
  SB_ERR_STORE_INVALID_VALUE: {
    status: 400,
    title: 'Value cannot be stored',
    cause: 'A value passed to the store is out of range (negative amount, bad page size), not JSON-serialisable, or contains a NUL character (PostgreSQL rejects NUL in text and JSON).',
    fix: 'Validate the input before storing it; the message names the argument.',
  },
  SB_ERR_STORE_TX_MISUSE: {
    status: 500,
    title: 'Store transaction misused',
    cause: 'Inside a `transaction()` callback the code called the Store itself (which would wait for the transaction forever) or started a nested transaction, or it used a tx after its transaction ended.',
    fix: 'Inside the callback use only the tx it was given, and do not keep the tx after the callback settles. This is a bug in the calling code.',
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
    cause: 'No admin API endpoint matches the method and path, or the resource the endpoint names (consumer, API key, system, delivery, event, config revision) does not exist; the detail says which.',
    fix: 'Check the id or name (list the collection to see what exists); GET /openapi.json lists the endpoints.',
  },
  SB_ERR_ADMIN_TOKEN_REQUIRED: {
    status: 500,
    title: 'Admin token required in production',
    cause: 'The config has `mode: production` but neither `admin.token` nor SWITCHBOARD_ADMIN_TOKEN is set; no token is generated in production.',
    fix: 'Set `admin.token: "${env:SWITCHBOARD_ADMIN_TOKEN}"` (or export SWITCHBOARD_ADMIN_TOKEN) with a long random value.',
  },
  SB_ERR_ADMIN_NOT_READY: {
    status: 503,
    title: 'Not ready',
    cause: 'A dependency of this node (the store) does not answer, or the node is shutting down.',
    fix: 'Check the store (`store:` URL) and the logs; the readiness probe recovers by itself when the store answers.',
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
  SB_ERR_HTTP_HEADERS_TOO_LARGE: {
    status: 431,
    title: 'Request headers too large',
    cause: 'The request line and headers exceed `server.maxHeaderSize` (default 16 KiB).',
    fix: 'Send fewer or smaller headers (large cookies are the usual cause), or raise `server.maxHeaderSize`.',
  },
  SB_ERR_HTTP_LISTEN_FAILED: {
    status: 500,
    title: 'Cannot listen',
    cause: 'A server could not bind its port (already in use, or not permitted).',
    fix: 'Stop the other process on that port or change `listen.gateway` / `listen.admin` (0 picks a free port).',
  },
  // gateway
  SB_ERR_GATEWAY_NO_ROUTE: {
    status: 404,
    title: 'No route',
    cause: 'No gateway route matches the request method and path.',
    fix: 'Check the method and path against `routes:` in the config (or the catalog).',
  },
  SB_ERR_GATEWAY_METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'Method not allowed',
    cause: 'A gateway route matches the path (and host), but not the request method. The `Allow` header and the `allow` member list the methods that are routed there.',
    fix: 'Use one of the methods in `Allow`, or add a route for this method in `routes:`.',
  },
  SB_ERR_GATEWAY_VERSION_UNKNOWN: {
    status: 400,
    title: 'Unknown API version',
    cause: 'The request asked for an API version (in the `versioning.header` header, `Api-Version` by default) that no route on this method and path serves. The `versions` member lists those that exist.',
    fix: 'Send one of the listed versions, or leave the header out to get the default version (see `versioning.default`).',
  },
  SB_ERR_GATEWAY_VERSION_REQUIRED: {
    status: 400,
    title: 'API version required',
    cause: 'Several versions of this endpoint exist, `versioning.default` is `required`, and the request did not name one. The `versions` member lists them.',
    fix: 'Send the version header (`Api-Version` by default) with one of the listed versions.',
  },
  SB_ERR_GATEWAY_BAD_PARAM: {
    status: 400,
    title: 'Unsafe path parameter',
    cause: 'A path parameter (or a segment of a wildcard tail) holds `/`, `\\`, a dot segment (`.`, `..`), a percent-encoded form of one of these, or a control character, any of which could change the upstream path. Nothing was forwarded.',
    fix: 'Send the identifier as it is; values that are not plain path segments cannot be routed.',
  },
  SB_ERR_GATEWAY_JSON_TOO_DEEP: {
    status: 400,
    title: 'JSON nested too deeply',
    cause: 'The JSON body nests arrays/objects deeper than the route’s `limits.depth` (default 32).',
    fix: 'Flatten the payload, or raise `limits.depth` on the route.',
  },
  SB_ERR_GATEWAY_VALIDATION_FAILED: {
    status: 400,
    title: 'Request validation failed',
    cause: 'The request body, query, path parameters or headers do not match the route’s schema (`request.validate` or the system’s OpenAPI operation). Every violation is listed under `violations` with where it is and why.',
    fix: 'Correct each listed field and send the request again.',
  },
  SB_ERR_GATEWAY_RATE_LIMITED: {
    status: 429,
    title: 'Rate limit exceeded',
    cause: 'The caller sent more requests than the route’s or the consumer’s `rateLimit` allows.',
    fix: 'Wait for the number of seconds in Retry-After; spread requests out (see the RateLimit-* headers).',
  },
  SB_ERR_GATEWAY_QUOTA_EXCEEDED: {
    status: 429,
    title: 'Quota exhausted',
    cause: 'The consumer used its whole `quota` for the current period (UTC hour, day or month). The count is kept in the store, so restarting the gateway does not reset it.',
    fix: 'Wait until the period ends (Retry-After), or ask the operator to raise `consumers.<name>.quota.limit`.',
  },
  SB_ERR_GATEWAY_TRANSFORM_FAILED: {
    status: 500,
    title: 'Transform failed',
    cause: 'A route’s JSONata `request.transform` (500) or `response.transform` (502) failed or ran past its time limit on this message.',
    fix: 'Fix the expression in the route (the detail quotes JSONata’s error and position), or the data that trips it.',
  },
  SB_ERR_GATEWAY_UPSTREAM_RESPONSE: {
    status: 502,
    title: 'Upstream response cannot be processed',
    cause: 'The route filters or transforms response bodies, and the system answered with a body that is not JSON, is compressed, is malformed or is too large. It is not passed on, so no undeclared field can leak.',
    fix: 'Make the system answer `application/json` (uncompressed) for this route, or drop `response.allow`/`response.transform`.',
  },
  SB_ERR_GATEWAY_PUBLISH_FAILED: {
    status: 503,
    title: 'Event not accepted',
    cause: 'A publish route could not commit the event (the event store or bus is unavailable, or no publisher is running on this node). Nothing was accepted.',
    fix: 'Retry the request (Retry-After); it is safe, events are deduplicated by id. Check the store/bus health if it persists.',
  },
  SB_ERR_GATEWAY_CORS_REJECTED: {
    status: 403,
    title: 'CORS preflight rejected',
    cause: 'A browser preflight (OPTIONS) came from an origin, or asked for a method, that the route’s `cors` does not allow.',
    fix: 'Add the origin to the route’s `cors.origins` (and the method to `cors.methods`), or call from an allowed origin.',
  },
  SB_ERR_GATEWAY_SHUTTING_DOWN: {
    status: 503,
    title: 'Gateway shutting down',
    cause: 'The request arrived while this gateway node was draining for a shutdown or restart; it was not handled.',
    fix: 'Retry; a load balancer should already be sending new requests to another node.',
  },
  // gateway auth
  SB_ERR_AUTH_MISSING: {
    status: 401,
    title: 'Authentication required',
    cause: 'The route requires authentication and the request carried none of the accepted credentials (see the WWW-Authenticate header).',
    fix: 'Send an API key (`X-Api-Key` or `Authorization: Bearer sbk_…`), a bearer JWT, or a signed webhook, as the route accepts.',
  },
  SB_ERR_AUTH_INVALID_KEY: {
    status: 401,
    title: 'Invalid API key',
    cause: 'The API key is malformed or does not exist.',
    fix: 'Check the key (it starts with `sbk_`); create one with `switchboard keys create <consumer>`.',
  },
  SB_ERR_AUTH_REVOKED_KEY: {
    status: 401,
    title: 'API key revoked',
    cause: 'The API key was revoked.',
    fix: 'Ask the gateway operator for a new key (`switchboard keys create <consumer>`).',
  },
  SB_ERR_AUTH_JWT_INVALID: {
    status: 401,
    title: 'Invalid token',
    cause: 'The bearer JWT is malformed, uses an algorithm the route does not allow, has a bad signature, or names a key (`kid`) the issuer does not publish.',
    fix: 'Obtain a fresh token from the configured issuer; check the route’s `auth.jwt.algorithms` and key settings.',
  },
  SB_ERR_AUTH_JWT_EXPIRED: {
    status: 401,
    title: 'Token expired',
    cause: 'The bearer JWT’s `exp` is in the past (beyond the allowed clock skew).',
    fix: 'Obtain a fresh token; check the clocks of the issuer and the client.',
  },
  SB_ERR_AUTH_JWT_CLAIM: {
    status: 401,
    title: 'Token claim rejected',
    cause: 'A JWT claim check failed: wrong `iss` or `aud`, not yet valid (`nbf`/`iat` in the future), or a required claim (`exp`) is missing.',
    fix: 'Request the token for this gateway’s audience from the configured issuer; the detail names the claim.',
  },
  SB_ERR_AUTH_JWKS_UNAVAILABLE: {
    status: 503,
    title: 'Key set unavailable',
    cause: 'The JWKS endpoint could not be fetched (network error, timeout, non-200 answer or invalid JSON), so the token cannot be verified.',
    fix: 'Check `auth.jwt.jwksUrl` and that the identity provider is reachable from the gateway.',
  },
  SB_ERR_AUTH_WEBHOOK_SIGNATURE: {
    status: 401,
    title: 'Invalid webhook signature',
    cause: 'No signature on the webhook matches the body under any configured secret (modified body, wrong secret, or a re-serialised payload).',
    fix: 'Check the route’s `auth.webhook.secret` against the sender’s signing secret; the signature covers the exact raw body.',
  },
  SB_ERR_AUTH_WEBHOOK_TIMESTAMP: {
    status: 401,
    title: 'Webhook timestamp out of tolerance',
    cause: 'The signed webhook timestamp is older, or further in the future, than `auth.webhook.tolerance` allows (replay protection).',
    fix: 'Check the sender’s and the gateway’s clocks (NTP); resend the webhook rather than replaying an old one.',
  },
  SB_ERR_AUTH_WEBHOOK_MALFORMED: {
    status: 401,
    title: 'Malformed webhook signature headers',
    cause: 'Webhook signature headers are present but incomplete or unparseable (missing id or timestamp, bad signature encoding, unsupported algorithm).',
    fix: 'Send every header the scheme requires (e.g. `webhook-id`, `webhook-timestamp`, `webhook-signature`) in the documented format.',
  },
  SB_ERR_AUTH_FORBIDDEN_SCOPE: {
    status: 403,
    title: 'Missing scope',
    cause: 'The caller is authenticated but lacks a scope the route requires; the detail names it.',
    fix: 'Grant the scope to the consumer (`consumers.<name>.scopes`) or request a token that carries it.',
  },
  SB_ERR_AUTH_FORBIDDEN_CONSUMER: {
    status: 403,
    title: 'Consumer not allowed',
    cause: 'The caller is authenticated but its consumer is not in the route’s `consumers` list (or it maps to no consumer).',
    fix: 'Add the consumer to the route’s `consumers`, or call with a credential of an allowed consumer.',
  },
  SB_ERR_AUTH_IP_DENIED: {
    status: 403,
    title: 'Client address not allowed',
    cause: 'The client IP address is denied by, or not in, the route’s `ip` allow/deny lists.',
    fix: 'Call from an allowed network, or change the route’s `ip.allow` / `ip.deny` CIDRs.',
  },
  // events & flows
  SB_ERR_EVENT_INVALID: {
    status: 422,
    title: 'Event does not match its topic schema',
    cause: 'The event body failed validation against the JSON Schema of its topic; every violation is listed under `violations`. Nothing was stored.',
    fix: 'Correct the listed fields, or update the topic’s `schema` if the producer’s format changed on purpose.',
  },
  SB_ERR_EVENT_UNKNOWN_TOPIC: {
    status: 404,
    title: 'Unknown topic',
    cause: 'An event was published to a topic that is not declared under `topics:`.',
    fix: 'Declare the topic in the config, or publish to an existing one (`switchboard catalog` lists them).',
  },
  SB_ERR_EVENT_PUBLISHER_CLOSED: {
    status: 503,
    title: 'Publisher stopped',
    cause: 'The node is shutting down and no longer accepts events; nothing was stored.',
    fix: 'Retry against another node or after the restart; the event was not accepted.',
  },
  SB_ERR_FLOW_EXPRESSION: {
    status: 422,
    title: 'Flow expression failed',
    cause: 'A flow’s JSONata `filter` or `transform` failed for this event (a type error, an undefined function, too deep a recursion, too long a sequence). The delivery is dead-lettered at once (retrying would fail the same way).',
    fix: 'Fix the expression (the message quotes JSONata’s error and position), then replay the dead deliveries.',
  },
  SB_ERR_FLOW_EXPRESSION_TIMEOUT: {
    status: 503,
    title: 'Flow expression ran out of time',
    cause: 'A flow’s JSONata `filter` or `transform` ran past its time budget (250 ms of wall-clock time). Either the expression is too costly for this event, or the process was starved of CPU meanwhile; the delivery is retried on its schedule and dead-lettered only when its attempts run out.',
    fix: 'If it recurs for the same events, simplify the expression (or split the work across flows), then replay; if it comes in bursts, the node is overloaded: give it CPU or lower the worker’s concurrency.',
  },
  SB_ERR_FLOW_TARGET_PATH: {
    status: 422,
    title: 'Unsafe or missing path parameter',
    cause: 'A `{field}` placeholder of the flow’s target path is missing from the event, is not a scalar, or holds `/`, `\\`, a dot segment or a control character that could change the upstream path.',
    fix: 'Correct the producer’s data or the path template, then replay the dead deliveries.',
  },
  SB_ERR_FLOW_TARGET_STATUS: {
    status: 502,
    title: 'Target answered with an error status',
    cause: 'The flow’s target system answered a delivery with a non-2xx status. 408, 425, 429 and 5xx are retried; other statuses are dead-lettered (see the flow’s `retryOn`).',
    fix: 'Read the attempt’s status and response excerpt (`switchboard deliveries show ID`), fix the target or the transform, then replay.',
  },
  SB_ERR_FLOW_TARGET_GONE: {
    status: 410,
    title: 'Target is gone',
    cause: 'The flow’s target answered 410 Gone: the endpoint was removed. The delivery is dead-lettered and the flow target is flagged.',
    fix: 'Point the flow at the new endpoint (or remove the flow), then replay the dead deliveries.',
  },
  SB_ERR_FLOW_DELIVERY_STATE: {
    status: 409,
    title: 'Delivery is not in a state that allows this',
    cause: 'Replay and discard apply to dead deliveries only; the delivery is pending, in flight, delivered or discarded.',
    fix: 'List dead deliveries with `switchboard dlq list`; a delivery still being retried needs no replay.',
  },
  SB_ERR_FLOW_REPLAY_BUSY: {
    status: 429,
    title: 'A replay is already running',
    cause: 'A bulk DLQ replay was requested while another one is still running on this node. Replays are paced (`ratePerSecond`) so live traffic keeps flowing; two at once would double the pace.',
    fix: 'Wait for the running replay to finish (its request returns with the counts), then retry; or replay on another node.',
  },
  SB_ERR_FLOW_UNKNOWN: {
    status: 409,
    title: 'Flow no longer configured',
    cause: 'A delivery belongs to a flow that the running config no longer declares (it was removed or renamed after the event was accepted). The delivery is dead-lettered so it stays visible.',
    fix: 'Restore the flow (same id) and replay the dead deliveries, or discard them.',
  },
  // pollers
  SB_ERR_POLLER_STATUS: {
    status: 502,
    title: 'Poller request answered with an error status',
    cause: 'The system a poller reads answered its GET with a non-2xx status. Nothing was published and the cursor did not move; the poller backs off and tries again.',
    fix: 'Check the system (status, credentials, the `get` path and `query`); the poller’s state shows its last error and consecutive failures. A `Retry-After` answer is honoured.',
  },
  SB_ERR_POLLER_RESPONSE: {
    status: 502,
    title: 'Poller response cannot be used',
    cause: 'The body a poller read is not JSON or is too large, an item has no usable id (`itemId` gave no string or number), an item’s `key` is not a string or number, or the next cursor is too large. Nothing of that page was published and the cursor did not move.',
    fix: 'Fix the poller’s `itemId`, `publish.key` or `cursor` expression for the data the system really returns (the message names the item), or the system’s response.',
  },
  SB_ERR_POLLER_EXPRESSION: {
    status: 422,
    title: 'Poller expression failed',
    cause: 'A poller’s JSONata `items`, `itemId`, `cursor` or `publish.key` expression failed or ran past its time limit on the response. Nothing of that page was published and the cursor did not move.',
    fix: 'Fix the expression (the message quotes JSONata’s error and position); the next tick retries.',
  },
  SB_ERR_POLLER_LEASE_LOST: {
    status: 409,
    title: 'Poller tick lease lost',
    cause: 'A tick ran longer than its lease and another node took the poller over; this node’s page was rolled back (the other node publishes it, deduplicated by item id).',
    fix: 'Usually nothing: it resolves itself. If it recurs, the system is slower than the lease: lower `maxPages` or the system’s `timeout`.',
  },
  SB_ERR_POLLER_UNKNOWN: {
    status: 404,
    title: 'Unknown poller',
    cause: 'No poller with that id is configured (`pollers[].id`).',
    fix: 'Check the id against the config’s `pollers[].id`.',
  },
  SB_ERR_BUS_LEASE_LOST: {
    status: 409,
    title: 'Delivery lease lost',
    cause: 'A worker acknowledged a delivery whose lease had expired and was taken by another worker (it took longer than the lease). The other worker’s outcome wins.',
    fix: 'Usually harmless (targets deduplicate by Idempotency-Key). If frequent, raise the lease or lower the system timeout.',
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
  SB_ERR_SYSTEM_RATE_LIMITED: {
    status: 429,
    title: 'Outbound rate limit reached',
    cause: 'The call would exceed the system’s configured `rateLimit` (calls per second to that system).',
    fix: 'Retry after the Retry-After delay, or raise the system’s `rateLimit` if the system can take more.',
  },
  SB_ERR_SYSTEM_REQUEST_INVALID: {
    status: 500,
    title: 'Invalid outbound request',
    cause: 'Switchboard built an outbound request the HTTP client refused (a path not starting with "/", a header value with control characters, a body whose length does not match Content-Length).',
    fix: 'Check the route’s or flow’s target path and header templates; report it if the request came from a valid config.',
  },
  SB_ERR_SYSTEM_MOCK_NO_MATCH: {
    status: 404,
    title: 'No mock response',
    cause: 'A mock system received a request that none of its configured responses (or OpenAPI examples) match.',
    fix: 'Add a response for that method and path under the system’s `mock.responses`.',
  },
  // alerts
  SB_ERR_ALERT_NOTIFY_FAILED: {
    status: 502,
    title: 'Alert notification failed',
    cause: 'An alert evaluation produced notifications that could not be queued for delivery: the node’s event flows were not running yet (right after start), or a notification named a channel that is not configured. Nothing of the evaluation was saved.',
    fix: 'Nothing to do at start: the next evaluation queues them. Otherwise check `channels` against `alerts[].channels`. A channel that is down is not this error: its notifications wait in the queue (see `switchboard deliveries list --flow switchboard.alerts.<channel>`).',
  },
})

export type ErrorCode = keyof typeof ERROR_CODES
