/** `#platform/inspect` on Node, Deno and Bun: util.inspect, which Node's error messages use. */
export { inspect } from 'node:util';
