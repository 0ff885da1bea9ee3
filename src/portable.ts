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
// forwarding: a stack that takes flows to any address (`stack.forwardTcp`, `stack.forwardUdp`)
export {
  TcpForwarder,
  TcpForwardRequest,
  type TcpForwardOptions,
  type TcpForwardAcceptOptions,
  type TcpForwardCounters,
  type TcpForwardHandler,
  type TcpForwardRequestState,
} from './stack/forwarder.js';
export { UdpForwarder, type UdpForwardedDatagram, type UdpForwardHandler, type UdpEndpoint, type UdpForwardCounters } from './stack/forwarder-udp.js';
