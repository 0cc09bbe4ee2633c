/** Binding a server's port, with a clear error when it is taken. */
import type { FastifyInstance } from 'fastify'
import { SwitchboardError } from '../core/errors.js'

/** Listens and returns the URL clients should use (`0.0.0.0`/`::` → loopback). */
export async function listenOn(app: FastifyInstance, what: string, host: string, port: number): Promise<string> {
  try {
    await app.listen({ host, port })
  } catch (err) {
    const code = (err as { code?: string }).code
    const reason = code === 'EADDRINUSE' ? 'the port is already in use' : code === 'EACCES' ? 'permission denied' : (err as Error).message
    throw new SwitchboardError('SB_ERR_HTTP_LISTEN_FAILED', `${what} cannot listen on ${host}:${port}: ${reason}`, { cause: err })
  }
  const address = app.server.address()
  return urlFor(host, typeof address === 'object' && address !== null ? address.port : port)
}

/** The URL a client on this machine uses to reach `host:port` (wildcard hosts → loopback). */
export function urlFor(host: string, port: number): string {
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host
  return `http://${shownHost}:${port}`
}

export { closeGracefully as closeWithin } from '../core/http-limits.js'
