/**
 * Errors of the web-standard sockets API: a DOMException with the name the specs use (WinterTC
 * Sockets, WICG Direct Sockets: "NetworkError" for a connection that fails, "NotSupportedError",
 * "InvalidStateError"), carrying the Node-style `code` (ECONNREFUSED, ...) that synack's other
 * layers use, so either kind of handler can tell what happened.
 */
import { makeError, sysError, type SynackError } from '../errors.js';

/** The DOMException names the sockets API uses. */
export type WebErrorName = 'NetworkError' | 'NotSupportedError' | 'InvalidStateError' | 'AbortError';

/** An error of the sockets API: a DOMException with a Node-style `code`. */
export interface WebSocketError extends Error {
  readonly name: WebErrorName;
  readonly code: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
}

type DomExceptionCtor = new (message: string, name: string) => Error;

/** A DOMException named `name` whose `code` is the Node-style code of `from` (or `code`). */
export function webError(name: WebErrorName, from: SynackError): WebSocketError {
  const Ctor = (globalThis as { DOMException?: DomExceptionCtor }).DOMException;
  const err: Error = Ctor ? new Ctor(from.message, name) : Object.assign(new Error(from.message), { name });
  // DOMException's own `code` is a legacy number on its prototype; the own property shadows it
  Object.defineProperty(err, 'code', { value: from.code, enumerable: true, configurable: true, writable: true });
  for (const key of ['errno', 'syscall', 'address', 'port'] as const) {
    if (from[key] !== undefined) Object.defineProperty(err, key, { value: from[key], enumerable: true, configurable: true, writable: true });
  }
  return err as WebSocketError;
}

/** A connection-level failure (refused, reset, timed out, unreachable): a NetworkError. */
export function networkError(code: string, syscall: string, address?: string, port?: number): WebSocketError {
  return webError('NetworkError', sysError(code, syscall, address, port));
}

/** A bad argument: a TypeError (as the specs throw) with a Node-style code. */
export function argumentError(message: string, code = 'ERR_INVALID_ARG_VALUE'): TypeError & { code: string } {
  const err = new TypeError(message) as TypeError & { code: string };
  err.code = code;
  return err;
}

export function notSupported(message: string, code: string): WebSocketError {
  return webError('NotSupportedError', makeError(code, message));
}

export function invalidState(message: string, code: string): WebSocketError {
  return webError('InvalidStateError', makeError(code, message));
}
