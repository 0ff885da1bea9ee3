/**
 * HalfSipHash-2-4 (the 32-bit SipHash variant Linux uses for its hash tables): a keyed hash of a
 * few 32-bit words, used for initial sequence numbers (RFC 6528), SYN cookies and ephemeral ports.
 * Written for u32 words only: callers hash addresses and ports, never strings.
 *
 * The state is kept in signed 32-bit integers (`| 0` after each addition, rotations by shifts
 * that V8 compiles to word operations) and the rounds are written out: the same bits as the
 * unsigned form, with no value ever leaving int32 (an unsigned word of 2^31 or more is a double).
 */
export type HashKey = readonly [number, number];

export function halfSipHash(key: HashKey, words: ArrayLike<number>): number {
  const k0 = key[0] | 0;
  const k1 = key[1] | 0;
  let v0 = k0;
  let v1 = k1;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  const n = words.length;
  // c = 2 compression rounds per message word, then for the length word (bytes in the top octet)
  for (let i = 0; i <= n; i++) {
    const m = i < n ? words[i]! | 0 : (n * 4) << 24;
    v3 ^= m;
    for (let r = 0; r < 2; r++) {
      v0 = (v0 + v1) | 0;
      v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
      v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0;
      v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
      v0 = (v0 + v3) | 0;
      v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
      v2 = (v2 + v1) | 0;
      v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
      v2 = (v2 << 16) | (v2 >>> 16);
    }
    v0 ^= m;
  }
  // d = 4 finalisation rounds
  v2 ^= 0xff;
  for (let r = 0; r < 4; r++) {
    v0 = (v0 + v1) | 0;
    v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
    v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0;
    v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
    v0 = (v0 + v3) | 0;
    v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
    v2 = (v2 + v1) | 0;
    v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
    v2 = (v2 << 16) | (v2 >>> 16);
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
