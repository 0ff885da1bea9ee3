/**
 * Socket: node:net's Socket over a synack connection, a stream.Duplex. Reads pull from the TCB only
 * as fast as the stream's consumer takes them, so an application that stops reading makes the
 * peer see the window close (backpressure through highWaterMark onto RCV.WND).
 */
import { Buffer } from '#platform/buffer';
import { Duplex, addAbortSignal } from '#platform/stream';
import type { SocketConnectOpts as NodeSocketConnectOpts } from 'node:net';
import { nextTick } from '../platform/defer.js';
import { endedByPeer, nodeError, sysError } from '../errors.js';
import type { Server } from './server.js';
import { validateFunction, validateInt32, validateSocketOptions, validateTimerDuration } from './validate.js';
import { NOTIFY_READABLE, type Conn } from '../stack/conn.js';
import type { Stack } from '../stack/stack.js';
import type { TcbErrorCode } from '../tcp/tcb.js';
import type { Clock } from '../time/clock.js';
import { IdleTimer } from './idle-timer.js';
import { readChunk, readInto, type OnRead } from './reads.js';
import { SendFeed } from './send-feed.js';
import { familyOf, keepEnds, localAddressInfo, type Ends } from './socket-address.js';
import { abandonAttempt, attemptConnect, attemptFailed, connectSocket } from './socket-connect.js';
import { streamOptions, type SocketConnectOptions, type SocketOptions } from './socket-options.js';
import {
  F_CLOSE_HAD_ERROR, F_CONNECT_COMPLETED, F_END_CALLED, F_EOF_PUSHED, F_KEPT_ON_RECONNECT, F_ONREAD_PAUSED, F_PEER_ENDED,
  F_NOTICE_PENDING, F_RESET_ON_DESTROY, F_UNREFD, F_WANT_READ, SocketExtra, extraInUse,
} from './socket-state.js';
import { SocketTuning } from './socket-tuning.js';
import './socket-listeners.js'; // the typed on()/once()/off() overloads merged into Socket

export type { OnRead, SocketConnectOptions, SocketOptions };

type Callback = (err?: Error | null) => void;

