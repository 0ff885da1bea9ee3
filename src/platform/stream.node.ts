/** `#platform/stream` on Node, Deno and Bun: Node's own streams. */
export { Duplex, addAbortSignal, getDefaultHighWaterMark } from 'node:stream';
