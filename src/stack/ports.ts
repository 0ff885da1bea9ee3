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
  const low = range[0];
  const n = range[1] - low + 1;
  const offset = ephemeralOffset(key, destWords, range, counter);
  for (let i = 0; i < n; i++) {
    const port = low + ((offset + i) % n);
    if (isFree(port)) return port;
  }
  return null;
}

/**
 * Where chooseEphemeralPort's walk starts, as an index into the range: candidate i is
 * `range[0] + ((offset + i) % size)`. For a caller that tests the candidates itself (no closure).
 */
export function ephemeralOffset(key: HashKey, destWords: number[], range: readonly [number, number], counter: number): number {
  return (halfSipHash(key, destWords) + counter) % (range[1] - range[0] + 1);
}
