/** The web-standard sockets API over synack: WinterTC `connect()` and a Direct Sockets-style server. */
export { connect, type SocketOptions } from './connect.js';
export { StreamSocket, type SocketInfo, type SocketOpenInfo, type StreamSocketOptions } from './socket.js';
export { TCPServerSocket, type TCPServerSocketOptions, type TCPServerSocketOpenInfo } from './server-socket.js';
export type { SocketAddress } from './address.js';
export type { WebSocketError, WebErrorName } from './errors.js';
