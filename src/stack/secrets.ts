/** The stack's secret keys (ISN, ports, timestamps, SYN cookies): random, or derived from a seed for replayable runs. */
import { randomBytes } from '../platform/random.js';
import type { HashKey } from '../tcp/halfsiphash.js';
import type { CookieKeys } from './syncookies.js';

export const SECRET_WORDS = 10;

export function randomWords(): Uint32Array {
  return new Uint32Array(randomBytes(SECRET_WORDS * 4).buffer);
}

export function seededWords(seed: number): number[] {
  // splitmix32: well-mixed words from one seed
  const out: number[] = [];
  let s = seed >>> 0;
  for (let i = 0; i < SECRET_WORDS; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    out.push((z ^ (z >>> 16)) >>> 0);
  }
  return out;
}


/** A stack's keys: ISN (RFC 6528), ephemeral ports (RFC 6056), timestamp offsets (RFC 7323), SYN cookies; `salt` seeds the challenge-ACK budget. */
export function stackKeys(seed?: number): { isn: HashKey; port: HashKey; ts: HashKey; cookies: CookieKeys; salt: number } {
  const w = seed !== undefined ? seededWords(seed) : randomWords();
  return {
    isn: [w[0]!, w[1]!],
    port: [w[2]!, w[3]!],
    ts: [w[4]!, w[5]!],
    cookies: { k0: [w[6]!, w[7]!], k1: [w[8]!, w[9]!] },
    salt: (w[0]! ^ w[9]!) >>> 0,
  };
}
