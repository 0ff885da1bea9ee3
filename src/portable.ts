/**
 * synack for every JavaScript runtime (the package's `browser`/`default` export): the stack, the
 * simulator, the web-standard sockets API (`stack.connect`, `stack.listen`) and node:net's API
 * (`stack.net`, over Node's streams, or the readable-stream package where those are absent).
 * No `node:` module is imported.
 */
import './api/net.js';
import './api/dgram.js';

export * from './web.js';
export { Socket, type SocketOptions, type SocketConnectOptions } from './api/socket.js';
export { Server, type ServerOptions, type ListenOptions } from './api/server.js';
// node:dgram's API (`stack.dgram`): UDP sockets
export {
  DgramSocket,
  type DgramApi,
  type DgramSocketType,
  type DgramSocketOptions,
  type DgramBindOptions,
  type DgramAddressInfo,
  type DgramRemoteInfo,
  type DgramSendCallback,
} from './api/dgram.js';
