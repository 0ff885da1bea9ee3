/**
 * What Socket#connect does (socket.ts): the options applied to the socket, then one attempt to an
 * IP address or, for a host name, the lookup and happy eyeballs (happy-eyeballs.ts); and connect(2)
 * on a socket that already has a connection, answered as Linux answers it. The socket keeps the
 * attempt's state (the members marked internal there); connect-attempt.ts opens the connection.
 */
import { nextTick } from '../platform/defer.js';
import { sysError } from '../errors.js';
import { ipFromText } from '../stack/ip-addr.js';
import type { Conn } from '../stack/conn.js';
import type { TcbErrorCode } from '../tcp/tcb.js';
import { connectArgs, dropAttempt, openAttempt } from './connect-attempt.js';
import { lookupAndConnect } from './happy-eyeballs.js';
import type { Socket } from './socket.js';
import { SocketTuning } from './socket-tuning.js';
import { ipFamily } from './validate.js';

/** connect(options[, cb]) or connect(port[, host][, cb]), checked as node:net checks them (validate.ts). */
export function connectSocket(s: Socket, args: readonly unknown[]): void {
  const { opts, cb } = connectArgs(args);
  if (s.destroyed) s.reinitialize(); // node:net lets a closed Socket connect again
  // a socket that is connecting or connected goes on too: connect(2) on it decides (attemptAgain)
  if (cb) s.once('connect', cb);
  if (opts.noDelay) (s.tuning ??= new SocketTuning()).noDelay = true;
  if (opts.keepAlive) (s.tuning ??= new SocketTuning()).keepAlive = [true, opts.keepAliveInitialDelay];
  if (opts.timeout) s.setTimeout(opts.timeout);
  if (opts.onread) s.onread = opts.onread;
  s.connecting = true;
  s.connectOpts = opts;
  // node:net: no host means localhost; a host name goes through `lookup` (happy-eyeballs.ts)
  const name = opts.host ?? 'localhost';
  if (ipFromText(name)) {
    const err = s.attempt(name, opts.port, 0, null);
    if (err) nextTick(() => s.destroy(err));
  } else {
    lookupAndConnect(s, name, opts.port, opts);
  }
}

/**
 * Start connecting `s` to one address (Socket#attempt, for happy eyeballs' Connector): an error
 * when it fails at once. 0.0.0.0 and :: mean this host, as on Linux (the loopback address); port 0
 * is refused at once, as the kernel refuses it.
 */
export function attemptConnect(s: Socket, ipText: string, port: number, family: number, failed: ((err: Error) => void) | null): Error | null {
  const stack = s.stack;
  if (stack.busy && stack.whenIdle(() => {
    const err = attemptConnect(s, ipText, port, family, failed);
    if (err) (failed ?? ((e: Error) => s.destroy(e)))(err);
  })) return null;
  if (s.conn) return attemptAgain(s, ipText, port);
  // a single attempt (no happy eyeballs) is announced as node:net's internalConnect does, which
  // runs a tick after connect(); anything the attempt reports waits for the announcement
  if (failed === null) {
    const announce = (): void => {
      if (s.announceAttempt !== announce) return;
      s.announceAttempt = null;
      s.emit('connectionAttempt', ipText, port, ipFamily(ipText));
    };
    s.announceAttempt = announce;
    nextTick(announce);
  }
  const conn = openAttempt(stack, ipText, port, s.connectOpts ?? {});
  if (conn instanceof Error) return conn;
  s.attemptFailed = failed;
  s.conn = conn;
  s.bind(conn);
  s.tuning?.apply(stack, conn);
  return null;
}

/**
 * Linux's answer to connect(2) on a socket that already has a connection, which node:net passes
 * on: EALREADY while the handshake runs; once established, the first call returns 0 (a
 * non-blocking connect leaves the socket SS_CONNECTING, and this call completes it, whatever the
 * address: net/ipv4/af_inet.c __inet_stream_connect), so Node emits 'connect' again; after
 * that, EISCONN. An accepted socket is connected from the start. The failures name the socket's
 * own end as Node does (` - Local (10.0.0.1:49152)`) and destroy it.
 */
function attemptAgain(s: Socket, ipText: string, port: number): Error | null {
  const c = s.conn!;
  nextTick(() => s.emit('connectionAttempt', ipText, port, ipFamily(ipText)));
  const local = `${c.local.text}:${c.localPort}`;
  if (c.tcb.state === 'SYN_SENT' || c.tcb.state === 'SYN_RCVD') return sysError('EALREADY', 'connect', ipText, port, local);
  if (s.connectCompleted) return sysError('EISCONN', 'connect', ipText, port, local);
  s.connectCompleted = true;
  s.stack.clock.defer(() => {
    if (s.destroyed || !s.connecting) return;
    s.connecting = false;
    s.emit('connect');
    s.emit('ready');
    if (s.wantRead) s.pull();
    else if (!s.isPaused()) s.read(0);
  });
  return null;
}

/**
 * The connection of an attempt failed (Socket#onError while connecting). Connect errors name the
 * peer (`connect ECONNREFUSED 10.0.0.2:80`). With happy eyeballs the next address is tried;
 * otherwise the attempt is announced if it was not yet, its failure reported, and the socket destroyed.
 */
export function attemptFailed(s: Socket, c: Conn, code: TcbErrorCode): void {
  const err = sysError(code, 'connect', c.remote.text, c.remotePort);
  const failed = s.attemptFailed;
  if (failed) {
    // one of several addresses failed: the next is tried (happy-eyeballs.ts)
    s.attemptFailed = null;
    s.conn = null;
    c.user = null;
    failed(err);
    return;
  }
  s.announceAttempt?.();
  s.emit('connectionAttemptFailed', c.remote.text, c.remotePort, c.remote.version, err);
  s.destroy(err);
}

/** The attempt in progress timed out (happy eyeballs): its connection goes without a word to the user. */
export function abandonAttempt(s: Socket): void {
  const c = s.conn;
  if (!c) return;
  s.conn = null;
  dropAttempt(s.stack, c);
}
