/** Server: node:net's Server over a synack listener. */
import { EventEmitter } from '#platform/events';
import { getDefaultHighWaterMark } from '#platform/stream';
import { nextTick } from '../platform/defer.js';
import { nodeError } from '../errors.js';
import type { Conn } from '../stack/conn.js';
import type { Listener } from '../stack/listener.js';
import type { Stack } from '../stack/stack.js';
import type { OtherEvent, ServerEvents } from './events.js';
import { Socket, type SocketOptions } from './socket.js';
import { normalizeArgs, validateBoolean, validateFunction, validateListenOptions, validateServerOptions } from './validate.js';

/** Options of `net.createServer(options)`, as Node's: half-open, pause on connect, Nagle and keepalive for accepted sockets. */
export interface ServerOptions {
  allowHalfOpen?: boolean;
  /** the highWaterMark of every accepted socket (both directions) */
  highWaterMark?: number;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

/** Options of `server.listen(options)`: port, host and the backlog (capped by somaxconn, as on Linux). */
export interface ListenOptions {
  port?: number | string;
  host?: string;
  backlog?: number;
  /**
   * SO_REUSEADDR, as dgram.createSocket's option of the same name. node:net has no such option
   * because libuv always sets it; synack sets it by default too. `false` makes listen() fail with
   * EADDRINUSE while the port still has connections or TIME_WAIT records, as a server without
   * SO_REUSEADDR restarted within 2MSL does.
   */
  reuseAddr?: boolean;
  /** aborting it closes the server, as server.close() */
  signal?: AbortSignal;
  /** on '::', take IPv6 only (no IPv4-mapped connections) */
  ipv6Only?: boolean;
}


/**
 * An accepted socket's options when the server's are the defaults (no half-open, the stream's
 * default buffer size): one shared object, which the socket only reads, and with which its stream
 * is built without options (socket.ts streamOptions), as it would be with the size given.
 */
const DEFAULT_SOCKET: SocketOptions = Object.freeze({});

/* eslint-disable @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-explicit-any */
/**
 * the listener methods typed per event (events.ts), merged into the class; Node's untyped form
 * remains for other names only, so a wrong listener for a known event is a compile-time error
 */
export interface Server {
  /** Add a listener for one of the documented events; the listener's arguments are typed (ServerEvents). */
  on<K extends keyof ServerEvents>(event: K, listener: ServerEvents[K]): this;
  /** Add a listener for any other event (untyped, as Node's). */
  on<E extends string | symbol>(event: E & OtherEvent<E, ServerEvents>, listener: (...args: any[]) => void): this;
  /** Add a one-time listener for one of the documented events; the listener's arguments are typed (ServerEvents). */
  once<K extends keyof ServerEvents>(event: K, listener: ServerEvents[K]): this;
  /** Add a one-time listener for any other event (untyped, as Node's). */
  once<E extends string | symbol>(event: E & OtherEvent<E, ServerEvents>, listener: (...args: any[]) => void): this;
  /** Add a listener for one of the documented events; the listener's arguments are typed (ServerEvents). */
  addListener<K extends keyof ServerEvents>(event: K, listener: ServerEvents[K]): this;
  /** Add a listener for any other event (untyped, as Node's). */
  addListener<E extends string | symbol>(event: E & OtherEvent<E, ServerEvents>, listener: (...args: any[]) => void): this;
  /** Add a listener first in line for one of the documented events; the listener's arguments are typed (ServerEvents). */
  prependListener<K extends keyof ServerEvents>(event: K, listener: ServerEvents[K]): this;
  /** Add a listener first in line for any other event (untyped, as Node's). */
  prependListener<E extends string | symbol>(event: E & OtherEvent<E, ServerEvents>, listener: (...args: any[]) => void): this;
  /** Add a one-time listener first in line for one of the documented events; the listener's arguments are typed (ServerEvents). */
  prependOnceListener<K extends keyof ServerEvents>(event: K, listener: ServerEvents[K]): this;
  /** Add a one-time listener first in line for any other event (untyped, as Node's). */
  prependOnceListener<E extends string | symbol>(event: E & OtherEvent<E, ServerEvents>, listener: (...args: any[]) => void): this;
  /** Remove a listener for one of the documented events; the listener's arguments are typed (ServerEvents). */
  off<K extends keyof ServerEvents>(event: K, listener: ServerEvents[K]): this;
  /** Remove a listener for any other event (untyped, as Node's). */
  off<E extends string | symbol>(event: E & OtherEvent<E, ServerEvents>, listener: (...args: any[]) => void): this;
  /** Remove a listener for one of the documented events; the listener's arguments are typed (ServerEvents). */
  removeListener<K extends keyof ServerEvents>(event: K, listener: ServerEvents[K]): this;
  /** Remove a listener for any other event (untyped, as Node's). */
  removeListener<E extends string | symbol>(event: E & OtherEvent<E, ServerEvents>, listener: (...args: any[]) => void): this;
}
/* eslint-enable @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-explicit-any */

/** A listening TCP server with `net.Server`'s API and events (`listening`, `connection`, `error`, `close`). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Server extends EventEmitter {
  readonly stack: Stack;
  maxConnections: number | undefined = undefined;
  private listener: Listener | null = null;
  /** the createServer() options, as node:net keeps them: public, read at each accept */
  allowHalfOpen: boolean;
  pauseOnConnect: boolean;
  noDelay: boolean;
  keepAlive: boolean;
  /** in seconds, as node:net stores it (the option is in ms) */
  keepAliveInitialDelay: number;
  highWaterMark: number;
  /**
   * the accepted sockets not yet destroyed: a count, as node:net's `_connections` (nothing walks
   * them; a socket counts down once, when destroyed, see socketClosed)
   */
  private open = 0;
  private closing = false;
  /** Node's ref()/unref(): a listening server keeps the process alive unless unref()'d */
  private refd = true;

