/**
 * Socket: node:net's Socket over a synack connection, a stream.Duplex. Reads pull from the TCB only
 * as fast as the stream's consumer takes them, so an application that stops reading makes the
 * peer see the window close (backpressure through highWaterMark onto RCV.WND).
 */
import { Buffer } from '#platform/buffer';
import { Duplex } from '#platform/stream';
import { nextTick } from '../platform/defer.js';
import { makeError, sysError } from '../errors.js';
import type { Conn, ConnUser } from '../stack/conn.js';
import { ipFromText } from '../stack/ip-addr.js';
import type { Stack } from '../stack/stack.js';
import type { TcbErrorCode } from '../tcp/tcb.js';
import type { Clock } from '../time/clock.js';
import { IdleTimer } from './idle-timer.js';
import { lookupAndConnect, type Connector } from './happy-eyeballs.js';
import type { LookupFunction } from './lookup.js';
import { readChunk, readInto, type OnRead } from './reads.js';
import { FLAG_FEEDING, FLAG_ONREAD_PAUSED, FLAG_REFD, newExtra, type SocketExtra } from './socket-extra.js';

/** Options of `new Socket()`, as `net.Socket`'s: half-open behaviour and stream buffer sizes. */
export interface SocketOptions {
  allowHalfOpen?: boolean;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

export type { OnRead };

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

type Callback = (err?: Error | null) => void;


/**
 * A TCP connection with `net.Socket`'s API: a `stream.Duplex` whose backpressure maps onto the
 * receive window, with the same events, errors and properties as Node's.
 */
export class Socket extends Duplex implements ConnUser, Connector {
  readonly stack: Stack;
  /** the connection, once connect() or accept gave one */
  private conn: Conn | null = null;
  connecting = false;
  bytesRead = 0;
  private written = 0;
  private wantRead = false;
  private eofPushed = false;
  private pendingWrite: Callback | null = null;
  private queuedBeforeConnect: { chunk: Buffer; cb: Callback }[] | null = null;
  private finalBeforeConnect: Callback | null = null;
  private resetOnDestroy = false;
  /** setTimeout()'s idle timer, when one is set */
  private idle: IdleTimer | null = null;
  private noDelayWanted = false;
  private keepAliveWanted: [boolean, number | undefined] | null = null;
  private userTimeoutWanted = 0;
  /** the part of a write not yet taken into the send buffer (tcp_wmem), with its callback */
  private pendingChunk: Buffer | null = null;
  /** FLAG_* bits: one field for three flags, so an idle socket stays small */
  private flags = FLAG_REFD;
  /** what few sockets need, created on first use (see SocketExtra) */
  private extra: SocketExtra | null = null;
  /** the addresses tried with autoSelectFamily, as Node reports them */
  declare autoSelectFamilyAttemptedAddresses?: string[];

  constructor(stack: Stack, opts: SocketOptions = {}) {
    super({
      allowHalfOpen: opts.allowHalfOpen ?? false,
      ...(opts.readableHighWaterMark !== undefined ? { readableHighWaterMark: opts.readableHighWaterMark } : {}),
      ...(opts.writableHighWaterMark !== undefined ? { writableHighWaterMark: opts.writableHighWaterMark } : {}),
      decodeStrings: true,
      emitClose: true,
      autoDestroy: true,
    });
    this.stack = stack;
  }

  // ===================== flags and rarely used state =====================

  private flag(bit: number, on: boolean): void { this.flags = on ? this.flags | bit : this.flags & ~bit; }
  private more(): SocketExtra { return (this.extra ??= newExtra()); }
  private get attemptFailed(): ((err: Error) => void) | null { return this.extra?.attemptFailed ?? null; }
  private set attemptFailed(v: ((err: Error) => void) | null) { if (v || this.extra) this.more().attemptFailed = v; }
  private get onread(): OnRead | null { return this.extra?.onread ?? null; }

  get clock(): Clock {
    return this.stack.clock;
  }

  /** Attach an accepted connection (server side). */
  attach(conn: Conn): this {
    this.conn = conn;
    this.bind(conn);
    this.applyOptions();
    this.touchActivity();
    // data may already be waiting
    if (conn.tcb.readable > 0 || conn.tcb.rcvClosed) this.onReadable();
    return this;
  }

  // ===================== connect =====================

