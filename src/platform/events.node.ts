/** `#platform/events` on Node, Deno and Bun: Node's own EventEmitter. */
export { EventEmitter } from 'node:events';
