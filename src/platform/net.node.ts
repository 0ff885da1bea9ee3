/** `#platform/net` on Node, Deno and Bun: node:net's own address predicates, BlockList and SocketAddress. */
export { BlockList, SocketAddress, isIP, isIPv4, isIPv6 } from 'node:net';