/**
 * A TCP connection with `net.Socket`'s API: a `stream.Duplex` whose backpressure maps onto the
 * receive window, with the same events, errors and properties as Node's. The stack calls it
 * through ConnUser and happy eyeballs through Connector (methods marked internal, left out of the
 * published types by stripInternal).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Socket extends Duplex {
  /** The Stack the socket belongs to. */
  readonly stack: Stack;
  /** @internal the connection, once connect() or accept gave one */
  conn: Conn | null = null;
  connecting = false;
  bytesRead = 0;
  /**
   * The socket's private booleans as bits of one small integer (see the F_ constants): an idle
   * socket pays one field for ten, and the getters and setters below keep the code reading as
   * plain properties.
   */
  private bits_ = 0;
  /** setTimeout()'s idle timer, made when first needed (until then no period runs: touch() would do nothing) */
  private idle_: IdleTimer | null = null;
  private get idle(): IdleTimer { return (this.idle_ ??= new IdleTimer(this)); }
  /** the write in progress, fed into the send buffer (tcp_wmem) as it has room; made at the first write */
  private sendFeed_: SendFeed | null = null;
  private get sendFeed(): SendFeed { return (this.sendFeed_ ??= new SendFeed(this.stack, this)); }
  /**
   * What most sockets never have, or have only while connecting (SocketExtra): made when one of
   * them is first set, let go again once connected if nothing else is in it.
   */
  private extra_: SocketExtra | null = null;

  private hasBit(bit: number): boolean { return (this.bits_ & bit) !== 0; }
  private setBit(bit: number, on: boolean): void { this.bits_ = on ? this.bits_ | bit : this.bits_ & ~bit; }
  /** @internal the stream wants data: reads go on until push() says it is full */
  get wantRead(): boolean { return this.hasBit(F_WANT_READ); }
  /** @internal */ set wantRead(v: boolean) { this.setBit(F_WANT_READ, v); }
  private get eofPushed(): boolean { return this.hasBit(F_EOF_PUSHED); }
  private set eofPushed(v: boolean) { this.setBit(F_EOF_PUSHED, v); }
  private get resetOnDestroy(): boolean { return this.hasBit(F_RESET_ON_DESTROY); }
  private set resetOnDestroy(v: boolean) { this.setBit(F_RESET_ON_DESTROY, v); }
  /** Node's ref()/unref(): whether this socket keeps the process alive while active */
  private get refd(): boolean { return !this.hasBit(F_UNREFD); }
  private set refd(v: boolean) { this.setBit(F_UNREFD, !v); }
  /** @internal whether connect(2) has reported the connection complete (see socket-connect.ts attemptAgain) */
  get connectCompleted(): boolean { return this.hasBit(F_CONNECT_COMPLETED); }
  /** @internal */ set connectCompleted(v: boolean) { this.setBit(F_CONNECT_COMPLETED, v); }
  private get onreadPaused(): boolean { return this.hasBit(F_ONREAD_PAUSED); }
  private set onreadPaused(v: boolean) { this.setBit(F_ONREAD_PAUSED, v); }
  /** the peer's FIN arrived and this side is not half-open: later writes fail as Node's writeAfterFIN */
  private get peerEnded(): boolean { return this.hasBit(F_PEER_ENDED); }
  private set peerEnded(v: boolean) { this.setBit(F_PEER_ENDED, v); }
  private get closeHadError(): boolean { return this.hasBit(F_CLOSE_HAD_ERROR); }
  private set closeHadError(v: boolean) { this.setBit(F_CLOSE_HAD_ERROR, v); }
  private get endCalled(): boolean { return this.hasBit(F_END_CALLED); }
  private set endCalled(v: boolean) { this.setBit(F_END_CALLED, v); }
  /** what came before the accept is told by the stack a turn later (see attach): reads wait for it */
  private get noticePending(): boolean { return this.hasBit(F_NOTICE_PENDING); }
  private set noticePending(v: boolean) { this.setBit(F_NOTICE_PENDING, v); }

  /** @internal the TCP options asked for, applied to each connection this socket takes on (made when first asked) */
  get tuning(): SocketTuning | null { return this.extra_?.tuning ?? null; }
  /** @internal */ set tuning(v: SocketTuning | null) { if (v !== null || this.extra_) this.moreState.tuning = v; }
  /** @internal happy eyeballs: where a failed attempt's error goes instead of destroy() */
  get attemptFailed(): ((err: Error) => void) | null { return this.extra_?.attemptFailed ?? null; }
  /** @internal */ set attemptFailed(v: ((err: Error) => void) | null) { if (v !== null || this.extra_) this.moreState.attemptFailed = v; }
  /** @internal the onread option: reads go to one buffer and a callback, not to 'data' */
  get onread(): OnRead | null { return this.extra_?.onread ?? null; }
  /** @internal */ set onread(v: OnRead | null) { if (v !== null || this.extra_) this.moreState.onread = v; }
  /** the 4-tuple once the connection is let go (destroy), so the buffers behind it can be freed */
  private get ends(): Ends | null {
    const x = this.extra_;
    return x !== null && x.local !== null ? (x as Ends) : null;
  }
  /** Forget the kept 4-tuple (another connect()). */
  private dropEnds(): void {
    const x = this.extra_;
    if (x !== null) x.local = x.remote = null;
  }
  /** @internal connect()'s options, for each attempt until one connects */
  get connectOpts(): SocketConnectOptions | null { return this.extra_?.connectOpts ?? null; }
  /** @internal */ set connectOpts(v: SocketConnectOptions | null) { if (v !== null || this.extra_) this.moreState.connectOpts = v; }
  /** @internal emits the pending 'connectionAttempt' (Node announces an attempt a tick after connect()) */
  get announceAttempt(): (() => void) | null { return this.extra_?.announceAttempt ?? null; }
  /** @internal */ set announceAttempt(v: (() => void) | null) { if (v !== null || this.extra_) this.moreState.announceAttempt = v; }
  private get moreState(): SocketExtra { return (this.extra_ ??= new SocketExtra()); }
  /** Let the side object go once nothing is left in it (a connected socket with no options). */
  private trimExtra(): void {
    if (this.extra_ && !extraInUse(this.extra_)) this.extra_ = null;
  }

  /** @internal (SendFeed) the activity that counts for setTimeout(): nothing to do without a timer */
  touchIdle(): void {
    this.idle_?.touch();
  }
  /** the addresses tried with autoSelectFamily, as Node reports them */
  declare autoSelectFamilyAttemptedAddresses: string[];

  constructor(stack: Stack, opts: SocketOptions = {}) {
    validateSocketOptions(opts as Record<string, unknown>);
    super(streamOptions(opts)); // none at all for most sockets (socket-options.ts)
    this.allowHalfOpen = (opts.allowHalfOpen ?? false) !== false; // what stream.Duplex makes of the option
    this.stack = stack;
    if (opts.signal) addAbortSignal(opts.signal, this);
  }

  /** The server that accepted this socket (null for a socket this side connected), as node:net's. */
  server: Server | null = null;
  /**
   * @internal the Server that accepted this socket, whatever the application (or node:http) makes
   * of `server`; cleared once the socket's destroy has counted it out (Server#socketClosed)
   */
  acceptedBy: Server | null = null;

  /** @internal (Connector) the stack's clock */
  get clock(): Clock {
    return this.stack.clock;
  }

  /** @internal Attach an accepted connection (server side). */
  attach(conn: Conn): this {
    this.conn = conn;
    this.connectCompleted = true; // accept(2) gives a connected socket
    // data or a FIN that came before the accept reaches the socket as the stack's notification a
    // turn later (Dispatcher.attach), as node:net's accepted socket hears of data only in a later
    // read callback: the server's read(0) does not hand it over at once (no 'data' before 'resume')
    if (conn.notify & NOTIFY_READABLE) this.noticePending = true;
    this.bind(conn);
    this.tuning?.apply(this.stack, conn);
    this.idle_?.touch();
    return this;
  }

  // ===================== connect =====================

  /** Open the connection, as `net.Socket#connect(options | port[, host][, cb])`. */
  connect(options: SocketConnectOptions | NodeSocketConnectOpts, connectListener?: () => void): this;
  connect(port: number, host: string, connectListener?: () => void): this;
  connect(port: number, connectListener?: () => void): this;
  /** typed as node:net's; synack has no IPC sockets and throws ERR_INVALID_ARG_VALUE */
  connect(path: string, connectListener?: () => void): this;
  /** connect(options[, cb]) or connect(port[, host][, cb]), checked as node:net checks them (validate.ts) */
  connect(...args: unknown[]): this {
    connectSocket(this, args);
    return this;
  }

  /** @internal (Connector) Start connecting to one address (socket-connect.ts): an error when it fails at once. */
  attempt(ipText: string, port: number, family: number, failed: ((err: Error) => void) | null): Error | null {
    return attemptConnect(this, ipText, port, family, failed);
  }

  /** @internal (Connector) the attempt in progress timed out: drop it without a word to the user */
  abandonAttempt(): void {
    abandonAttempt(this);
  }

  /** @internal (Connector) connecting failed for good */
  fail(err: Error): void {
    this.destroy(err);
  }

  /** @internal Become the connection's user: notifications, and its share in keeping the process alive. */
  bind(conn: Conn): void {
    conn.refd = this.refd;
    conn.reading = this.wantRead;
    this.stack.attachUser(conn, this);
    this.stack.liveness.update(conn);
  }

  /**
   * @internal A destroyed socket made new for another connect(), as node:net's connect() does:
   * every private boolean cleared but ref()/unref(); the TCP options and onread stay.
   */
  reinitialize(): void {
    (this as unknown as { _undestroy(): void })._undestroy();
    this.conn = null;
    this.bytesRead = 0;
    this.sendFeed_?.reset();
    this.bits_ &= F_KEPT_ON_RECONNECT;
    this.attemptFailed = null;
    this.dropEnds();
    this.connectOpts = null;
    this.announceAttempt = null;
    Reflect.deleteProperty(this, 'autoSelectFamilyAttemptedAddresses');
  }

  // ===================== ConnUser: the stack tells us =====================

  /** @internal (ConnUser) the handshake completed */
  onEstablished(): void {
    if (!this.connecting) return;
    this.announceAttempt?.();
    this.connecting = false;
    this.attemptFailed = null;
    this.connectOpts = null; // no attempt follows a connection made
    this.trimExtra();
    this.idle_?.touch();
    this.emit('connect');
    this.emit('ready');
    const done = this.sendFeed_?.heldFinal;
    if (done) {
      this.sendFeed.heldFinal = null;
      this._final(done);
    }
    if (this.wantRead) this.pull();
    else if (!this.isPaused()) this.read(0); // node:net starts reading at once (afterConnect)
  }

  /** @internal (ConnUser) data or a FIN arrived */
  onReadable(): void {
    this.noticePending = false;
    this.idle_?.touch();
    if (this.wantRead) this.pull();
  }

  /** @internal (ConnUser) the send buffer has room */
  onWritable(): void {
    const c = this.conn;
    if (this.sendFeed_?.waiting && c && !c.gone && c.tcb.sendSpace > 0) this.sendFeed.feed(c, this.endCalled);
  }

  /** @internal (ConnUser) the connection failed: while connecting, the attempt did (socket-connect.ts) */
  onError(code: TcbErrorCode): void {
    if (this.connecting) attemptFailed(this, this.conn!, code);
    else this.destroy(sysError(code, 'read')); // read errors do not name the peer (`read ECONNRESET`)
  }

  /** @internal (ConnUser) the connection is gone */
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
    this.sendFeed_?.closed();
  }

  // ===================== stream.Duplex =====================

  /** @internal */
  override _read(): void {
    if (this.onreadPaused) return;
    this.wantRead = true;
    if (!this.noticePending) this.pull();
    else if (this.conn) this.conn.reading = true; // the stack refiles it when the notice is delivered
  }

  /**
   * @internal Hand over what the TCB holds as Node's reads do: each read up to 64 KiB (libuv's buffer),
   * or into the `onread` buffer; reading stops when the stream is full (push() false: the window closes).
   */
  pull(): void {
    const c = this.conn;
    if (!c || this.connecting) return;
    if (this.stack.busy && this.stack.whenIdle(() => this.pull())) return;
    const tcb = c.tcb;
    // a pull that finds nothing to read (the stream asking for more after each chunk, read(0) at
    // connect) leaves the TCB alone: no clock reading, and the stack is settled only if the
    // socket's wish to read changed (liveness counts it)
    const took = this.wantRead && tcb.readable > 0;
    if (took) {
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
    }
    if (tcb.rcvClosed && tcb.readable === 0 && !this.eofPushed) {
      this.eofPushed = true;
      this.wantRead = false;
      this.push(null);
      this.read(0); // 'end' even when nobody consumes the stream, as node:net's onStreamRead
    }
    if (this.conn === c && c.reading !== this.wantRead) {
      c.reading = this.wantRead;
    } else if (!took) return;
    this.stack.settle(c);
  }


  /** With `onread`, pause()/resume() stop and restart reading (Node's readStop/readStart). */
  private setOnreadPaused(paused: boolean): void {
    this.onreadPaused = paused;
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
    if (this.onread && this.onreadPaused) this.setOnreadPaused(false);
    return super.resume();
  }

  /** @internal */
  override _write(chunk: Buffer, enc: BufferEncoding, cb: Callback): void {
    const c = this.conn;
    if (this.connecting) {
      // node:net holds writes made while connecting and writes them on 'connect'
      if (this.sendFeed.hold(chunk, cb)) this.once('connect', () => this.writeQueued());
      return;
    }
    if (!c) return cb(nodeError('ERR_SOCKET_CLOSED'));
    if (this.stack.busy && this.stack.whenIdle(() => this._write(chunk, enc, cb))) return;
    const tcb = c.tcb;
    if (c.gone || !tcb.canSend) return cb(sysError('EPIPE', 'write'));
    this.sendFeed.start(c, chunk, cb, this.endCalled);
  }

  private writeQueued(): void {
    for (const { chunk, cb } of this.sendFeed.takeHeld()) this._write(chunk, 'latin1', cb);
  }


  // write(), end() and emit() hand their arguments on as they came (`arguments`, not a rest
  // array and a spread: no array per call; the published signatures are the overloads)

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override write(...args: any[]): boolean;
  override write(): boolean {
    if (this.peerEnded && this.writableEnded) {
      const err = endedByPeer();
      // eslint-disable-next-line prefer-rest-params
      const cb = Array.prototype.find.call(arguments, (a) => typeof a === 'function') as Callback | undefined;
      if (cb) nextTick(() => cb(err));
      this.destroy(err);
      return false;
    }
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(Duplex.prototype.write, this, arguments) as boolean;
  }

  /**
   * 'close' carries hadError (whether the socket was destroyed by an error), as node:net's. An
   * event nobody listens to (most of the stream's own: 'readable', 'prefinish', 'finish', 'resume'...)
   * returns false at once, as EventEmitter's emit does, without handing the arguments on.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean;
  override emit(event: string | symbol): boolean {
    if (event === 'end' && !this.allowHalfOpen) this.peerEnded = true;
    if (event !== 'error') {
      // EventEmitter#emit's own first steps for any event but 'error' (which throws without a listener)
      const events = (this as unknown as { _events: Record<string | symbol, unknown> | undefined })._events;
      if (events === undefined || events[event] === undefined) return false;
    }
    if (event === 'close' && arguments.length === 1) return super.emit('close', this.closeHadError);
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(Duplex.prototype.emit, this, arguments) as boolean;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override end(...args: any[]): this;
  override end(): this {
    this.endCalled = true;
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(Duplex.prototype.end, this, arguments) as this;
  }

  /** @internal */
  override _final(cb: Callback): void {
    const c = this.conn;
    if (c && this.stack.busy && this.stack.whenIdle(() => this._final(cb))) return;
    if (!c || this.connecting) {
      // end() before the handshake completes: the FIN follows it (node:net waits for 'connect' too)
      this.sendFeed.heldFinal = cb;
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
    this.closeHadError = err != null;
    const feed = this.sendFeed_;
    if (feed) for (const q of feed.takeHeld()) q.cb(nodeError('ERR_SOCKET_CLOSED_BEFORE_CONNECTION'));
    const c = this.conn;
    const wasUp = !this.connecting;
    this.idle_?.clear();
    this.connecting = false;
    this.attemptFailed = null;
    // the buffers behind a destroyed socket go, even while the application holds the object
    this.sendFeed_?.dropData();
    if (c) {
      if (wasUp) keepEnds(this.moreState, c);
      this.conn = null;
      c.user = null;
      c.reading = false;
    }
    if (c && !c.gone && !(this.stack.busy && this.stack.whenIdle(() => this.closeConn(c)))) this.closeConn(c);
    cb(err);
    // an accepted socket stops counting for its server once destroyed, as node:net's _destroy
    // does after its callback (so before the socket's 'close', and a closing server's 'close' after it)
    this.acceptedBy?.socketClosed(this);
  }

  /** The kernel's close() of a destroyed socket's connection: FIN, or RST if unread data remains (or resetAndDestroy). */
  private closeConn(c: Conn): void {
    const now = this.stack.clock.now();
    if (this.resetOnDestroy) c.tcb.abort(now);
    else c.tcb.release(now);
    this.stack.settle(c);
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
    if (!this.stack.whenIdle(() => this.setNoDelay(noDelay))) (this.tuning ??= new SocketTuning()).setNoDelay(this.stack, this.conn, noDelay);
    return this;
  }

  /** Enable keepalive probes after `initialDelay` ms idle (tcp_keepalive_time when 0), as `net.Socket#setKeepAlive`. */
  setKeepAlive(enable = false, initialDelay?: number): this {
    const tuning = (this.tuning ??= new SocketTuning());
    tuning.keepAlive = [enable, initialDelay && initialDelay > 0 ? initialDelay : undefined];
    if (this.conn && !this.conn.gone && !this.stack.whenIdle(() => this.setKeepAlive(enable, initialDelay))) tuning.apply(this.stack, this.conn);
    return this;
  }

  /** TCP_USER_TIMEOUT: give up when sent data stays unacknowledged this long (ms, 0 = off). */
  setUserTimeout(ms: number): this {
    validateInt32(ms, 'ms', 0); // Node's validator, so Node's TypeError/RangeError and messages
    (this.tuning ??= new SocketTuning()).userTimeout = ms; // kept for a connection that does not exist yet
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
    this.idle.set(msecs);
    return this;
  }

  /**
   * The last value given to setTimeout(), or assigned (assigning changes no timer, as in node:net).
   * Kept with the idle timer that setTimeout() makes, so a socket that never has one carries no
   * field for it.
   */
  get timeout(): number | undefined {
    return this.idle_?.value;
  }
  set timeout(v: number | undefined) {
    if (v !== undefined || this.idle_) this.idle.value = v;
  }

  /** The local address, family and port (`{}` before connecting), as `net.Socket#address`. */
  address(): { address: string; family: string; port: number } | Record<string, never> {
    return localAddressInfo(this.conn ?? this.ends);
  }

  /** the connection's ends once it is up (node:net reports none while connecting) */
  private get upConn(): Ends | null {
    return this.connecting ? null : (this.conn ?? this.ends);
  }
  get remoteAddress(): string | undefined {
    return this.upConn?.remote.text;
  }
  get remotePort(): number | undefined {
    return this.upConn?.remotePort;
  }
  get remoteFamily(): string | undefined {
    return familyOf(this.upConn?.remote);
  }
  // the local end is known from connect() on (synack picks the port there); node:net reports it after 'connect'
  get localAddress(): string | undefined {
    return (this.conn ?? this.ends)?.local.text;
  }
  get localPort(): number | undefined {
    return (this.conn ?? this.ends)?.localPort;
  }
  get localFamily(): string | undefined {
    return familyOf((this.conn ?? this.ends)?.local);
  }
  /** bytes written so far, counting those still queued in the stream (as node:net) */
  get bytesWritten(): number {
    return (this.sendFeed_?.written ?? 0) + this.writableLength - (this.sendFeed_?.taken ?? 0);
  }
  /** what the stream holds for writing; undefined before connect(), as node:net's without a handle */
  get bufferSize(): number {
    return (this.conn || this.connecting ? this.writableLength : undefined) as number; // typed as @types/node's
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
    this.refd = refd;
    const c = this.conn;
    if (c && !c.gone) {
      c.refd = refd;
      this.stack.liveness.update(c);
    }
    return this;
  }
}
