/**
 * HalfSipHash-2-4 (the 32-bit SipHash variant Linux uses for its hash tables): a keyed hash of a
 * few 32-bit words, used for initial sequence numbers (RFC 6528), SYN cookies and ephemeral ports.
 * Written for u32 words only: callers hash addresses and ports, never strings.
 */
export type HashKey = readonly [number, number];

function rotl(x: number, b: number): number {
  return ((x << b) | (x >>> (32 - b))) >>> 0;
}

export function halfSipHash(key: HashKey, words: ArrayLike<number>): number {
  let v0 = key[0] >>> 0;
  let v1 = key[1] >>> 0;
  let v2 = (0x6c796765 ^ key[0]) >>> 0;
  let v3 = (0x74656462 ^ key[1]) >>> 0;
  // message words, then the length word; c = 2 compression rounds each, d = 4 finalisation rounds
  const n = words.length;
  for (let i = 0; i <= n + 4; i++) {
    const finalising = i > n;
    const m = i < n ? words[i]! >>> 0 : i === n ? ((n * 4) << 24) >>> 0 : 0;
    if (i === n + 1) v2 = (v2 ^ 0xff) >>> 0;
    if (!finalising) v3 = (v3 ^ m) >>> 0;
    for (let r = 0; r < (finalising ? 1 : 2); r++) {
      v0 = (v0 + v1) >>> 0;
      v1 = rotl(v1, 5) ^ v0;
      v0 = rotl(v0, 16);
      v2 = (v2 + v3) >>> 0;
      v3 = rotl(v3, 8) ^ v2;
      v0 = (v0 + v3) >>> 0;
      v3 = rotl(v3, 7) ^ v0;
      v2 = (v2 + v1) >>> 0;
      v1 = rotl(v1, 13) ^ v2;
      v2 = rotl(v2, 16);
    }
    if (!finalising) v0 = (v0 ^ m) >>> 0;
  }
  return (v1 ^ v3) >>> 0;
}

/**
 * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where M is a
 * timer ticking every 4 microseconds. `tuple` holds the addresses and ports as u32 words.
 */
export function initialSequenceNumber(secret: HashKey, tuple: ArrayLike<number>, nowMs: number): number {
  const m = Math.floor(nowMs * 250);
  return (m + halfSipHash(secret, tuple)) >>> 0;
}
