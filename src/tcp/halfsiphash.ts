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
  const round = () => {
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
  };
  const compress = (m: number) => {
    v3 = (v3 ^ m) >>> 0;
    round();
    round();
    v0 = (v0 ^ m) >>> 0;
  };
  for (let i = 0; i < words.length; i++) compress(words[i]! >>> 0);
  compress(((words.length * 4) << 24) >>> 0);
  v2 = (v2 ^ 0xff) >>> 0;
  round();
  round();
  round();
  round();
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