  /** Open the connection, as `net.Socket#connect(options | port[, host][, cb])`. */
  connect(options: SocketConnectOptions | number, host?: string | (() => void), cb?: () => void): this {
    let opts: SocketConnectOptions;
    if (typeof options === 'object' && options !== null) {
      opts = options;
      if (typeof host === 'function') cb = host;
    } else {
      opts = { port: options as number };
      if (typeof host === 'function') cb = host;
      else if (host !== undefined) opts.host = host;
    }
    opts = { ...opts, port: portFromString(opts.port) as number };
    validatePort(opts.port, 'Port');
    if (this.conn || this.connecting) {
      throw makeError('ERR_SOCKET_CONNECTION_IN_PROGRESS', 'Socket is already connected or connecting');
    }
    if (cb) this.once('connect', cb);
    if (opts.noDelay) this.noDelayWanted = true;
    if (opts.keepAlive) this.keepAliveWanted = [true, opts.keepAliveInitialDelay];
    if (opts.timeout) this.setTimeout(opts.timeout);
    if (opts.onread) this.more().onread = opts.onread;
    this.connecting = true;
    if (opts.localAddress !== undefined || opts.localPort !== undefined) this.more().bindTo = opts;
    // node:net: no host means localhost; a host name goes through `lookup` (happy-eyeballs.ts)
    const name = opts.host ?? 'localhost';
    if (ipFromText(name)) {
      const err = this.attempt(name, opts.port, 0, null);
      if (err) nextTick(() => this.destroy(err));
    } else {
      lookupAndConnect(this, name, opts.port, opts);
    }
    return this;
  }


  /**
   * @internal Start connecting to one address (Connector). 0.0.0.0 and :: mean this host, as on
   * Linux (the loopback address); port 0 is refused at once, as the kernel refuses it.
   */
  attempt(ipText: string, port: number, _family: number, failed: ((err: Error) => void) | null): Error | null {
    if (this.stack.whenIdle(() => {
      const err = this.attempt(ipText, port, _family, failed);
      if (err) (failed ?? ((e: Error) => this.destroy(e)))(err);
    })) return null;
    let remote = ipFromText(ipText)!;
    if (remote.text === '0.0.0.0') remote = ipFromText('127.0.0.1')!;
    else if (remote.text === '::') remote = ipFromText('::1')!;
    if (port === 0) return sysError('ECONNREFUSED', 'connect', remote.text);
    const o = this.extra?.bindTo ?? {};
    let conn: Conn;
    try {
      conn = this.stack.openConnection(remote, port, o.localAddress, o.localPort);
    } catch (err) {
      return err as Error;
    }
    this.attemptFailed = failed;
    this.conn = conn;
    this.bind(conn);
    this.applyOptions();
    return null;
  }

  /** @internal (Connector) the attempt in progress timed out: drop it without a word to the user */
  abandonAttempt(): void {
    const c = this.conn;
    if (!c) return;
    this.conn = null;
    c.user = null;
    c.refd = false;
    if (!c.gone) {
      c.tcb.abort(this.stack.clock.now());
      this.stack.settle(c);
    }
  }

  /** @internal (Connector) connecting failed for good */
  fail(err: Error): void {
    this.destroy(err);
  }

  /** Become the connection's user: notifications, and its share in keeping the process alive. */
  private bind(conn: Conn): void {
    conn.refd = (this.flags & FLAG_REFD) !== 0;
    conn.reading = this.wantRead;
    this.stack.attachUser(conn, this);
    this.stack.liveness.update(conn);
  }

  private applyOptions(): void {
    const t = this.conn!.tcb;
    if (this.noDelayWanted) t.noDelay = true;
    if (this.userTimeoutWanted) t.userTimeoutMs = this.userTimeoutWanted;
    if (this.keepAliveWanted) {
      t.setKeepAlive(this.keepAliveWanted[0], this.keepAliveWanted[1], this.stack.clock.now());
      this.stack.settle(this.conn!);
    }
  }

  // ===================== ConnUser: the stack tells us =====================

  /** @internal */
  onEstablished(): void {
    if (!this.connecting) return;
    this.connecting = false;
    this.attemptFailed = null;
    this.touchActivity();
    // writes made while connecting go in first, in order, ahead of any the 'connect' handler makes
    const queued = this.queuedBeforeConnect ?? [];
    this.queuedBeforeConnect = null;
    for (const { chunk, cb: done } of queued) this._write(chunk, 'latin1', done);
    this.emit('connect');
    this.emit('ready');
    if (this.finalBeforeConnect) {
      const done = this.finalBeforeConnect;
      this.finalBeforeConnect = null;
      this._final(done);
    }
    if (this.wantRead) this.pull();
    else if (!this.isPaused()) this.read(0); // node:net starts reading at once (afterConnect)
  }

