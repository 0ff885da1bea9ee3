/**
 * The Internet checksum (RFC 1071): the 16-bit one's-complement of the one's-complement sum
 * of the data taken as big-endian 16-bit words.
 *
 * The running sum is kept *unfolded* as an ordinary JS number: RFC 1071 §2(B) notes the sum
 * is independent of when the carries are folded back in, so we add plain integers and fold
 * only at the end (or when the accumulator grows large). Every addition here is at most
 * 4 × 0xffff, so a sum over any Uint8Array that fits in memory stays far below 2^53.
 */

/** Fold an accumulator that may exceed 32 bits down to a value below 2^32 without losing carries. */
function foldWide(acc: number): number {
  // x = hi * 2^16 + lo ≡ hi + lo (mod 0xffff): RFC 1071 §2(A), end-around carry.
  while (acc > 0xffffffff) acc = Math.floor(acc / 65536) + (acc % 65536);
  return acc;
}

/**
 * Add `len` bytes of `buf` starting at `off` to the running sum `acc`, as big-endian 16-bit
 * words aligned on `off`. An odd final byte is padded with a zero low byte (RFC 1071 §4.1).
 * When chaining calls, every chunk except the last must have an even length.
 */
export function sum(buf: Uint8Array, off: number, len: number, acc = 0): number {
  let s = acc > 0xffffffff ? foldWide(acc) : acc;
  let i = off;
  const end = off + len;
  if (len >= 128 && LITTLE_ENDIAN && ((buf.byteOffset + off) & 1) === 0) {
    // Large regions: 32 bits at a time through an aligned view. The view reads in host (little-
    // endian) order, and RFC 1071 §2(B) says the sum of byte-swapped words is the byte-swapped sum.
    if ((buf.byteOffset + i) & 2) {
      s += (buf[i] << 8) | buf[i + 1];
      i += 2;
    }
    const words = (end - i) >>> 2;
    const u = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    // each word is hi·2^16 + lo ≡ hi + lo (mod 0xffff); two accumulators, folded every 16384 words
    // so both stay small integers (< 2^30)
    let t = 0;
    let t1 = 0;
    let k = 0;
    while (k + 1 < words) {
      const stop = Math.min(words - 1, k + 16384);
      for (; k < stop; k += 2) {
        const w0 = u[k]!;
        const w1 = u[k + 1]!;
        t += (w0 >>> 16) + (w0 & 0xffff);
        t1 += (w1 >>> 16) + (w1 & 0xffff);
      }
      t = (t >>> 16) + (t & 0xffff) + (t1 >>> 16) + (t1 & 0xffff);
      t1 = 0;
    }
    if (k < words) t += (u[k]! >>> 16) + (u[k]! & 0xffff);
    t = (t >>> 16) + (t & 0xffff);
    t = (t >>> 16) + (t & 0xffff);
    s += ((t & 0xff) << 8) | (t >>> 8);
    i += words << 2;
  }
  // Unrolled: four words per iteration.
  const end8 = end - 7;
  while (i < end8) {
    s +=
      ((buf[i] << 8) | buf[i + 1]) +
      ((buf[i + 2] << 8) | buf[i + 3]) +
      ((buf[i + 4] << 8) | buf[i + 5]) +
      ((buf[i + 6] << 8) | buf[i + 7]);
    i += 8;
  }
  const end2 = end - 1;
  while (i < end2) {
    s += (buf[i] << 8) | buf[i + 1];
    i += 2;
  }
  if (i < end) s += buf[i] << 8;
  return s;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Fold a running sum to 16 bits (end-around carry) without complementing it. */
export function fold(acc: number): number {
  let s = foldWide(acc);
  s = (s >>> 16) + (s & 0xffff);
  s = (s >>> 16) + (s & 0xffff);
  return s;
}

/**
 * Fold to 16 bits and take the one's complement: the value for the header checksum field.
 * Summing a region that already contains a correct checksum gives 0 here (RFC 1071 §1(3)).
 */
export function finish(acc: number): number {
  return ~fold(acc) & 0xffff;
}

/** Convenience: the checksum of one region, `finish(sum(buf, off, len, acc))`. */
export function checksum(buf: Uint8Array, off: number, len: number, acc = 0): number {
  return finish(sum(buf, off, len, acc));
}

/**
 * The IPv4 pseudo-header sum (RFC 9293 §3.1, "Checksum"): source, destination, zero+PTCL,
 * and the TCP length (header + data). Addresses are u32 numbers.
 */
export function pseudoSumV4(src: number, dst: number, protocol: number, length: number): number {
  return (
    (src >>> 16) +
    (src & 0xffff) +
    (dst >>> 16) +
    (dst & 0xffff) +
    (protocol & 0xff) +
    (length & 0xffff)
  );
}

/**
 * The IPv6 pseudo-header sum (RFC 8200 §8.1): 16-byte source and destination, the 32-bit
 * upper-layer packet length, three zero bytes and the next-header value of the upper layer.
 */
export function pseudoSumV6(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  length: number,
): number {
  let s = sum(src, 0, 16);
  s = sum(dst, 0, 16, s);
  return s + (length >>> 16) + (length & 0xffff) + (nextHeader & 0xff);
}
