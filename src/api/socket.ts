/**
 * Socket: node:net's Socket over a synack connection, a stream.Duplex. Reads pull from the TCB only
 * as fast as the stream's consumer takes them, so an application that stops reading makes the
 * peer see the window close (backpressure through highWaterMark onto RCV.WND).
 */
import { Duplex } from 'node:stream';
import { makeError, sysError, type SynackError } from '../errors.js';
import type { Conn, ConnUser } from '../stack/conn.js';
import { ipFromText } from '../stack/ip-addr.js';
import type { Stack } from '../stack/stack.js';
import type { TcbErrorCode } from '../tcp/tcb.js';
import type { TimerHandle } from '../time/clock.js';

/** Options of `new Socket()`, as `net.Socket`'s: half-open behaviour and stream buffer sizes. */
export interface SocketOptions {
  allowHalfOpen?: boolean;
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
}

type Callback = (err?: Error | null) => void;

/**
 * A TCP connection with `net.Socket`'s API: a `stream.Duplex` whose backpressure maps onto the
 * receive window, with the same events, errors and properties as Node's.
 */
export class Socket extends Duplex implements ConnUser {
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
  private idleMs = 0;
  private idleTimer: TimerHandle | null = null;
  private lastActivity = 0;
  private noDelayWanted = false;
  private keepAliveWanted: [boolean, number | undefined] | null = null;
  private userTimeoutWanted = 0;

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

  /** Attach an accepted connection (server side). */
  attach(conn: Conn): this {
    this.conn = conn;
    conn.user = this;
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
    const hostText = opts.host ?? this.stack.addresses[0]!.text;
    const remote = ipFromText(hostText);
    this.connecting = true;
    if (!remote) {
      // synack resolves no names: report it the way a failed lookup is reported
      const err = makeError('ENOTFOUND', `getaddrinfo ENOTFOUND ${hostText} (synack connects to IP addresses only)`, {
        syscall: 'getaddrinfo',
        hostname: hostText,
      } as Partial<SynackError>);
      process.nextTick(() => this.destroy(err));
      return this;
    }
    try {
      this.conn = this.stack.openConnection(remote, opts.port, opts.localAddress, opts.localPort);
    } catch (err) {
      process.nextTick(() => this.destroy(err as Error));
      return this;
    }
    this.conn.user = this;
    this.applyOptions();
    const queued = this.queuedBeforeConnect ?? [];
    this.queuedBeforeConnect = null;
    for (const { chunk, cb: done } of queued) this._write(chunk, 'latin1', done);
    return this;
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
    this.touchActivity();
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
    const cb = this.pendingWrite;
    if (cb && this.conn && this.conn.tcb.sendSpace > 0) {
      this.pendingWrite = null;
      cb();
    }
  }

  /** @internal */
  onError(code: TcbErrorCode): void {
    const c = this.conn!;
    const syscall = this.connecting ? 'connect' : 'read';
    this.destroy(sysError(code, syscall, c.remote.text, c.remotePort));
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
      cb(sysError('EPIPE', 'write'));
    }
  }

  // ===================== stream.Duplex =====================

  /** @internal */
  override _read(): void {
    this.wantRead = true;
    this.pull();
  }

  private pull(): void {
    const c = this.conn;
    if (!c || this.connecting) return;
    const tcb = c.tcb;
    const now = this.stack.clock.now();
    while (this.wantRead && tcb.readable > 0) {
      const chunks = tcb.receive(this.readableHighWaterMark, now);
      for (const chunk of chunks) {
        this.bytesRead += chunk.length;
        if (!this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))) this.wantRead = false;
      }
    }
    if (tcb.rcvClosed && tcb.readable === 0 && !this.eofPushed) {
      this.eofPushed = true;
      this.push(null);
      this.read(0); // 'end' even when nobody consumes the stream, as node:net's onStreamRead
    }
    this.stack.settle(c);
  }

  /** @internal */
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: Callback): void {
    const c = this.conn;
    if (!c) {
      if (this.connecting) return cb(sysError('EPIPE', 'write'));
      (this.queuedBeforeConnect ??= []).push({ chunk, cb });
      return;
    }
    const tcb = c.tcb;
    if (c.gone || !tcb.canSend) return cb(sysError('EPIPE', 'write', c.remote.text, c.remotePort));
    // the last write of end(data): hold it for _final, which follows at once, so the data and
    // the FIN leave in one segment (unless the send buffer is full: then send now, or deadlock)
    const hold = this.endCalled && tcb.sendSpace > chunk.length;
    tcb.send(chunk, this.stack.clock.now(), hold);
    this.written += chunk.length;
    this.touchActivity();
    this.stack.settle(c);
    if (tcb.sendSpace > 0) cb();
    else this.pendingWrite = cb;
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
    this.clearIdle();
    if (c && !c.gone) {
      c.user = null;
      const now = this.stack.clock.now();
      if (this.resetOnDestroy) c.tcb.abort(now);
      else c.tcb.release(now); // the kernel's close(): FIN, or RST if unread data remains
      this.stack.settle(c);
    }
    this.connecting = false;
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
    if (this.conn && !this.conn.gone) this.applyOptions();
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
    this.idleMs = ms;
    this.clearIdle();
    if (ms > 0) {
      this.lastActivity = this.stack.clock.now();
      this.armIdle();
    }
    return this;
  }

  get timeout(): number | undefined {
    return this.idleMs || undefined;
  }

  /** Only an idle timeout (setTimeout) needs to know when the socket was last active. */
  private touchActivity(): void {
    if (this.idleMs > 0) this.lastActivity = this.stack.clock.now();
  }

  private armIdle(): void {
    this.idleTimer = this.stack.clock.schedule(this.lastActivity + this.idleMs, () => {
      this.idleTimer = null;
      if (this.destroyed || this.idleMs === 0) return;
      const now = this.stack.clock.now();
      if (now - this.lastActivity >= this.idleMs) {
        this.lastActivity = now;
        this.emit('timeout');
      }
      this.armIdle();
    });
  }

  private clearIdle(): void {
    if (this.idleTimer) this.stack.clock.cancel(this.idleTimer);
    this.idleTimer = null;
  }

  /** The local address, family and port (`{}` before connecting), as `net.Socket#address`. */
  address(): { address: string; family: string; port: number } | Record<string, never> {
    const c = this.conn;
    if (!c) return {};
    return { address: c.local.text, family: c.local.version === 4 ? 'IPv4' : 'IPv6', port: c.localPort };
  }

  get remoteAddress(): string | undefined {
    return this.conn?.remote.text;
  }
  get remotePort(): number | undefined {
    return this.conn?.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.conn ? (this.conn.remote.version === 4 ? 'IPv4' : 'IPv6') : undefined;
  }
  get localAddress(): string | undefined {
    return this.conn?.local.text;
  }
  get localPort(): number | undefined {
    return this.conn?.localPort;
  }
  get localFamily(): string | undefined {
    return this.conn ? (this.conn.local.version === 4 ? 'IPv4' : 'IPv6') : undefined;
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
    return this;
  }
  /** Let the process exit while this socket is open, as `net.Socket#unref`. */
  unref(): this {
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
