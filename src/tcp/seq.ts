/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4, RFC 1982 serial numbers).
 * Values are kept as non-negative u32 numbers; comparisons use the signed 32-bit difference.
 */

/** a + n, wrapped to u32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Signed distance a - b in (-2^31, 2^31]. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** lo <= x < hi, modulo 2^32. */
export function seqInRange(x: number, lo: number, hi: number): boolean {
  return seqLe(lo, x) && seqLt(x, hi);
}

export function seqMax(a: number, b: number): number {
  return seqGt(a, b) ? a : b;
}