  /** @internal */
  onReadable(): void {
    this.touchActivity();
    if (this.wantRead) this.pull();
  }

  /** @internal */
  onWritable(): void {
    const c = this.conn;
    if (this.pendingWrite && c && !c.gone && c.tcb.sendSpace > 0) this.feed(c);
  }

  /** @internal */
  onError(code: TcbErrorCode): void {
    const c = this.conn!;
    const syscall = this.connecting ? 'connect' : 'read';
    const err = sysError(code, syscall, c.remote.text, c.remotePort);
    const failed = this.attemptFailed;
    if (failed && this.connecting) {
      // one of several addresses failed: the next is tried (happy-eyeballs.ts)
      this.attemptFailed = null;
      this.conn = null;
      c.user = null;
      failed(err);
      return;
    }
    this.destroy(err);
  }

  onClosed(): void {
    if (this.conn) this.conn.user = null;
    const t = this.conn?.tcb;
    if (t && t.rcvClosed && t.readable > 0 && !this.destroyed) {
      // data that arrived before the peer's FIN stays readable after the close, as on a closed
      // kernel socket; pull() ends the stream once it has been read
      if (this.wantRead) this.pull();
    } else if (!this.eofPushed && !this.destroyed) {
      this.eofPushed = true;
      this.push(null);
      this.read(0); // 'end' even when nobody consumes the stream, as node:net's onStreamRead
    }
    const cb = this.pendingWrite;
    if (cb) {
      this.pendingWrite = null;
      this.pendingChunk = null;
      cb(sysError('EPIPE', 'write'));
    }
  }

  // ===================== stream.Duplex =====================

  /** @internal */
  override _read(): void {
    if (this.flags & FLAG_ONREAD_PAUSED) return;
    this.wantRead = true;
    this.pull();
  }

  /**
   * Hand over what the TCB holds as Node's reads do: each read up to 64 KiB (libuv's buffer), or
   * into the `onread` buffer; reading stops when the stream is full (push() false: the window closes).
   */
  private pull(): void {
    const c = this.conn;
    if (!c || this.connecting) return;
    if (this.stack.whenIdle(() => this.pull())) return;
    const tcb = c.tcb;
    const now = this.stack.clock.now();
    for (let guard = 0; guard < 1_000_000 && this.wantRead && tcb.readable > 0; guard++) {
      if (this.onread) {
        const n = readInto(tcb, this.onread, now);
        this.bytesRead += n.bytes;
        if (n.stop) this.setOnreadPaused(true);
        continue;
      }
      const chunk = readChunk(tcb, now);
      this.bytesRead += chunk.length;
      if (!this.push(chunk)) this.wantRead = false;
    }
    if (tcb.rcvClosed && tcb.readable === 0 && !this.eofPushed) {
      this.eofPushed = true;
      this.wantRead = false;
      this.push(null);
      this.read(0); // 'end' even when nobody consumes the stream, as node:net's onStreamRead
    }
    if (this.conn === c) c.reading = this.wantRead;
    this.stack.settle(c);
  }


  /** With `onread`, pause()/resume() stop and restart reading (Node's readStop/readStart). */
  private setOnreadPaused(paused: boolean): void {
    this.flag(FLAG_ONREAD_PAUSED, paused);
    this.wantRead = !paused;
    const c = this.conn;
    if (!c) return;
    c.reading = !paused;
    if (paused) this.stack.settle(c);
    else this.pull();
  }

  override pause(): this {
    if (this.onread && !this.connecting) this.setOnreadPaused(true);
    return super.pause();
  }

  override resume(): this {
    if (this.onread && this.flags & FLAG_ONREAD_PAUSED) this.setOnreadPaused(false);
    return super.resume();
  }

