/**
 * `stack.net`: the node:net API for TCP over one synack stack. Code written for node:net works
 * unchanged: `stack.net.createServer(...)`, `stack.net.connect(...)`, `new stack.net.Socket()`,
 * and, as in node:net, `stack.net.Socket()` and `stack.net.Server()` without `new`.
 * docs/net-compat.md lists every export of node:net and how this one compares.
 */
import { BlockList, SocketAddress, isIP, isIPv4, isIPv6 } from '#platform/net';
import type { NetConnectOpts } from 'node:net';
import { provideNetApi } from '../stack/net-provider.js';
import type { Stack } from '../stack/stack.js';
import { Server, type ServerOptions } from './server.js';
import { Socket, type SocketConnectOptions, type SocketOptions } from './socket.js';
import { normalizeArgs } from './validate.js';
import { optionsMadeByConnect } from './connect-attempt.js';

/** A class that, like node:net's Socket and Server, may also be called without `new`. */
export interface CallableClass<T, A extends unknown[]> {
  new (...args: A): T;
  (...args: A): T;
  readonly prototype: T;
}

type ConnectionListener = (socket: Socket) => void;
import {
  getDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout,
  setDefaultAutoSelectFamily,
  setDefaultAutoSelectFamilyAttemptTimeout,
} from './lookup.js';

/** `node:net` over one synack stack (`stack.net`): the same functions and classes, bound to it. */
export interface NetApi {
  /** As `net.createServer([options][, connectionListener])`. */
  createServer(listener?: ConnectionListener): Server;
  /** As `net.createServer(options[, connectionListener])`. */
  createServer(options?: ServerOptions, listener?: ConnectionListener): Server;
  /** As `net.connect(options[, connectListener])`, `net.connect(port[, host][, connectListener])`. */
  connect(options: (SocketConnectOptions & SocketOptions) | NetConnectOpts, connectListener?: () => void): Socket;
  /** As `net.connect(port[, host][, connectListener])`. */
  connect(port: number, host?: string, connectListener?: () => void): Socket;
  /** As `net.connect(port[, connectListener])`. */
  connect(port: number, connectListener?: () => void): Socket;
  /** typed as node:net's; synack has no IPC sockets and throws ERR_INVALID_ARG_VALUE */
  connect(path: string, connectListener?: () => void): Socket;
  /** An alias of `connect`, as in Node. */
  createConnection: NetApi['connect'];
  Socket: CallableClass<Socket, [options?: SocketOptions]>;
  /** node:net's old name for Socket */
  Stream: CallableClass<Socket, [options?: SocketOptions]>;
  Server: CallableClass<Server, [options?: ServerOptions | ConnectionListener, listener?: ConnectionListener]>;
  /** Node's own: pure data, shared by every stack */
  BlockList: typeof BlockList;
  SocketAddress: typeof SocketAddress;
  /** Node's own `net.isIP`. */
  isIP: typeof isIP;
  /** Node's own `net.isIPv4`. */
  isIPv4: typeof isIPv4;
  /** Node's own `net.isIPv6`. */
  isIPv6: typeof isIPv6;
  /** The default of connect()'s `autoSelectFamily` (Node 20: true). */
  getDefaultAutoSelectFamily: typeof getDefaultAutoSelectFamily;
  /** Set the default of connect()'s `autoSelectFamily`. */
  setDefaultAutoSelectFamily: typeof setDefaultAutoSelectFamily;
  /** The default of connect()'s `autoSelectFamilyAttemptTimeout` in ms (Node: 250). */
  getDefaultAutoSelectFamilyAttemptTimeout: typeof getDefaultAutoSelectFamilyAttemptTimeout;
  /** Set the default attempt timeout (an integer >= 1; below 10 becomes 10, as in Node). */
  setDefaultAutoSelectFamilyAttemptTimeout: typeof setDefaultAutoSelectFamilyAttemptTimeout;
}

/** Wrap a class so that calling it without `new` constructs it, as node:net's constructors allow. */
function callable<T, A extends unknown[]>(cls: new (...args: A) => T): CallableClass<T, A> {
  const wrapped: CallableClass<T, A> = new Proxy(cls, {
    apply: (target, _self, args: unknown[]) => new target(...(args as A)),
    // `new` through the proxy constructs with the class itself as new.target: V8 derives a fresh
    // hidden class for every instance whose new.target is not a plain function (a Proxy), which
    // cost 3.8 KiB of maps per connection pair; a subclass of it keeps its own new.target
    construct: (target, args: unknown[], newTarget: object) =>
      (newTarget === wrapped ? new target(...(args as A)) : Reflect.construct(target, args, newTarget as typeof target)) as object,
  }) as unknown as CallableClass<T, A>;
  // `socket.constructor === stack.net.Socket`, as in node:net
  Object.defineProperty(cls.prototype, 'constructor', { value: wrapped, writable: true, configurable: true, enumerable: false });
  return wrapped;
}

export function createNet(stack: Stack): NetApi {
  class BoundSocket extends Socket {
    constructor(opts?: SocketOptions) {
      super(stack, opts);
    }
  }
  // every socket of this class belongs to `stack`: on the prototype, not a field in each socket
  Object.defineProperty(BoundSocket.prototype, 'stack', { value: stack, writable: true, enumerable: false, configurable: true });
  class BoundServer extends Server {
    constructor(options?: ServerOptions | ConnectionListener, listener?: ConnectionListener) {
      super(stack, options, listener);
    }
    /** @internal an accepted connection's socket: the stack's Socket class, built without the callable proxy's trap */
    protected override newSocket(opts: SocketOptions): Socket {
      return new BoundSocket(opts);
    }
  }
  const SocketClass = callable(BoundSocket);
  /** net.connect: a new Socket with the options, its idle timeout, then connect (as Node's). */
  function connect(...args: unknown[]): Socket {
    const { options, cb } = normalizeArgs(args);
    const socket = new BoundSocket(options as SocketOptions);
    if (options.timeout) socket.setTimeout(options.timeout as number);
    if (options !== args[0]) optionsMadeByConnect(options);
    return socket.connect(options as unknown as SocketConnectOptions, (cb ?? undefined) as (() => void) | undefined);
  }
  return {
    createServer: ((options?: ServerOptions | ConnectionListener, listener?: ConnectionListener) => new BoundServer(options, listener)) as NetApi['createServer'],
    connect: connect as NetApi['connect'],
    createConnection: connect as NetApi['connect'],
    Socket: SocketClass,
    Stream: SocketClass,
    Server: callable(BoundServer),
    BlockList,
    SocketAddress,
    isIP,
    isIPv4,
    isIPv6,
    getDefaultAutoSelectFamily,
    setDefaultAutoSelectFamily,
    getDefaultAutoSelectFamilyAttemptTimeout,
    setDefaultAutoSelectFamilyAttemptTimeout,
  };
}

// loading this module is what gives every stack its `net` (package.json lists it under sideEffects)
provideNetApi(createNet);
