/**
 * The options a Socket takes: `new Socket(opts)` and `socket.connect(opts)`, as node:net's
 * SocketConstructorOpts and SocketConnectOpts for TCP.
 */
import type { DuplexOptions } from 'node:stream';
import type { LookupFunction } from './lookup.js';
import type { OnRead } from './reads.js';

/** Options of `new Socket()`, as `net.Socket`'s: half-open behaviour and stream buffer sizes. */
export interface SocketOptions {
  allowHalfOpen?: boolean;
  /** both directions' stream highWaterMark (bytes), as stream.Duplex */
  highWaterMark?: number;
  /** aborting it destroys the socket with an AbortError (node:net passes it to stream.addAbortSignal) */
  signal?: AbortSignal;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

/** Options of `socket.connect()` / `net.connect()`, as Node's `net.SocketConnectOpts` for TCP. */
export interface SocketConnectOptions {
  port: number;
  host?: string;
  localAddress?: string;
  localPort?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  timeout?: number;
  family?: number;
  hints?: number;
  /** dns.lookup's signature; called for host names (not for IP addresses), with a 'lookup' event */
  lookup?: LookupFunction;
  /** RFC 8305 happy eyeballs over the looked-up addresses (Node 20 default: true) */
  autoSelectFamily?: boolean;
  autoSelectFamilyAttemptTimeout?: number;
  /** read into one buffer and hand it to a callback instead of 'data' events */
  onread?: OnRead;
}

/**
 * new Socket(opts)'s options for its stream.Duplex: undefined when only the defaults apply (most
 * sockets: no buffer sizes; the socket sets allowHalfOpen itself, which is all the stream does with
 * it), so the stream's states skip reading an options object. decodeStrings, emitClose and
 * autoDestroy are left at the stream's defaults (true).
 */
export function streamOptions(opts: SocketOptions): DuplexOptions | undefined {
  if (opts.highWaterMark === undefined && opts.readableHighWaterMark === undefined && opts.writableHighWaterMark === undefined) return undefined;
  const o: DuplexOptions = { allowHalfOpen: opts.allowHalfOpen ?? false };
  if (opts.highWaterMark !== undefined) o.highWaterMark = opts.highWaterMark;
  if (opts.readableHighWaterMark !== undefined) o.readableHighWaterMark = opts.readableHighWaterMark;
  if (opts.writableHighWaterMark !== undefined) o.writableHighWaterMark = opts.writableHighWaterMark;
  return o;
}