  constructor(stack: Stack, options?: ServerOptions | ((s: Socket) => void), connectionListener?: (s: Socket) => void) {
    super();
    validateServerOptions(options);
    this.stack = stack;
    if (typeof options === 'function') {
      connectionListener = options;
      options = {};
    }
    const o = options ?? {};
    this.allowHalfOpen = o.allowHalfOpen ?? false;
    this.pauseOnConnect = Boolean(o.pauseOnConnect);
    this.noDelay = Boolean(o.noDelay);
    this.keepAlive = Boolean(o.keepAlive);
    this.keepAliveInitialDelay = Math.trunc(Math.max(0, o.keepAliveInitialDelay ?? 0) / 1000);
    this.highWaterMark = o.highWaterMark !== undefined && o.highWaterMark >= 0 ? o.highWaterMark : getDefaultHighWaterMark(false);
    if (connectionListener) this.on('connection', connectionListener);
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  /** listen([port][, host][, backlog][, cb]) or listen(options[, cb]), checked as node:net checks them. */
  listen(port?: number | string, host?: string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string, host?: string, listeningListener?: () => void): this;
  listen(port?: number | string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string, listeningListener?: () => void): this;
  listen(options: ListenOptions, listeningListener?: () => void): this;
  listen(...args: unknown[]): this {
    const { options: opts, cb } = normalizeArgs(args);
    if (this.listener) throw nodeError('ERR_SERVER_ALREADY_LISTEN');
    if (cb) this.once('listening', cb as () => void);
    // the backlog may come as listen(port, backlog) or listen(port, host, backlog)
    const backlog = Number(opts.backlog) || Number(args.length > 1 && args[1]) || Number(args.length > 2 && args[2]) || 511;
    const port = validateListenOptions(args, opts);
    const signal = opts.signal as AbortSignal | undefined;
    if (signal?.aborted) {
      nextTick(() => this.close());
      return this;
    }
    if (opts.reuseAddr !== undefined) validateBoolean(opts.reuseAddr, 'options.reuseAddr');
    try {
      this.listener = this.stack.listen(
        (opts.host as string | undefined) || null,
        port,
        backlog,
        (conn) => this.onAccept(conn),
        opts.ipv6Only === true,
        (opts.reuseAddr as boolean | undefined) ?? true,
      );
      if (!this.refd) this.stack.setListenerRef(this.listener, false);
    } catch (err) {
      nextTick(() => this.emit('error', err));
      return this;
    }
    signal?.addEventListener('abort', () => this.close(), { once: true });
    const listener = this.listener;
    // Node emits 'listening' only if the server is still listening then (close() may come first)
    nextTick(() => {
      if (this.listener === listener) this.emit('listening');
    });
    return this;
  }

  private onAccept(conn: Conn): void {
    // as Node 20: 0 (or unset) means no limit
    if (this.maxConnections && this.open >= this.maxConnections) {
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
    const socket = new Socket(this.stack, this.allowHalfOpen === false && this.highWaterMark === getDefaultHighWaterMark(false) ? DEFAULT_SOCKET : {
      allowHalfOpen: this.allowHalfOpen,
      highWaterMark: this.highWaterMark,
    });
    socket.server = this;
    socket.acceptedBy = this;
    if (this.noDelay) socket.setNoDelay(true);
    if (this.keepAlive) socket.setKeepAlive(true, this.keepAliveInitialDelay * 1000);
    socket.attach(conn);
    this.open++;
    if (this.pauseOnConnect) socket.pause();
    else socket.read(0); // node:net reads an accepted socket at once, 'data' listener or not
    this.emit('connection', socket);
  }

  /** Stop accepting; 'close' follows once every accepted connection has closed. */
  close(cb?: (err?: Error) => void): this {
    if (this.stack.whenIdle(() => this.close(cb))) return this;
    if (!this.listener) {
      const err = nodeError('ERR_SERVER_NOT_RUNNING');
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

  /**
   * @internal An accepted socket was destroyed (Socket#_destroy calls this, once: it clears
   * `acceptedBy`): it no longer counts, and a closing server may now close. As node:net's
   * `_connections--` in Socket#_destroy: no 'close' listener per socket, and the count is down
   * before the socket's 'close' is emitted.
   */
  socketClosed(socket: Socket): void {
    if (socket.acceptedBy !== this) return;
    socket.acceptedBy = null;
    this.open--;
    this.maybeEmitClose();
  }

  private maybeEmitClose(): void {
    if (this.closing && this.open === 0) {
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
    validateFunction(cb, 'callback');
    const n = this.open;
    nextTick(() => cb(null, n));
    return this;
  }

  get connections(): number {
    return this.open;
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

  /** `await using server = ...`: close it, as Node 20's Server[Symbol.asyncDispose] */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.listener) return;
    await new Promise<void>((resolve, reject) => this.close((err) => (err ? reject(err) : resolve())));
  }

  /**
   * captureRejections: a rejected async 'connection' listener destroys that socket with the
   * error; any other event's rejection becomes the server's 'error' (as node:net's Server).
   */
  override [EventEmitter.captureRejectionSymbol](err: Error, event: string, ...args: unknown[]): void {
    if (event === 'connection') (args[0] as Socket).destroy(err);
    else this.emit('error', err);
  }
}
