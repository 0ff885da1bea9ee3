import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt, seqMax } from '../../src/tcp/seq.js';

const U32 = 0x1_0000_0000;
const u32 = fc.integer({ min: 0, max: U32 - 1 });
/** a forward distance that stays comparable: (0, 2^31) */
const forward = fc.integer({ min: 1, max: 2 ** 31 - 1 });

describe('RFC 9293 §3.4 sequence arithmetic modulo 2^32', () => {
  it('seqAdd wraps past 2^32 - 1 to 0', () => {
    expect(seqAdd(0xffffffff, 1)).toBe(0);
    expect(seqAdd(0xfffffff0, 0x20)).toBe(0x10);
    expect(seqAdd(5, -10)).toBe(0xfffffffb);
  });

  it('seqDiff is the signed distance across the wrap', () => {
    expect(seqDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(seqDiff(0xfffffff0, 0x10)).toBe(-0x20);
    expect(seqDiff(7, 7)).toBe(0);
  });

  it('a number just past the wrap is greater than one just before it', () => {
    expect(seqLt(0xffffffff, 0)).toBe(true);
    expect(seqGt(0, 0xffffffff)).toBe(true);
    expect(seqLe(0xfffffffe, 1)).toBe(true);
    expect(seqGe(1, 0xfffffffe)).toBe(true);
    expect(seqMax(0xfffffff0, 0x10)).toBe(0x10);
  });

  it('seqInRange is half-open [lo, hi) and works when the range straddles the wrap', () => {
    const lo = 0xfffffff0;
    const hi = 0x10;
    expect(seqInRange(lo, lo, hi)).toBe(true);
    expect(seqInRange(0xffffffff, lo, hi)).toBe(true);
    expect(seqInRange(0, lo, hi)).toBe(true);
    expect(seqInRange(0xf, lo, hi)).toBe(true);
    expect(seqInRange(hi, lo, hi)).toBe(false);
    expect(seqInRange(lo - 1, lo, hi)).toBe(false);
  });

  it('for any a and forward distance d: a < a+d, a+d > a, and seqDiff recovers d', () => {
    fc.assert(
      fc.property(u32, forward, (a, d) => {
        const b = seqAdd(a, d);
        expect(seqLt(a, b)).toBe(true);
        expect(seqLe(a, b)).toBe(true);
        expect(seqGt(b, a)).toBe(true);
        expect(seqGe(b, a)).toBe(true);
        expect(seqLt(b, a)).toBe(false);
        expect(seqDiff(b, a)).toBe(d);
        expect(seqDiff(a, b)).toBe(-d);
        expect(seqMax(a, b)).toBe(b);
      }),
    );
  });

  it('seqAdd always yields a u32 and is invertible', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (a, n) => {
        const b = seqAdd(a, n);
        expect(Number.isInteger(b) && b >= 0 && b < U32).toBe(true);
        expect(seqAdd(b, -n)).toBe(a);
      }),
    );
  });

  it('x is in [lo, lo+len) exactly when its offset from lo is below len, wherever lo sits', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: -(2 ** 30), max: 2 ** 31 - 1 }), (lo, len, off) => {
        const x = seqAdd(lo, off);
        expect(seqInRange(x, lo, seqAdd(lo, len))).toBe(off >= 0 && off < len);
      }),
    );
  });
});
