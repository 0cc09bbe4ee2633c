/**
 * Answers for requests no route handles: no route matched (404), the path matched but not the
 * method (405), a versioned endpoint could not pick a version (400), or the router or the
 * framework refused the URL. They count under the `(none)` route.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { NO_ROUTE, publishRequest, startTimer } from './diagnostics.js'
import { writeProblem } from './problem.js'
import { requestIdFor } from './request-id.js'

/** Answers `err` as a problem, with `headers` (Allow, Vary…) besides the request id. */
export function refuse(req: IncomingMessage, res: ServerResponse, err: unknown, headers?: OutgoingHttpHeaders): void {
  const startedAt = startTimer()
  const requestId = requestIdFor(req.headers['x-request-id'])
  const answered = writeProblem(res, err, { ...headers, 'x-request-id': requestId }, requestId)
  publishRequest(NO_ROUTE, req.method ?? '', answered.status, 'anonymous', startedAt, answered.code)
}
