/** Server: node:net's Server over a synack listener. */
import { EventEmitter } from '#platform/events';
import { nextTick } from '../platform/defer.js';
import { makeError } from '../errors.js';
import type { Conn } from '../stack/conn.js';
import type { Listener } from '../stack/listener.js';
import type { Stack } from '../stack/stack.js';
import { Socket, portFromString, validatePort } from './socket.js';

/** Options of `net.createServer(options)`, as Node's: half-open, pause on connect, Nagle and keepalive for accepted sockets. */
export interface ServerOptions {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

/** Options of `server.listen(options)`: port, host and the backlog (capped by somaxconn, as on Linux). */
export interface ListenOptions {
  port?: number;
  host?: string;
  backlog?: number;
  /** on '::', take IPv6 only (no IPv4-mapped connections) */
  ipv6Only?: boolean;
}

/** A listening TCP server with `net.Server`'s API and events (`listening`, `connection`, `error`, `close`). */
export class Server extends EventEmitter {
  readonly stack: Stack;
  maxConnections: number | undefined = undefined;
  private listener: Listener | null = null;
  private readonly options: ServerOptions;
  private readonly sockets = new Set<Socket>();
  private closing = false;
  /** Node's ref()/unref(): a listening server keeps the process alive unless unref()'d */
  private refd = true;

  constructor(stack: Stack, options?: ServerOptions | ((s: Socket) => void), connectionListener?: (s: Socket) => void) {
    super();
    this.stack = stack;
    if (typeof options === 'function') {
      connectionListener = options;
      options = {};
    }
    this.options = options ?? {};
    if (connectionListener) this.on('connection', connectionListener);
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  /** listen([port][, host][, backlog][, cb]) or listen(options[, cb]), as node:net. */
  listen(...args: unknown[]): this {
    let cb: (() => void) | undefined;
    if (typeof args[args.length - 1] === 'function') cb = args.pop() as () => void;
    let opts: ListenOptions;
    if (typeof args[0] === 'object' && args[0] !== null) opts = args[0] as ListenOptions;
    else {
      opts = {};
      if (args[0] !== undefined) opts.port = args[0] as number;
      if (typeof args[1] === 'string') opts.host = args[1];
      const b = typeof args[1] === 'number' ? args[1] : args[2];
      if (typeof b === 'number') opts.backlog = b;
    }
    const port = portFromString(opts.port ?? 0);
    validatePort(port, 'options.port');
    if (this.listener) throw makeError('ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    if (cb) this.once('listening', cb);
    try {
      this.listener = this.stack.listen(opts.host ?? null, port, opts.backlog ?? 511, (conn) => this.onAccept(conn), opts.ipv6Only ?? false);
      if (!this.refd) this.stack.setListenerRef(this.listener, false);
    } catch (err) {
      nextTick(() => this.emit('error', err));
      return this;
    }
    nextTick(() => this.emit('listening'));
    return this;
  }

  private onAccept(conn: Conn): void {
    if (this.maxConnections !== undefined && this.sockets.size >= this.maxConnections) {
      conn.tcb.release(this.stack.clock.now());
      this.stack.settle(conn);
      this.emit('drop', {
        localAddress: conn.local.text,
        localPort: conn.localPort,
        remoteAddress: conn.remote.text,
        remotePort: conn.remotePort,
        remoteFamily: conn.remote.version === 4 ? 'IPv4' : 'IPv6',
      });
      return;
    }
    // the stack's own Socket class, so `socket instanceof stack.net.Socket` holds as in node:net
    const socket = new this.stack.net.Socket({ allowHalfOpen: this.options.allowHalfOpen ?? false });
    if (this.options.noDelay) socket.setNoDelay(true);
    if (this.options.keepAlive) socket.setKeepAlive(true, this.options.keepAliveInitialDelay);
    socket.attach(conn);
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.maybeEmitClose();
    });
    if (this.options.pauseOnConnect) socket.pause();
    else socket.read(0); // node:net reads an accepted socket at once, 'data' listener or not
    this.emit('connection', socket);
  }

  /** Stop accepting; 'close' follows once every accepted connection has closed. */
  close(cb?: (err?: Error) => void): this {
    if (this.stack.whenIdle(() => this.close(cb))) return this;
    if (!this.listener) {
      const err = makeError('ERR_SERVER_NOT_RUNNING', 'Server is not running.');
      if (cb) nextTick(() => cb(err));
      return this;
    }
    this.stack.unlisten(this.listener);
    this.listener = null;
    this.closing = true;
    if (cb) this.once('close', cb);
    this.maybeEmitClose();
    return this;
  }

  private maybeEmitClose(): void {
    if (this.closing && this.sockets.size === 0) {
      this.closing = false;
      nextTick(() => this.emit('close'));
    }
  }

  /**
   * synack's addition to node:net: stop accepting without closing. Connections that complete the
   * handshake queue up in the accept queue (`backlog`, bounded by somaxconn), as under a server
   * that is too busy to call accept(); beyond it, final ACKs are dropped and SYN-ACKs retried.
   */
  pauseAccepting(): this {
    if (this.listener) this.stack.setAccepting(this.listener, false);
    return this;
  }

  /** Accept again after `pauseAccepting()`: the queued connections are handed out first. */
  resumeAccepting(): this {
    if (this.listener) this.stack.setAccepting(this.listener, true);
    return this;
  }

  /** The bound address, family and port (null when not listening), as `net.Server#address`. */
  address(): { address: string; family: string; port: number } | null {
    const l = this.listener;
    if (!l) return null;
    const address = l.addr?.text ?? l.wildcard;
    return { address, family: address.includes(':') ? 'IPv6' : 'IPv4', port: l.port };
  }

  /** Count the open connections asynchronously, as `net.Server#getConnections`. */
  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.sockets.size;
    nextTick(() => cb(null, n));
    return this;
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Let this server keep the process alive (the default), as `net.Server#ref`. */
  ref(): this {
    this.refd = true;
    if (this.listener) this.stack.setListenerRef(this.listener, true);
    return this;
  }
  /** Let the process exit while this server listens, as `net.Server#unref`. */
  unref(): this {
    this.refd = false;
    if (this.listener) this.stack.setListenerRef(this.listener, false);
    return this;
  }
}
