/**
 * `stack.dgram`: node:dgram's API for UDP over one synack stack. Code written for node:dgram works
 * unchanged: `stack.dgram.createSocket('udp4')`, then bind / send / 'message' / connect / close, with
 * Node's events in Node's order and its errors (codes, messages, errno, syscall).
 *
 * Differences from a kernel socket, by design or not yet done: names other than IP literals and
 * 'localhost' do not resolve (ENOTFOUND); a 'udp6' socket is IPv6-only (Node's default is
 * dual-stack); datagrams larger than the link MTU are refused with EMSGSIZE (no fragmentation on
 * output); multicast, broadcast and the buffer-size options are not offered.
 */
import { EventEmitter } from '#platform/events';
import { Buffer } from '#platform/buffer';
import { invalidArgType, makeError, nodeError, socketBadPort, socketBadType, sysError, type SynackError } from '../errors.js';
import { nextTick } from '../platform/defer.js';
import { ipFromText, type IpAddr } from '../stack/ip-addr.js';
import type { Stack } from '../stack/stack.js';
import { provideDgramApi } from '../udp/dgram-provider.js';
import { boundTo } from './bound-class.js';
import type { UdpBinding } from '../udp/udp-layer.js';

/** A socket's type: IPv4 or IPv6 UDP. */
export type DgramSocketType = 'udp4' | 'udp6';

/** As node:dgram's `SocketOptions` (the options this stack honours). */
export interface DgramSocketOptions {
  /** 'udp4' or 'udp6' (required) */
  type: DgramSocketType;
  /** accepted for compatibility; ports are never shared here */
  reuseAddr?: boolean;
  /** accepted for compatibility; a 'udp6' socket is always IPv6-only here */
  ipv6Only?: boolean;
}

/** As node:dgram's `BindOptions`. */
export interface DgramBindOptions {
  port?: number;
  address?: string;
  exclusive?: boolean;
}

/** A socket's address, as `socket.address()` and `socket.remoteAddress()` give it. */
export interface DgramAddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

/** Where a received datagram came from, the second argument of 'message'. */
export interface DgramRemoteInfo extends DgramAddressInfo {
  /** the message's size in bytes */
  size: number;
}

/** A send callback: `(error, bytes)` as in Node. */
export type DgramSendCallback = (error: Error | null, bytes: number) => void;

type Message = string | Uint8Array | DataView | readonly (string | Uint8Array | DataView)[];

const UNBOUND = 0;
const BINDING = 1;
const BOUND = 2;

/** A UDP socket over a synack stack, as node:dgram's `Socket` (created by `stack.dgram.createSocket`). */
export class DgramSocket extends EventEmitter {
  /** 'udp4' or 'udp6' */
  readonly type: DgramSocketType;
  readonly #stack: Stack;
  readonly #family: 4 | 6;
  #binding: UdpBinding | null = null;
  #bindState = UNBOUND;
  #connectState = UNBOUND;
  #closed = false;
  #refd = true;
  #held = false;
  /** calls waiting for the bind to complete (send, connect, and close after them), as Node queues them */
  #queue: (() => void)[] | null = null;

  /** @internal use `stack.dgram.createSocket` */
  constructor(stack: Stack, options: DgramSocketType | DgramSocketOptions, listener?: (msg: Buffer, rinfo: DgramRemoteInfo) => void) {
    super();
    const type = typeof options === 'object' && options !== null ? options.type : options;
    if (type !== 'udp4' && type !== 'udp6') {
      throw socketBadType();
    }
    this.#stack = stack;
    this.type = type;
    this.#family = type === 'udp4' ? 4 : 6;
    if (typeof listener === 'function') this.on('message', listener);
  }

