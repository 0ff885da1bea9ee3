/** `#platform/buffer` on Node, Deno and Bun: the runtime's Buffer. */
export { Buffer } from 'node:buffer';
