/** `#platform/net` on Node, Deno and Bun: node:net's own address predicates. */
export { isIP, isIPv4, isIPv6 } from 'node:net';
