/**
 * Random bytes from the Web Crypto API (`globalThis.crypto`), which Node 20+, Deno, Bun, browsers
 * and workers all have, so the core needs no `node:crypto`.
 */
import { makeError } from '../errors.js';

export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (typeof c?.getRandomValues !== 'function') {
    throw makeError('ERR_NO_CRYPTO', 'synack needs globalThis.crypto.getRandomValues (Web Crypto) for its secrets; pass { seed } for a deterministic stack instead');
  }
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65536 bytes a call
  for (let off = 0; off < n; off += 65536) c.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}
