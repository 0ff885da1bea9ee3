/**
 * `connect(address, options)` of the WinterTC Sockets API (the `connect()` of Cloudflare Workers)
 * over one synack stack: `stack.connect("10.0.0.2:80")` or `stack.connect({ hostname, port })`.
 */
import type { SynackError } from '../errors.js';
import type { Stack } from '../stack/stack.js';
import { parseAddress, type SocketAddress } from './address.js';
import { argumentError, notSupported, webError } from './errors.js';
import { StreamSocket, type StreamSocketOptions } from './socket.js';

/** connect()'s options (the WinterTC Sockets API's SocketOptions, plus local binding). */
export interface SocketOptions extends StreamSocketOptions {
  /** 'off' (the default) is plain TCP; synack has no TLS, so 'on' and 'starttls' are refused. */
  secureTransport?: 'off' | 'on' | 'starttls';
  /** Local address to connect from (default: the stack's address of the right family). */
  localAddress?: string;
  /** Local port (default: an ephemeral port). */
  localPort?: number;
}

/**
 * Open a TCP connection over `stack` to `address` ("host:port", "[v6]:port" or { hostname, port }):
 * a StreamSocket at once, whose `opened` settles with the handshake. Bad arguments throw TypeError
 * (with a Node-style `code`); `secureTransport` other than 'off' throws NotSupportedError.
 */
export function connect(stack: Stack, address: string | SocketAddress, options: SocketOptions = {}): StreamSocket {
  const { host, port } = parseAddress(address);
  const secure = options.secureTransport ?? 'off';
  if (secure !== 'off') {
    if (secure === 'on' || secure === 'starttls') {
      throw notSupported(`secureTransport "${secure}" is not supported: synack has no TLS (use 'off', or run TLS over the socket's streams)`, 'ERR_TLS_UNSUPPORTED');
    }
    throw argumentError(`secureTransport must be 'off', 'on' or 'starttls' (got ${String(secure)})`);
  }
  if (options.allowHalfOpen !== undefined && typeof options.allowHalfOpen !== 'boolean') {
    throw argumentError(`allowHalfOpen must be a boolean (got ${typeof options.allowHalfOpen})`, 'ERR_INVALID_ARG_TYPE');
  }
  let conn;
  try {
    conn = stack.openConnection(host, port, options.localAddress, options.localPort);
  } catch (err) {
    // no local address or port for it (EADDRINUSE, EADDRNOTAVAIL): nothing was sent
    throw webError('NetworkError', err as SynackError);
  }
  return new StreamSocket(stack, conn, options);
}