  /** As `socket.bind([port][, address][, callback])` or `socket.bind(options[, callback])`; 'listening' follows. */
  bind(port?: number | DgramBindOptions | (() => void), address?: string | (() => void), callback?: () => void): this {
    let p: unknown = port;
    let a: unknown = address;
    let cb: unknown = callback;
    if (typeof p === 'function') {
      cb = p;
      p = 0;
      a = undefined;
    } else if (p !== null && typeof p === 'object') {
      cb = a;
      a = (p as DgramBindOptions).address;
      p = (p as DgramBindOptions).port;
    } else if (typeof a === 'function') {
      cb = a;
      a = undefined;
    }
    this.#healthCheck();
    if (this.#bindState !== UNBOUND) throw nodeError('ERR_SOCKET_ALREADY_BOUND');
    this.#bindState = BINDING;
    if (typeof cb === 'function') this.once('listening', cb as () => void);
    // libuv takes the port as an unsigned 16-bit integer: Node does not validate it (70000 binds 4464)
    const reqPort = (Number(p) | 0) & 0xffff;
    const text = typeof a === 'string' && a !== '' ? a : this.#family === 4 ? '0.0.0.0' : '::';
    // Node resolves the address first (dns.lookup, asynchronous even for a literal), then binds
    nextTick(() => this.#doBind(reqPort, text));
    return this;
  }

  #doBind(port: number, text: string): void {
    if (this.#closed) return;
    const resolved = this.#resolve(text);
    let err: SynackError | null = null;
    if (typeof resolved === 'string') {
      err = resolved === 'ENOTFOUND' ? notFound(text) : sysError(resolved, 'bind', text, port || undefined);
    } else {
      const wildcard = resolved.version === 4 ? resolved.v4 === 0 : resolved.v6!.every((x) => x === 0);
      const b = this.#stack.udp.bind(this.#family, wildcard ? null : resolved, port, {
        datagram: (m, f, fp) => this.#datagram(m, f, fp),
        error: (errno) => this.#icmpError(errno),
      });
      if (typeof b === 'string') err = sysError(b, 'bind', resolved.text, port || undefined);
      else this.#binding = b;
    }
    if (err) {
      this.#bindState = UNBOUND;
      this.#queue = null;
      this.emit('error', err);
      return;
    }
    this.#bindState = BOUND;
    this.#updateHold();
    this.emit('listening');
    const queue = this.#queue ?? [];
    this.#queue = null;
    for (const fn of queue) fn();
  }

