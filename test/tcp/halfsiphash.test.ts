import { describe, expect, it } from 'vitest';
import { halfSipHash, initialSequenceNumber } from '../../src/tcp/halfsiphash.js';

/**
 * Values of the unsigned-arithmetic implementation this one replaced (the rounds written out over
 * signed 32-bit state): the same key and words must give the same hash, so ISNs, ports and SYN
 * cookies are what they were for a given seed.
 */
const VECTORS: [[number, number], number[], number][] = [
  [[3554416254, 2802067423], [], 1431898514],
  [[3596950572, 229283573], [3256818826], 4217134253],
  [[1051550459, 3441282840], [2941955441, 551188310], 3891647767],
  [[2951033815, 1772930244], [2518396845, 639546082, 1381971571], 1516455439],
  [[1695770928, 2121308585], [3866696494, 3144468175, 1157490780, 3490719589], 2272905904],
  [[2684337210, 1511588075], [1538207304, 2103497953, 2854052358, 3104096455, 3668764404], 2224850945],
  [[1588911645, 2518522002], [33727075, 1680572000, 88489753, 3430460382, 527630783, 1194991756], 2826947176],
  [[3253908437, 3001001962], [2539649755, 1387182456, 1538766929, 654858422, 4233718199, 3939628324, 2985199757], 4072453425],
  [[3661187650, 2417027667], [3452649360, 1179132041, 3650472078, 1941297327, 2999764156, 1787378757, 1328144282, 2182172875], 773819120],
  [[2952753320, 2382780353], [1203133286, 2942447271, 321843028, 3873419005, 154978290, 2331577923, 422948032, 1929199097, 1179349310], 3920970238],
  [[0, 0], [], 95563134],
  [[4294967295, 4294967295], [4294967295, 2147483648], 2006129786],
];

describe('halfSipHash', () => {
  it('gives the same values as before for 0 to 9 words, and for extreme keys and words', () => {
    for (const [key, words, want] of VECTORS) expect(halfSipHash(key, words)).toBe(want);
  });

  it('takes typed arrays and plain arrays alike, and returns a u32', () => {
    const [key, words, want] = VECTORS[5]!;
    expect(halfSipHash(key, Uint32Array.from(words))).toBe(want);
    for (const [k, w] of VECTORS) {
      const h = halfSipHash(k, w);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
  });

  it('initialSequenceNumber adds the 4 µs clock to the hash, mod 2^32', () => {
    const [key, words, h] = VECTORS[3]!;
    expect(initialSequenceNumber(key, words, 1000)).toBe((h + 250_000) >>> 0);
  });
});
