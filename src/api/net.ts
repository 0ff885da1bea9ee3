/**
 * `stack.net`: the node:net API for TCP over one synack stack. Code written for node:net works
 * unchanged: `stack.net.createServer(...)`, `stack.net.connect(...)`, `new stack.net.Socket()`.
 */
import { isIP, isIPv4, isIPv6 } from '#platform/net';
import { provideNetApi } from '../stack/net-provider.js';
import type { Stack } from '../stack/stack.js';
import { Server, type ServerOptions } from './server.js';
import { Socket, type SocketConnectOptions, type SocketOptions } from './socket.js';
import {
  getDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout,
  setDefaultAutoSelectFamily,
  setDefaultAutoSelectFamilyAttemptTimeout,
} from './lookup.js';

/** `node:net` over one synack stack (`stack.net`): the same functions and classes, bound to it. */
export interface NetApi {
  /** As `net.createServer([options][, connectionListener])`. */
  createServer(options?: ServerOptions | ((s: Socket) => void), listener?: (s: Socket) => void): Server;
  /** As `net.connect(options[, connectListener])`. */
  connect(options: SocketConnectOptions & SocketOptions, cb?: () => void): Socket;
  /** As `net.connect(port[, host][, connectListener])`. */
  connect(port: number, host?: string, cb?: () => void): Socket;
  /** As `net.connect(port[, connectListener])`. */
  connect(port: number, cb?: () => void): Socket;
  /** An alias of `connect`, as in Node. */
  createConnection: NetApi['connect'];
  Socket: new (opts?: SocketOptions) => Socket;
  Server: new (options?: ServerOptions | ((s: Socket) => void), listener?: (s: Socket) => void) => Server;
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

export function createNet(stack: Stack): NetApi {
  class BoundSocket extends Socket {
    constructor(opts?: SocketOptions) {
      super(stack, opts);
    }
  }
  class BoundServer extends Server {
    constructor(options?: ServerOptions | ((s: Socket) => void), listener?: (s: Socket) => void) {
      super(stack, options, listener);
    }
  }
  function connect(a: unknown, b?: unknown, c?: unknown): Socket {
    if (typeof a === 'object' && a !== null) {
      const o = a as SocketConnectOptions & SocketOptions;
      const s = new BoundSocket(o);
      return s.connect(o, b as () => void);
    }
    const s = new BoundSocket();
    if (typeof b === 'function') return s.connect(a as number, b as () => void);
    return s.connect(a as number, b as string | undefined, c as (() => void) | undefined);
  }
  return {
    createServer: (options, listener) => new BoundServer(options, listener),
    connect: connect as NetApi['connect'],
    createConnection: connect as NetApi['connect'],
    Socket: BoundSocket,
    Server: BoundServer,
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