  /**
   * As `socket.send(msg[, offset, length][, port][, address][, callback])`: an unbound socket binds to
   * a random port first; a connected one sends to its peer and refuses a port or address.
   */
  send(msg: Message, ...args: unknown[]): void {
    let [offset, length, port, address, callback] = args as [unknown, unknown, unknown, unknown, unknown];
    let list: unknown = msg;
    const connected = this.#connectState === BOUND;
    if (!connected) {
      if (address || (port && typeof port !== 'function')) {
        list = slice(msg, offset, length);
      } else {
        callback = port;
        port = offset;
        address = length;
      }
    } else {
      if (typeof length === 'number') {
        list = slice(msg, offset, length);
        if (typeof port === 'function') {
          callback = port;
          port = null;
        }
      } else {
        callback = offset;
      }
      if (port || address) throw nodeError('ERR_SOCKET_DGRAM_IS_CONNECTED');
    }
    const chunks = toChunks(list);
    if (!connected) port = validatePort(port);
    if (typeof callback !== 'function') callback = undefined;
    if (typeof address === 'function') {
      callback = address;
      address = undefined;
    } else if (address != null && typeof address !== 'string') {
      throw invalidArgType('address', 'string', address);
    }
    this.#healthCheck();
    if (this.#bindState === UNBOUND) this.bind({ port: 0, exclusive: true });
    if (this.#bindState !== BOUND) {
      this.#enqueue(() => this.#doSend(chunks, port as number, address as string | undefined, callback as DgramSendCallback | undefined));
      return;
    }
    this.#doSend(chunks, port as number, address as string | undefined, callback as DgramSendCallback | undefined);
  }

  #doSend(chunks: Uint8Array[], port: number, address: string | undefined, cb: DgramSendCallback | undefined): void {
    const b = this.#binding;
    if (!b) return;
    const payload = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    let remote: IpAddr | string;
    let remotePort: number;
    if (this.#connectState === BOUND) {
      remote = b.remote!;
      remotePort = b.remotePort;
    } else {
      remote = this.#resolve(address || (this.#family === 4 ? '127.0.0.1' : '::1'));
      remotePort = port;
    }
    if (typeof remote === 'string') {
      const err = remote === 'ENOTFOUND' ? notFound(address!) : sysError(remote, 'send', address, remotePort);
      if (cb) nextTick(() => cb(err, 0));
      else nextTick(() => this.emit('error', err));
      return;
    }
    const errno = this.#stack.udp.send(b, payload, remote, remotePort);
    // as Node: a synchronous send error goes to the callback; without one it is dropped
    if (errno !== null) {
      if (cb) {
        const err = sysError(errno, 'send', remote.text, remotePort);
        if (err.errno === undefined && errno in EXTRA_ERRNO) err.errno = EXTRA_ERRNO[errno];
        nextTick(() => cb(err, 0));
      }
      return;
    }
    // the datagram is out; as in Node, a socket closed before the send completes never calls back
    if (cb) nextTick(() => this.#closed || cb(null, payload.length));
  }

  /** As `socket.connect(port[, address][, callback])`: datagrams go to and come only from that peer; 'connect' follows. */
  connect(port: number, address?: string | (() => void), callback?: () => void): void {
    port = validatePort(port);
    let a: unknown = address;
    let cb = callback;
    if (typeof a === 'function') {
      cb = a as () => void;
      a = '';
    } else if (a === undefined) {
      a = '';
    }
    if (typeof a !== 'string') throw invalidArgType('address', 'string', a);
    if (this.#connectState !== UNBOUND) throw nodeError('ERR_SOCKET_DGRAM_IS_CONNECTED');
    this.#connectState = BINDING;
    if (this.#bindState === UNBOUND) this.bind({ port: 0, exclusive: true });
    const go = (): void => this.#doConnect(port, a as string, cb);
    if (this.#bindState !== BOUND) this.#enqueue(go);
    else go();
  }

  #doConnect(port: number, address: string, cb: (() => void) | undefined): void {
    const b = this.#binding;
    if (!b) return;
    if (cb) this.once('connect', cb);
    const remote = this.#resolve(address || (this.#family === 4 ? '127.0.0.1' : '::1'));
    if (typeof remote === 'string') {
      this.#connectState = UNBOUND;
      const err = remote === 'ENOTFOUND' ? notFound(address) : sysError(remote, 'connect', address, port);
      nextTick(() => {
        if (cb) {
          this.removeListener('connect', cb);
          (cb as (e: Error) => void)(err);
        } else {
          this.emit('error', err);
        }
      });
      return;
    }
    b.remote = remote;
    b.remotePort = port;
    this.#connectState = BOUND;
    nextTick(() => this.emit('connect'));
  }

  /** As `socket.disconnect()`: back to an unconnected socket (ERR_SOCKET_DGRAM_NOT_CONNECTED if it was not). */
  disconnect(): void {
    this.#healthCheck();
    if (this.#connectState !== BOUND) throw nodeError('ERR_SOCKET_DGRAM_NOT_CONNECTED');
    this.#binding!.remote = null;
    this.#binding!.remotePort = 0;
    this.#connectState = UNBOUND;
  }

  /** As `socket.address()`: the bound address and port (EBADF before bind, as Node's getsockname). */
  address(): DgramAddressInfo {
    this.#healthCheck();
    const b = this.#binding;
    if (!b) throw makeError('EBADF', 'getsockname EBADF', { errno: -9, syscall: 'getsockname' });
    const text = b.local ? b.local.text : this.#family === 4 ? '0.0.0.0' : '::';
    return { address: text, family: this.#family === 4 ? 'IPv4' : 'IPv6', port: b.port };
  }

  /** As `socket.remoteAddress()`: the connected peer (ERR_SOCKET_DGRAM_NOT_CONNECTED if none). */
  remoteAddress(): DgramAddressInfo {
    this.#healthCheck();
    const b = this.#binding;
    if (this.#connectState !== BOUND || !b || !b.remote) throw nodeError('ERR_SOCKET_DGRAM_NOT_CONNECTED');
    return { address: b.remote.text, family: this.#family === 4 ? 'IPv4' : 'IPv6', port: b.remotePort };
  }

  /** As `socket.close([callback])`: unbinds; 'close' follows (ERR_SOCKET_DGRAM_NOT_RUNNING if already closed). */
  close(callback?: () => void): this {
    if (typeof callback === 'function') this.on('close', callback);
    if (this.#queue !== null) {
      this.#queue.push(() => this.close());
      return this;
    }
    this.#healthCheck();
    this.#closed = true;
    if (this.#binding) this.#stack.udp.unbind(this.#binding);
    this.#binding = null;
    this.#updateHold();
    nextTick(() => this.emit('close'));
    return this;
  }

  /** As `socket.ref()`: a bound socket keeps the process alive (the default). */
  ref(): this {
    this.#refd = true;
    this.#updateHold();
    return this;
  }

  /** As `socket.unref()`: this socket alone no longer keeps the process alive. */
  unref(): this {
    this.#refd = false;
    this.#updateHold();
    return this;
  }

  #datagram(payload: Uint8Array, from: IpAddr, fromPort: number): void {
    const msg = Buffer.from(payload);
    const rinfo: DgramRemoteInfo = { address: from.text, family: from.version === 4 ? 'IPv4' : 'IPv6', port: fromPort, size: msg.length };
    // delivered from the clock's deferred queue, not inside the stack's input call (as libuv's recv callback)
    this.#stack.clock.defer(() => {
      if (!this.#closed) this.emit('message', msg, rinfo);
    });
  }

  /**
   * An ICMP error for this connected socket: the kernel queues it and libuv's next recvmsg returns
   * it, which Node emits as 'error' (`recvmsg ECONNREFUSED`).
   */
  #icmpError(errno: string): void {
    const err = makeError(errno, `recvmsg ${errno}`, { syscall: 'recvmsg' });
    this.#stack.clock.defer(() => {
      if (!this.#closed) this.emit('error', err);
    });
  }

  /** In Node a bound (receiving) UDP handle is active; ref'd, it keeps the event loop alive. */
  #updateHold(): void {
    const holds = this.#refd && !this.#closed && this.#binding !== null;
    if (holds === this.#held) return;
    this.#held = holds;
    this.#stack.liveness.add(holds ? 1 : -1);
  }

  /** Node's enqueue(): a send or connect before the bind completes waits for it (close joins the queue only if one exists). */
  #enqueue(fn: () => void): void {
    (this.#queue ??= []).push(fn);
  }

  #healthCheck(): void {
    if (this.#closed) throw nodeError('ERR_SOCKET_DGRAM_NOT_RUNNING');
  }

  /** An IP literal of this socket's family, or 'localhost'; else the errno. */
  #resolve(text: string): IpAddr | string {
    if (text === 'localhost') text = this.#family === 4 ? '127.0.0.1' : '::1';
    const ip = ipFromText(text);
    if (!ip) return 'ENOTFOUND';
    if (ip.version !== this.#family) return 'EINVAL';
    return ip;
  }
}

const EXTRA_ERRNO: Record<string, number> = { EMSGSIZE: -90, EINVAL: -22 };

function notFound(host: string): SynackError {
  return makeError('ENOTFOUND', `getaddrinfo ENOTFOUND ${host}`, { syscall: 'getaddrinfo', hostname: host } as Partial<SynackError>);
}

/** Node's validatePort(port, 'Port', false): an integer 1..65535, as a number or a numeric string; returned as a number. */
function validatePort(port: unknown): number {
  const ok =
    (typeof port === 'number' || (typeof port === 'string' && port.trim() !== '')) &&
    Number(port) === Number(port) >>> 0 &&
    Number(port) > 0 &&
    Number(port) <= 0xffff;
  if (!ok) {
    throw socketBadPort('Port', port, false);
  }
  return Number(port);
}

/** Node's sliceBuffer: a string becomes a Buffer; offset and length pick a part of one buffer. */
function slice(msg: unknown, offset: unknown, length: unknown): unknown {
  const buf = typeof msg === 'string' ? Buffer.from(msg) : msg;
  if (!(buf instanceof Uint8Array)) return buf;
  const off = (Number(offset) >>> 0) || 0;
  const len = length === undefined ? buf.length - off : Number(length) >>> 0;
  return buf.subarray(off, off + len);
}

/** One message as chunks: a string, buffer, typed array, DataView, or an array of them. */
function toChunks(list: unknown): Uint8Array[] {
  const one = (x: unknown): Uint8Array | null => {
    if (typeof x === 'string') return Buffer.from(x);
    if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    return null;
  };
  if (Array.isArray(list)) {
    const out: Uint8Array[] = [];
    for (const x of list) {
      const c = one(x);
      if (!c) throw invalidArgType('buffer list arguments', ['string', 'Buffer', 'TypedArray', 'DataView'], list);
      out.push(c);
    }
    return out.length === 0 ? [new Uint8Array(0)] : out;
  }
  const c = one(list);
  if (!c) throw invalidArgType('buffer', ['string', 'Buffer', 'TypedArray', 'DataView'], list);
  return [c];
}

/** `node:dgram` over one synack stack (`stack.dgram`). */
export interface DgramApi {
  /** As `dgram.createSocket(type | options[, callback])`; the callback listens for 'message'. */
  createSocket(type: DgramSocketType | DgramSocketOptions, callback?: (msg: Buffer, rinfo: DgramRemoteInfo) => void): DgramSocket;
  /** The socket class, bound to this stack: `new stack.dgram.Socket('udp4')`. */
  Socket: new (type: DgramSocketType | DgramSocketOptions, callback?: (msg: Buffer, rinfo: DgramRemoteInfo) => void) => DgramSocket;
}

/** Build `stack.dgram` for one stack. */
export function createDgram(stack: Stack): DgramApi {
  return {
    createSocket: (type, callback) => new DgramSocket(stack, type, callback),
    Socket: boundTo<DgramSocket, [type: DgramSocketType | DgramSocketOptions, callback?: (msg: Buffer, rinfo: DgramRemoteInfo) => void]>(DgramSocket, stack),
  };
}

// loading this module is what gives every stack its `dgram` (package.json lists it under sideEffects)
provideDgramApi(createDgram);
