/**
 * The connect path's checks and the opening of one attempt: connect()'s arguments read and checked
 * as node:net reads them (validate.ts), and one address turned into a connection the way Linux's
 * connect() treats it. The socket keeps the attempt's state and events (socket.ts), happy eyeballs
 * the choice between addresses (happy-eyeballs.ts).
 */
import { sysError } from '../errors.js';
import type { Conn } from '../stack/conn.js';
import { ipFromText } from '../stack/ip-addr.js';
import type { Stack } from '../stack/stack.js';
import type { SocketConnectOptions } from './socket-options.js';
import { normalizeArgs, validateConnectOptions, validatePort } from './validate.js';

/** connect(options[, cb]) or connect(port[, host][, cb]) as options and listener, checked as node:net checks them. */
export function connectArgs(args: readonly unknown[]): { opts: SocketConnectOptions; cb: (() => void) | null } {
  const { options: raw, cb } = normalizeArgs(args);
  const made = raw === madeOptions;
  madeOptions = null;
  validateConnectOptions(raw);
  const port = validatePort(raw.port);
  // the application's object is copied (connect() keeps the options and must not change them);
  // the one net.connect() made from (port, host) is nobody else's, and takes the checked port in place
  if (made) {
    raw.port = port;
    return { opts: raw as unknown as SocketConnectOptions, cb: cb as (() => void) | null };
  }
  return { opts: { ...(raw as unknown as SocketConnectOptions), port }, cb: cb as (() => void) | null };
}

/** the options object net.connect() made itself (normalizeArgs of `(port[, host])`), until connect() reads it */
let madeOptions: object | null = null;

/** net.connect(): the options it hands to socket.connect() are its own, made from the arguments (not the application's). */
export function optionsMadeByConnect(options: object): void {
  madeOptions = options;
}

/**
 * Open a connection to one address, or the error connect() gets at once. 0.0.0.0 and :: mean this
 * host, as on Linux (the loopback address); port 0 is refused, as the kernel refuses it.
 */
export function openAttempt(stack: Stack, ipText: string, port: number, o: Pick<SocketConnectOptions, 'localAddress' | 'localPort'>): Conn | Error {
  let remote = ipFromText(ipText)!;
  if (remote.text === '0.0.0.0') remote = ipFromText('127.0.0.1')!;
  else if (remote.text === '::') remote = ipFromText('::1')!;
  if (port === 0) return sysError('ECONNREFUSED', 'connect', remote.text);
  try {
    return stack.openConnection(remote, port, o.localAddress, o.localPort);
  } catch (err) {
    return err as Error;
  }
}

/** Drop an attempt whose time ran out (happy eyeballs): the connection goes without a word to the user. */
export function dropAttempt(stack: Stack, c: Conn): void {
  c.user = null;
  c.refd = false;
  if (!c.gone) {
    c.tcb.abort(stack.clock.now());
    stack.settle(c);
  }
}
