/**
 * Ephemeral port choice for connect, after Linux's __inet_hash_connect: start from a keyed hash of
 * the destination so consecutive connects to one server walk the range from an unpredictable
 * offset (RFC 6056 §3.3.3, "Double-Hash Port Selection"), and take the first port whose 4-tuple
 * is free.
 */
import { halfSipHash, type HashKey } from '../tcp/halfsiphash.js';

export function chooseEphemeralPort(
  key: HashKey,
  destWords: number[],
  range: readonly [number, number],
  counter: number,
  isFree: (port: number) => boolean,
): number | null {
  const [low, high] = range;
  const n = high - low + 1;
  const offset = (halfSipHash(key, destWords) + counter) % n;
  for (let i = 0; i < n; i++) {
    const port = low + ((offset + i) % n);
    if (isFree(port)) return port;
  }
  return null;
}
