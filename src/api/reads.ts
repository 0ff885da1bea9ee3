/**
 * Reads as Node's sockets give them: libuv reads into a 64 KiB buffer, so each 'data' chunk is
 * everything readable up to 64 KiB, however many TCP segments it came in. With the `onread`
 * option the bytes go into the caller's buffer instead and the callback sees them.
 */
import { Buffer } from '#platform/buffer';
import type { Tcb } from '../tcp/tcb.js';

/** libuv's read size for a stream (uv__read: 64 KiB), the largest chunk Node hands out. */
export const READ_SIZE = 64 * 1024;

/** node:net's `onread` option. */
export interface OnRead {
  /** a buffer reused for every read, or a function returning the buffer to read into */
  buffer: Uint8Array | (() => Uint8Array);
  /** called with the bytes read; returning false pauses reading until resume() */
  callback: (bytesRead: number, buffer: Uint8Array) => boolean | void;
}

/**
 * The largest piece copied rather than viewed when it comes alone: V8 keeps a typed array of up to
 * 64 bytes (--typed-array-max-size-in-heap) inside the object, without an ArrayBuffer, and reading
 * its `buffer` makes one and moves the bytes there (several times the cost of a copy, and one more
 * ArrayBuffer for the collector to sweep). The TCB's small pieces are such arrays (a small segment's
 * payload is sliced out of the packet).
 */
const VIEW_MIN = 65;

/**
 * One read: up to 64 KiB as one Buffer. Small segments are gathered into one copy; a piece of at
 * least half the read size (a large segment) is handed over alone, as a view, rather than copied
 * together with the start of the next one; so is any piece read alone unless it is tiny (VIEW_MIN).
 */
export function readChunk(tcb: Tcb, now: number): Buffer {
  const first = tcb.readQueue.firstLength;
  const chunks = tcb.receive(first >= READ_SIZE / 2 ? Math.min(first, READ_SIZE) : READ_SIZE, now);
  if (chunks.length === 1) {
    const c = chunks[0]!;
    if (c.length >= VIEW_MIN) return Buffer.from(c.buffer, c.byteOffset, c.length);
  }
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = Buffer.allocUnsafe(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** One read into the onread buffer; `stop` when the callback asked to pause. */
export function readInto(tcb: Tcb, onread: OnRead, now: number): { bytes: number; stop: boolean } {
  const buf = typeof onread.buffer === 'function' ? onread.buffer() : onread.buffer;
  let at = 0;
  for (const c of tcb.receive(Math.min(buf.length, READ_SIZE), now)) {
    buf.set(c, at);
    at += c.length;
  }
  const verdict = onread.callback(at, buf);
  return { bytes: at, stop: verdict === false };
}
