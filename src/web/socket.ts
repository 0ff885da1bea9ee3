/**
 * A TCP connection as web streams, after the WinterTC Sockets API (Cloudflare's `connect()`) and
 * WICG Direct Sockets' TCPSocket: `readable` (ReadableStream of Uint8Array), `writable`
 * (WritableStream), `opened`, `closed`, `close()`.
 *
 * Backpressure is the TCP window in both directions: the readable pulls bytes from the TCB only
 * while its queue wants more (a reader that stops reading lets the receive buffer fill and the
 * peer sees the window close), and a write resolves only once the send buffer has room (a peer
 * that stops reading keeps writers waiting). `writable.close()` is a half-close: our FIN, while
 * the readable keeps delivering what the peer sends until its FIN.
 */
import type { Conn, ConnUser } from '../stack/conn.js';
import type { Stack } from '../stack/stack.js';
import type { TcbErrorCode } from '../tcp/tcb.js';
import { runSoon } from '../platform/defer.js';
import { networkError, type WebSocketError } from './errors.js';

/** Both endpoints of a connection. */
export interface SocketInfo {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

/** What `opened` resolves to: the addresses, and the streams (as WICG Direct Sockets' TCPSocketOpenInfo). */
export interface SocketOpenInfo extends SocketInfo {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/** Options of a socket of web streams (connect() and accepted sockets). */
export interface StreamSocketOptions {
  /** Keep the writable open after the peer's FIN (default false: our FIN follows the peer's). */
  allowHalfOpen?: boolean;
  /** Bytes the readable queues ahead of its reader (default 64 KiB); the rest waits in the TCB. */
  readableHighWaterMark?: number;
  /** Bytes the writable queues before writes wait (default 16 KiB), on top of the TCB's send buffer. */
  writableHighWaterMark?: number;
  /** TCP_NODELAY (default true: a stream write is a message; Nagle would hold its tail back). */
  noDelay?: boolean;
}

type Deferred<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // a rejection nobody awaits is still reported through the streams; do not make it unhandled
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function bytesOf(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk.slice();
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength));
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk.slice(0));
  const err = new TypeError(`a socket's writable takes Uint8Array, ArrayBufferView or ArrayBuffer chunks (got ${typeof chunk})`) as TypeError & { code: string };
  err.code = 'ERR_INVALID_ARG_TYPE';
  throw err;
}

/** A TCP connection as web streams (see the module comment); made by connect() or a TCPServerSocket. */
export class StreamSocket implements ConnUser {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves once the handshake completes; rejects (NetworkError) if it fails. */
  readonly opened: Promise<SocketOpenInfo>;
  /** Resolves when the connection is closed; rejects with the error that ended it. */
  readonly closed: Promise<void>;

  private readonly stack: Stack;
  private readonly conn: Conn;
  private readonly allowHalfOpen: boolean;
  private readonly readHwm: number;
  private readonly openedD = deferred<SocketOpenInfo>();
  private readonly closedD = deferred<void>();
  private established = false;
  private done = false;
  private readCtl!: ReadableStreamDefaultController<Uint8Array>;
  private readDone = false;
  private readWaiter: (() => void) | null = null;
  private writeWaiter: Deferred<void> | null = null;
  private writeDone = false;
  /** sink writes in progress, and whether our FIN waits for them (autoClose) */
  private writing = 0;
  private autoClosing = false;

