/**
 * A listening socket as a web stream, after WICG Direct Sockets' TCPServerSocket:
 * `opened` resolves to { readable, localAddress, localPort }, where `readable` is a ReadableStream
 * of accepted connections (StreamSocket); `close()` stops listening.
 *
 * The stream's queue is the application's accept(): while nobody reads accepted sockets and the
 * queue is full, the listener stops accepting, so further handshakes wait in the accept queue
 * (bounded by `backlog` and somaxconn) exactly as under a server too busy to call accept().
 */
import type { SynackError } from '../errors.js';
import type { Conn } from '../stack/conn.js';
import type { Listener } from '../stack/listener.js';
import type { Stack } from '../stack/stack.js';
import { argumentError, webError } from './errors.js';
import { StreamSocket, type StreamSocketOptions } from './socket.js';

/** A server socket's options, and those of the sockets it accepts. */
export interface TCPServerSocketOptions extends StreamSocketOptions {
  /** Port to listen on; 0 or absent picks a free one. */
  localPort?: number;
  /** Accept queue length (default 511, bounded by somaxconn, as node:net's listen). */
  backlog?: number;
  /** Accepted sockets queued on the readable before the listener stops accepting (default 1). */
  acceptHighWaterMark?: number;
}

/** What a server socket's `opened` resolves to. */
export interface TCPServerSocketOpenInfo {
  readable: ReadableStream<StreamSocket>;
  localAddress: string;
  localPort: number;
}

/** A listening socket whose accepted connections arrive on a ReadableStream (see the module comment). */
export class TCPServerSocket {
  readonly opened: Promise<TCPServerSocketOpenInfo>;
  readonly closed: Promise<void>;
  private readonly stack: Stack;
  private readonly listener: Listener | null = null;
  private readonly socketOptions: StreamSocketOptions;
  private ctl!: ReadableStreamDefaultController<StreamSocket>;
  private isClosed = false;
  private resolveClosed!: () => void;

  /**
   * Listen on `localAddress` ("0.0.0.0" or "::" for every address of the stack). Errors
   * (EADDRINUSE, EADDRNOTAVAIL) reject `opened` with a NetworkError carrying the code.
   */
  constructor(stack: Stack, localAddress: string, options: TCPServerSocketOptions = {}) {
    if (typeof localAddress !== 'string') throw argumentError(`localAddress must be a string (got ${typeof localAddress})`);
    const port = options.localPort ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw argumentError(`localPort must be an integer from 0 to 65535 (got ${String(options.localPort)})`, 'ERR_SOCKET_BAD_PORT');
    }
    const backlog = options.backlog ?? 511;
    if (!Number.isInteger(backlog) || backlog < 1) throw argumentError(`backlog must be a positive integer (got ${String(backlog)})`, 'ERR_OUT_OF_RANGE');
    this.stack = stack;
    const { localPort: _p, backlog: _b, acceptHighWaterMark, ...socketOptions } = options;
    this.socketOptions = socketOptions;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const readable = new ReadableStream<StreamSocket>(
      {
        start: (ctl) => {
          this.ctl = ctl;
        },
        pull: () => {
          if (this.listener && !this.isClosed) stack.setAccepting(this.listener, true);
        },
        cancel: () => {
          void this.close();
        },
      },
      { highWaterMark: acceptHighWaterMark ?? 1 },
    );
    try {
      this.listener = stack.listen(localAddress, port, backlog, (conn) => this.accept(conn));
    } catch (err) {
      const e = webError('NetworkError', err as SynackError);
      this.opened = Promise.reject(e);
      this.opened.catch(() => {});
      this.isClosed = true;
      this.resolveClosed();
      return;
    }
    // the stream asks for sockets (pull) before the first one is handed over
    stack.setAccepting(this.listener, false);
    const l = this.listener;
    const address = l.addr?.text ?? (localAddress === '::' ? '::' : '0.0.0.0');
    this.opened = Promise.resolve({ readable, localAddress: address, localPort: l.port });
  }

  /** Stop listening. Connections already accepted stay open; the readable ends. */
  close(): Promise<void> {
    if (!this.isClosed) {
      this.isClosed = true;
      if (this.listener) this.stack.unlisten(this.listener);
      try {
        this.ctl.close();
      } catch {
        // the reader cancelled the stream
      }
      this.resolveClosed();
    }
    return this.closed;
  }

  private accept(conn: Conn): void {
    if (this.isClosed) {
      conn.tcb.release(this.stack.clock.now());
      this.stack.settle(conn);
      return;
    }
    this.ctl.enqueue(new StreamSocket(this.stack, conn, this.socketOptions));
    if ((this.ctl.desiredSize ?? 0) <= 0 && this.listener) this.stack.setAccepting(this.listener, false);
  }
}
