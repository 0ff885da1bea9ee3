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
import { boundTo, type CallableClass } from './bound-class.js';
import { normalizeArgs } from './validate.js';
import { optionsMadeByConnect } from './connect-attempt.js';

import {
  getDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout,
  setDefaultAutoSelectFamily,
  setDefaultAutoSelectFamilyAttemptTimeout,
} from './lookup.js';

export type { CallableClass } from './bound-class.js';

type ConnectionListener = (socket: Socket) => void;

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

/** `socket.constructor === stack.net.Socket` (and the Server's), as in node:net: the stack's own bound class. */
function constructorOfItsStack(cls: typeof Socket | typeof Server, key: 'Socket' | 'Server'): void {
  Object.defineProperty(cls.prototype, 'constructor', {
    get(this: { stack?: Stack }) {
      return Object.hasOwn(this, 'stack') && this.stack ? this.stack.net[key] : cls;
    },
    configurable: true,
    enumerable: false,
  });
}
constructorOfItsStack(Socket, 'Socket');
constructorOfItsStack(Server, 'Server');

export function createNet(stack: Stack): NetApi {
  const SocketClass = boundTo<Socket, [options?: SocketOptions]>(Socket, stack);
  const ServerClass = boundTo<Server, [options?: ServerOptions | ConnectionListener, listener?: ConnectionListener]>(Server, stack);
  /** net.connect: a new Socket with the options, its idle timeout, then connect (as Node's). */
  function connect(...args: unknown[]): Socket {
    const { options, cb } = normalizeArgs(args);
    const socket = new Socket(stack, options as SocketOptions);
    if (options.timeout) socket.setTimeout(options.timeout as number);
    if (options !== args[0]) optionsMadeByConnect(options);
    return socket.connect(options as unknown as SocketConnectOptions, (cb ?? undefined) as (() => void) | undefined);
  }
  return {
    createServer: ((options?: ServerOptions | ConnectionListener, listener?: ConnectionListener) => new Server(stack, options, listener)) as NetApi['createServer'],
    connect: connect as NetApi['connect'],
    createConnection: connect as NetApi['connect'],
    Socket: SocketClass,
    Stream: SocketClass,
    Server: ServerClass,
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