  /** @internal */
  override _write(chunk: Buffer, enc: BufferEncoding, cb: Callback): void {
    const c = this.conn;
    if (!c || this.connecting) {
      // before connect(), while a name is looked up or an address tried: sent once connected, so
      // an attempt given up (happy eyeballs) takes no data with it
      (this.queuedBeforeConnect ??= []).push({ chunk, cb });
      return;
    }
    if (this.stack.whenIdle(() => this._write(chunk, enc, cb))) return;
    const tcb = c.tcb;
    if (c.gone || !tcb.canSend) return cb(sysError('EPIPE', 'write', c.remote.text, c.remotePort));
    this.pendingChunk = chunk;
    this.pendingWrite = cb;
    this.feed(c);
  }

  /**
   * Move the pending write into the send buffer as far as it has room (tcp_wmem), as the kernel
   * takes a large write() a piece at a time: the rest waits for ACKs to free space, and the
   * callback (so the next write) runs only once all of it is in.
   */
  private feed(c: Conn): void {
    if (this.flags & FLAG_FEEDING) return; // an ACK delivered while feeding: the loop below takes the room
    this.flag(FLAG_FEEDING, true);
    const tcb = c.tcb;
    try {
      for (let guard = 0; guard < 1_000_000 && this.pendingChunk !== null && !c.gone; guard++) {
        const chunk = this.pendingChunk;
        const room = tcb.sendSpace;
        if (room === 0 && chunk.length > 0) break;
        const take = chunk.length <= room ? chunk : chunk.subarray(0, room);
        this.pendingChunk = take === chunk ? null : chunk.subarray(room);
        // the last write of end(data): hold it for _final, which follows at once, so the data and
        // the FIN leave in one segment (unless the send buffer is full: then send now, or deadlock)
        const hold = this.endCalled && this.pendingChunk === null && tcb.sendSpace > take.length;
        tcb.send(take, this.stack.clock.now(), hold);
        this.written += take.length;
        this.touchActivity();
        this.stack.settle(c);
      }
    } finally {
      this.flag(FLAG_FEEDING, false);
    }
    const cb = this.pendingWrite;
    if (cb && this.pendingChunk === null && tcb.sendSpace > 0) {
      this.pendingWrite = null;
      cb();
    }
  }


  private endCalled = false;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override end(...args: any[]): this {
    this.endCalled = true;
    return super.end(...(args as Parameters<Duplex['end']>));
  }

  /** @internal */
  override _final(cb: Callback): void {
    const c = this.conn;
    if (c && this.stack.whenIdle(() => this._final(cb))) return;
    if (!c || this.connecting) {
      // end() before the handshake completes: the FIN follows it (node:net waits for 'connect' too)
      this.finalBeforeConnect = cb;
      return;
    }
    if (!c.gone) {
      c.tcb.close(this.stack.clock.now());
      this.stack.settle(c);
    }
    cb();
  }

  /** @internal */
  override _destroy(err: Error | null, cb: Callback): void {
    const c = this.conn;
    this.idle?.stop();
    this.connecting = false;
    this.attemptFailed = null;
    // the buffers behind a destroyed socket go, even while the application holds the object
    this.pendingChunk = null;
    this.queuedBeforeConnect = null;
    if (c) {
      this.more().ends = { local: c.local, localPort: c.localPort, remote: c.remote, remotePort: c.remotePort };
      this.conn = null;
      c.user = null;
      c.reading = false;
    }
    if (c && !c.gone) {
      const close = (): void => {
        const now = this.stack.clock.now();
        if (this.resetOnDestroy) c.tcb.abort(now);
        else c.tcb.release(now); // the kernel's close(): FIN, or RST if unread data remains
        this.stack.settle(c);
      };
      if (!this.stack.whenIdle(close)) close();
    }
    cb(err);
  }

  // ===================== node:net API =====================

  /** End the writable side, then destroy once everything is flushed (node:http calls this). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Close with a RST at once (SO_LINGER 0), no TIME_WAIT. */
  resetAndDestroy(): this {
    this.resetOnDestroy = true;
    this.destroy();
    return this;
  }

  /** Turn Nagle's algorithm off (true, the default) or on, as `net.Socket#setNoDelay`. */
  setNoDelay(noDelay = true): this {
    if (this.stack.whenIdle(() => this.setNoDelay(noDelay))) return this;
    this.noDelayWanted = noDelay;
    if (this.conn) this.conn.tcb.noDelay = noDelay;
    if (noDelay && this.conn && !this.conn.gone) {
      this.conn.tcb.send(new Uint8Array(0), this.stack.clock.now());
      this.stack.settle(this.conn);
    }
    return this;
  }