  /** @internal use stack.connect() or a TCPServerSocket */
  constructor(stack: Stack, conn: Conn, opts: StreamSocketOptions = {}) {
    this.stack = stack;
    this.conn = conn;
    this.allowHalfOpen = opts.allowHalfOpen ?? false;
    this.opened = this.openedD.promise;
    this.closed = this.closedD.promise;
    conn.tcb.noDelay = opts.noDelay ?? true;
    const rhwm = opts.readableHighWaterMark ?? 64 * 1024;
    this.readHwm = Math.max(1, rhwm);
    const whwm = opts.writableHighWaterMark ?? 16 * 1024;
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (ctl) => {
          this.readCtl = ctl;
        },
        pull: () => this.pull(),
        cancel: () => this.cancelRead(),
      },
      { highWaterMark: rhwm, size: (c) => c.byteLength },
    );
    this.writable = new WritableStream<Uint8Array>(
      {
        write: (chunk) => this.write(chunk),
        close: () => this.closeWrite(),
        abort: () => this.abort(),
      },
      { highWaterMark: whwm, size: (c) => (c as Uint8Array).byteLength ?? 1 },
    );
    stack.attachUser(conn, this);
    if (conn.tcb.state === 'ESTABLISHED' || conn.tcb.state === 'CLOSE_WAIT') this.onEstablished();
  }

  /** Close both directions: our FIN after what is queued (a RST if received data was left unread). */
  close(): Promise<void> {
    // from a 'packet' or 'transition' listener, once the stack's call in progress returns
    if (!this.done && !this.stack.whenIdle(() => this.close())) {
      this.finishRead();
      this.writeDone = true;
      this.rejectWriter(networkError('EPIPE', 'write'));
      const c = this.conn;
      if (!c.gone) {
        c.user = null;
        c.tcb.release(this.stack.clock.now());
        this.stack.settle(c);
      }
      if (!this.established) this.openedD.reject(networkError('ECONNABORTED', 'connect', c.remote.text, c.remotePort));
      this.finish(null);
    }
    return this.closed;
  }

  // ===================== ConnUser: the stack tells us =====================

  /** @internal the stack's notification */
  onEstablished(): void {
    if (this.established) return;
    this.established = true;
    const c = this.conn;
    this.openedD.resolve({
      remoteAddress: c.remote.text,
      remotePort: c.remotePort,
      localAddress: c.local.text,
      localPort: c.localPort,
      readable: this.readable,
      writable: this.writable,
    });
    this.onReadable();
  }

  /** @internal the stack's notification */
  onReadable(): void {
    const w = this.readWaiter;
    if (w && this.fill()) {
      this.readWaiter = null;
      w();
    }
  }

  /** @internal the stack's notification */
  onWritable(): void {
    const w = this.writeWaiter;
    if (w && this.conn.tcb.sendSpace > 0) {
      this.writeWaiter = null;
      w.resolve();
    }
  }

  /** @internal the stack's notification */
  onError(code: TcbErrorCode): void {
    const c = this.conn;
    const err = networkError(code, this.established ? 'read' : 'connect', c.remote.text, c.remotePort);
    c.user = null;
    this.fail(err);
  }

  /** @internal the stack's notification */
  onClosed(): void {
    const t = this.conn.tcb;
    this.conn.user = null;
    this.onReadable(); // a pull waiting for data ends (or takes what arrived before the FIN)
    if (!(t.rcvClosed && t.readable > 0)) this.finishRead();
    this.writeDone = true;
    this.rejectWriter(networkError('EPIPE', 'write'));
    if (!this.established) this.openedD.reject(networkError('ECONNRESET', 'connect', this.conn.remote.text, this.conn.remotePort));
    this.finish(null);
  }

  // ===================== the streams =====================

  /** The stream wants bytes: give what the TCB has, or wait for onReadable (a pull settles only with news). */
  private pull(): Promise<void> | void {
    // never into a TCB mid-segment (a read from a 'packet' or 'transition' listener): wait for idle
    const busy = this.stack.whenIdle(() => this.onReadable());
    if (!busy && this.fill()) return;
    return new Promise<void>((resolve) => {
      this.readWaiter = resolve;
    });
  }

  /** Move received bytes (or the EOF) into the stream; false when there is nothing to give yet. */
  private fill(): boolean {
    if (this.readDone) return true;
    const c = this.conn;
    const tcb = c.tcb;
    if (this.established && tcb.readable > 0) {
      // up to one high-water mark a pull: the queue stays under twice the mark, and the chunks
      // stay large even when the queue is nearly full (desiredSize small)
      const want = Math.max(this.readHwm, this.readCtl.desiredSize ?? 0);
      for (const chunk of tcb.receive(want, this.stack.clock.now())) this.readCtl.enqueue(chunk);
      if (!c.gone) this.stack.settle(c);
      return true;
    }
    if (tcb.rcvClosed || c.gone) {
      this.finishRead();
      if (!this.allowHalfOpen) this.autoClose();
      this.maybeDone();
      return true;
    }
    return false;
  }

  private cancelRead(): void {
    this.readDone = true;
    this.readWaiter = null;
    this.maybeDone();
  }

  /**
   * Both directions are over (EOF read or reading cancelled, and our side closed): the socket is
   * closed for its user, as a kernel socket after close(). The connection finishes on its own (FIN
   * retransmissions, TIME_WAIT), or is reset if received data was left unread (RFC 2525 §2.17).
   */
  private maybeDone(): void {
    if (this.done || !this.readDone || !this.writeDone) return;
    const c = this.conn;
    if (!c.gone) {
      c.user = null;
      c.tcb.release(this.stack.clock.now());
      this.stack.settle(c);
    }
    this.finish(null);
  }

  private finishRead(): void {
    if (this.readDone) return;
    this.readDone = true;
    try {
      this.readCtl.close();
    } catch {
      // already closed or errored by the stream itself
    }
  }

  private async write(chunk: Uint8Array): Promise<void> {
    this.writing++;
    try {
      await this.send(chunk);
    } finally {
      this.writing--;
      if (this.autoClosing && this.writing === 0) this.autoClose();
    }
  }

  private async send(chunk: Uint8Array): Promise<void> {
    const bytes = bytesOf(chunk);
    await this.idle();
    const c = this.conn;
    if (this.writeDone || c.gone || !c.tcb.canSend) throw networkError('EPIPE', 'write', c.remote.text, c.remotePort);
    c.tcb.send(bytes, this.stack.clock.now());
    this.stack.settle(c);
    if (c.tcb.sendSpace > 0 || c.gone) return;
    this.writeWaiter = deferred<void>();
    return this.writeWaiter.promise;
  }

  /**
   * Without allowHalfOpen our FIN follows the peer's, as node:net's end() on 'end' does: after the
   * writes already queued (a pipe still holding chunks hands them over within the current task).
   */
  private autoClose(): void {
    this.autoClosing = true;
    runSoon(() => {
      if (this.writing === 0) this.closeWriteSide();
    });
  }

  /** Resolves at once, or once the stack's call in progress has returned (see Stack.whenIdle). */
  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (!this.stack.whenIdle(resolve)) resolve();
    });
  }

  /** writable.close(): after the handshake (CLOSE in SYN_SENT would abandon the connection, §3.10.4). */
  private async closeWrite(): Promise<void> {
    if (!this.established) await this.opened;
    await this.idle();
    this.closeWriteSide();
  }

  /** CLOSE of our direction: the FIN follows what is queued (RFC 9293 §3.10.4). */
  private closeWriteSide(): void {
    if (this.writeDone) return;
    this.writeDone = true;
    const c = this.conn;
    if (!c.gone) {
      c.tcb.close(this.stack.clock.now());
      this.stack.settle(c);
    }
    this.maybeDone();
  }

  /** writable.abort(): the connection is reset at once (ABORT, §3.10.5). */
  private async abort(): Promise<void> {
    await this.idle();
    const c = this.conn;
    this.writeDone = true;
    if (!c.gone) {
      c.user = null;
      c.tcb.abort(this.stack.clock.now());
      this.stack.settle(c);
    }
    this.finishRead();
    this.finish(null);
  }

  private rejectWriter(err: WebSocketError): void {
    const w = this.writeWaiter;
    if (w) {
      this.writeWaiter = null;
      w.reject(err);
    }
  }

  private fail(err: WebSocketError): void {
    if (this.done) return;
    if (!this.readDone) {
      this.readDone = true;
      try {
        this.readCtl.error(err);
      } catch {
        // the stream already ended
      }
    }
    this.readWaiter = null;
    this.writeDone = true;
    this.rejectWriter(err);
    this.openedD.reject(err);
    this.finish(err);
  }

  private finish(err: WebSocketError | null): void {
    if (this.done) return;
    this.done = true;
    if (err) this.closedD.reject(err);
    else this.closedD.resolve();
  }
}
