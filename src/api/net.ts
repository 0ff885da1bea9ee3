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

export interface NetApi {
  createServer(options?: ServerOptions | ((s: Socket) => void), listener?: (s: Socket) => void): Server;
  connect(options: SocketConnectOptions & SocketOptions, cb?: () => void): Socket;
  connect(port: number, host?: string, cb?: () => void): Socket;
  connect(port: number, cb?: () => void): Socket;
  createConnection: NetApi['connect'];
  Socket: new (opts?: SocketOptions) => Socket;
  Server: new (options?: ServerOptions | ((s: Socket) => void), listener?: (s: Socket) => void) => Server;
  isIP: typeof isIP;
  isIPv4: typeof isIPv4;
  isIPv6: typeof isIPv6;
  getDefaultAutoSelectFamily: typeof getDefaultAutoSelectFamily;
  setDefaultAutoSelectFamily: typeof setDefaultAutoSelectFamily;
  getDefaultAutoSelectFamilyAttemptTimeout: typeof getDefaultAutoSelectFamilyAttemptTimeout;
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
