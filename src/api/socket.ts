/**
 * Socket: node:net's Socket over a synack connection, a stream.Duplex. Reads pull from the TCB only
 * as fast as the stream's consumer takes them, so an application that stops reading makes the
 * peer see the window close (backpressure through highWaterMark onto RCV.WND).
 */
import { Duplex, addAbortSignal } from 'node:stream';
import { endedByPeer, makeError, nodeError, sysError, type SynackError } from '../errors.js';
import type { Server } from './server.js';
import { normalizeArgs, validateConnectOptions, validateFunction, validatePort, validateSocketOptions, validateTimerDuration } from './validate.js';
import type { Conn, ConnUser } from '../stack/conn.js';
import { ipFromText } from '../stack/ip-addr.js';
import type { Stack } from '../stack/stack.js';
import type { TcbErrorCode } from '../tcp/tcb.js';
import type { TimerHandle } from '../time/clock.js';

export interface SocketOptions {
  allowHalfOpen?: boolean;
  /** both directions' stream highWaterMark (bytes), as stream.Duplex */
  highWaterMark?: number;
  /** aborting it destroys the socket with an AbortError (node:net passes it to stream.addAbortSignal) */
  signal?: AbortSignal;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

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
    validateSocketOptions(opts as Record<string, unknown>);
    super({
      allowHalfOpen: opts.allowHalfOpen ?? false,
      ...(opts.highWaterMark !== undefined ? { highWaterMark: opts.highWaterMark } : {}),
      ...(opts.readableHighWaterMark !== undefined ? { readableHighWaterMark: opts.readableHighWaterMark } : {}),
      ...(opts.writableHighWaterMark !== undefined ? { writableHighWaterMark: opts.writableHighWaterMark } : {}),
      decodeStrings: true,
      emitClose: true,
      autoDestroy: true,
    });
    this.stack = stack;
    if (opts.signal) addAbortSignal(opts.signal, this);
  }

  /** The server that accepted this socket (null for a socket this side connected), as node:net's. */
  server: Server | null = null;

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

  connect(options: SocketConnectOptions, connectListener?: () => void): this;
  connect(port: number, host?: string, connectListener?: () => void): this;
  connect(port: number, connectListener?: () => void): this;
  /** connect(options[, cb]) or connect(port[, host][, cb]), checked as node:net checks them (validate.ts) */
  connect(...args: unknown[]): this {
    const { options: raw, cb } = normalizeArgs(args);
    validateConnectOptions(raw);
    const opts = { ...(raw as unknown as SocketConnectOptions), port: validatePort(raw.port) };
    if (this.destroyed) this.reinitialize(); // node:net lets a closed Socket connect again
    if (this.conn || this.connecting) {
      throw makeError('ERR_SOCKET_CONNECTION_IN_PROGRESS', 'Socket is already connected or connecting');
    }
    if (cb) this.once('connect', cb as () => void);
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
    return this;
  }

  /** A destroyed socket made new for another connect(), as node:net's connect() does. */
  private reinitialize(): void {
    (this as unknown as { _undestroy(): void })._undestroy();
    this.conn = null;
    this.bytesRead = 0;
    this.written = 0;
    this.wantRead = false;
    this.eofPushed = false;
    this.endCalled = false;
    this.pendingWrite = null;
    this.queuedBeforeConnect = null;
    this.finalBeforeConnect = null;
    this.resetOnDestroy = false;
    this.closeHadError = false;
    this.peerEnded = false;
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

  onReadable(): void {
    this.touchActivity();
    if (this.wantRead) this.pull();
  }

  onWritable(): void {
    const cb = this.pendingWrite;
    if (cb && this.conn && this.conn.tcb.sendSpace > 0) {
      this.pendingWrite = null;
      cb();
    }
  }

  onError(code: TcbErrorCode): void {
    const c = this.conn!;
    const syscall = this.connecting ? 'connect' : 'read';
    // connect errors name the peer (`connect ECONNREFUSED 10.0.0.2:80`); read errors do not (`read ECONNRESET`)
    this.destroy(syscall === 'connect' ? sysError(code, syscall, c.remote.text, c.remotePort) : sysError(code, syscall));
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

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: Callback): void {
    const c = this.conn;
    if (this.connecting) {
      // node:net holds writes made while connecting and writes them on 'connect'
      if (!this.queuedBeforeConnect) {
        this.queuedBeforeConnect = [];
        this.once('connect', () => this.writeQueued());
      }
      this.queuedBeforeConnect.push({ chunk, cb });
      return;
    }
    if (!c) return cb(nodeError('ERR_SOCKET_CLOSED'));
    const tcb = c.tcb;
    if (c.gone || !tcb.canSend) return cb(sysError('EPIPE', 'write'));
    // the last write of end(data): hold it for _final, which follows at once, so the data and
    // the FIN leave in one segment (unless the send buffer is full: then send now, or deadlock)
    const hold = this.endCalled && tcb.sendSpace > chunk.length;
    tcb.send(chunk, this.stack.clock.now(), hold);
    this.touchActivity();
    this.stack.settle(c);
    // bytesWritten counts a write once it is taken; until then the stream's writableLength holds it
    const done: Callback = (err) => {
      if (!err) this.written += chunk.length;
      cb(err);
    };
    if (tcb.sendSpace > 0) done();
    else this.pendingWrite = done;
  }

  private writeQueued(): void {
    const queued = this.queuedBeforeConnect ?? [];
    this.queuedBeforeConnect = null;
    for (const { chunk, cb } of queued) this._write(chunk, 'latin1', cb);
  }

  /** the peer's FIN arrived and this side is not half-open: later writes fail as Node's writeAfterFIN */
  private peerEnded = false;
  private closeHadError = false;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override write(...args: any[]): boolean {
    if (this.peerEnded && this.writableEnded) {
      const err = endedByPeer();
      const cb = args.find((a) => typeof a === 'function') as Callback | undefined;
      if (cb) process.nextTick(cb, err);
      this.destroy(err);
      return false;
    }
    return super.write(...(args as Parameters<Duplex['write']>));
  }

  /** 'close' carries hadError (whether the socket was destroyed by an error), as node:net's. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'close' && args.length === 0) return super.emit('close', this.closeHadError);
    if (event === 'end' && !this.allowHalfOpen) this.peerEnded = true;
    return super.emit(event, ...args);
  }

  private endCalled = false;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override end(...args: any[]): this {
    this.endCalled = true;
    return super.end(...(args as Parameters<Duplex['end']>));
  }

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

  override _destroy(err: Error | null, cb: Callback): void {
    this.closeHadError = err != null;
    const queued = this.queuedBeforeConnect;
    this.queuedBeforeConnect = null;
    for (const q of queued ?? []) q.cb(nodeError('ERR_SOCKET_CLOSED_BEFORE_CONNECTION'));
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

  setNoDelay(noDelay = true): this {
    this.noDelayWanted = noDelay;
    if (this.conn) this.conn.tcb.noDelay = noDelay;
    if (noDelay && this.conn && !this.conn.gone) {
      this.conn.tcb.send(new Uint8Array(0), this.stack.clock.now());
      this.stack.settle(this.conn);
    }
    return this;
  }

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
    this.timeout = ms; // as node:net, before the checks
    const msecs = validateTimerDuration(ms);
    if (cb !== undefined) {
      validateFunction(cb, 'callback');
      if (msecs === 0) this.removeListener('timeout', cb);
      else this.once('timeout', cb);
    }
    this.idleMs = msecs;
    this.clearIdle();
    if (msecs > 0) {
      this.lastActivity = this.stack.clock.now();
      this.armIdle();
    }
    return this;
  }

  /** The last value given to setTimeout(), or assigned (assigning changes no timer, as in node:net). */
  timeout: number | undefined = undefined;

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

  address(): { address: string; family: string; port: number } | Record<string, never> {
    const c = this.conn;
    if (!c) return {};
    return { address: c.local.text, family: c.local.version === 4 ? 'IPv4' : 'IPv6', port: c.localPort };
  }

  /** the connection's ends once it is up (node:net reports none while connecting) */
  private get upConn(): Conn | null {
    return this.connecting ? null : this.conn;
  }
  get remoteAddress(): string | undefined {
    return this.upConn?.remote.text;
  }
  get remotePort(): number | undefined {
    return this.upConn?.remotePort;
  }
  get remoteFamily(): string | undefined {
    const c = this.upConn;
    return c ? (c.remote.version === 4 ? 'IPv4' : 'IPv6') : undefined;
  }
  get localAddress(): string | undefined {
    return this.upConn?.local.text;
  }
  get localPort(): number | undefined {
    return this.upConn?.localPort;
  }
  get localFamily(): string | undefined {
    const c = this.upConn;
    return c ? (c.local.version === 4 ? 'IPv4' : 'IPv6') : undefined;
  }
  /** bytes written so far, counting those still queued in the stream (as node:net) */
  get bytesWritten(): number {
    return this.written + this.writableLength;
  }
  /** what the stream holds for writing; undefined before connect(), as node:net's without a handle */
  get bufferSize(): number | undefined {
    return this.conn || this.connecting ? this.writableLength : undefined;
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

  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}