  /** Enable keepalive probes after `initialDelay` ms idle (tcp_keepalive_time when 0), as `net.Socket#setKeepAlive`. */
  setKeepAlive(enable = false, initialDelay?: number): this {
    this.keepAliveWanted = [enable, initialDelay && initialDelay > 0 ? initialDelay : undefined];
    if (this.conn && !this.conn.gone && !this.stack.whenIdle(() => this.setKeepAlive(enable, initialDelay))) this.applyOptions();
    return this;
  }

  /** TCP_USER_TIMEOUT: give up when sent data stays unacknowledged this long (ms, 0 = off). */
  setUserTimeout(ms: number): this {
    if (!Number.isInteger(ms) || ms < 0) throw makeError('ERR_OUT_OF_RANGE', `user timeout must be an integer >= 0 (got ${ms})`);
    this.userTimeoutWanted = ms; // kept for a connection that does not exist yet
    if (this.conn) this.conn.tcb.userTimeoutMs = ms;
    return this;
  }

  /** Emit 'timeout' after `ms` of inactivity (the connection stays open, as in node:net). */
  setTimeout(ms: number, cb?: () => void): this {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw makeError('ERR_OUT_OF_RANGE', `The value of "msecs" is out of range. It must be a non-negative finite number. Received ${ms}`);
    }
    if (cb) this.once('timeout', cb);
    this.idle?.stop();
    this.idle = ms > 0 ? new IdleTimer(this.stack.clock, ms, () => !this.destroyed && this.emit('timeout')) : null;
    return this;
  }

  get timeout(): number | undefined {
    return this.idle?.ms;
  }

  /** Only an idle timeout (setTimeout) needs to know when the socket was last active. */
  private touchActivity(): void {
    if (this.idle && !this.destroyed) this.idle.touch();
  }

  /** The local address, family and port (`{}` before connecting), as `net.Socket#address`. */
  address(): { address: string; family: string; port: number } | Record<string, never> {
    const c = this.conn ?? this.extra?.ends;
    if (!c) return {};
    return { address: c.local.text, family: c.local.version === 4 ? 'IPv4' : 'IPv6', port: c.localPort };
  }

  get remoteAddress(): string | undefined {
    return (this.conn ?? this.extra?.ends)?.remote.text;
  }
  get remotePort(): number | undefined {
    return (this.conn ?? this.extra?.ends)?.remotePort;
  }
  get remoteFamily(): string | undefined {
    const c = this.conn ?? this.extra?.ends;
    return c ? (c.remote.version === 4 ? 'IPv4' : 'IPv6') : undefined;
  }
  get localAddress(): string | undefined {
    return (this.conn ?? this.extra?.ends)?.local.text;
  }
  get localPort(): number | undefined {
    return (this.conn ?? this.extra?.ends)?.localPort;
  }
  get localFamily(): string | undefined {
    const c = this.conn ?? this.extra?.ends;
    return c ? (c.local.version === 4 ? 'IPv4' : 'IPv6') : undefined;
  }
  get bytesWritten(): number {
    return this.written;
  }
  get pending(): boolean {
    return !this.conn || this.connecting;
  }
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }
  /** The TCP state of the connection behind this socket (CLOSED once released). */
  get tcpState(): string {
    return this.conn && !this.conn.gone ? this.conn.tcb.state : 'CLOSED';
  }

  /** Let this socket keep the process alive (the default), as `net.Socket#ref`. */
  ref(): this {
    return this.setRef(true);
  }
  /** Let the process exit while this socket is open, as `net.Socket#unref`. */
  unref(): this {
    return this.setRef(false);
  }

  private setRef(refd: boolean): this {
    this.flag(FLAG_REFD, refd);
    const c = this.conn;
    if (c && !c.gone) {
      c.refd = refd;
      this.stack.liveness.update(c);
    }
    return this;
  }
}

export function validatePort(port: unknown, name: string): asserts port is number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    const received = typeof port === 'string' ? `type string ('${port}')` : `type ${typeof port} (${String(port)})`;
    throw makeError('ERR_SOCKET_BAD_PORT', `${name} should be >= 0 and < 65536. Received ${received}.`);
  }
}

/** node:net takes a port as a number or its decimal text ('8080', as from process.env.PORT). */
export function portFromString(port: unknown): unknown {
  if (typeof port !== 'string' || port.trim() === '') return port;
  const n = Number(port);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : port;
}
