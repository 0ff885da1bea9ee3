/**
 * `#platform/stream` in browsers and workers: the `readable-stream` package (Node's stream code,
 * published for other runtimes), so Node-style libraries bundled for the page work over stack.net.
 */
import { nextTicksUseTimers } from './defer.js';

// @ts-ignore -- readable-stream ships no types; the Node build's types (stream.node.ts) describe it
export { Duplex, addAbortSignal } from 'readable-stream';

/** readable-stream's browser build leaves this out: Node 20's defaults (16 KiB, 16 objects). */
export function getDefaultHighWaterMark(objectMode: boolean): number {
  return objectMode ? 16 : 16 * 1024;
}

// readable-stream defers through the `process` package, whose nextTick is a setTimeout(0)
nextTicksUseTimers();
