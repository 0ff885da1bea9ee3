import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/link/prng.js';

const take = (p: Prng, n: number): number[] => Array.from({ length: n }, () => p.nextU32());

describe('Prng', () => {
  it('gives the same sequence for the same seed', () => {
    expect(take(new Prng(42), 1000)).toEqual(take(new Prng(42), 1000));
  });

  it('gives different sequences for different seeds, including neighbouring ones', () => {
    const a = take(new Prng(1), 16);
    const b = take(new Prng(2), 16);
    const c = take(new Prng(0), 16);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
    expect(b).not.toEqual(c);
  });

  it('produces u32 values and floats in [0, 1)', () => {
    const p = new Prng(7);
    let bad = 0;
    for (let i = 0; i < 10_000; i++) {
      const u = p.nextU32();
      const f = p.float();
      if (!(Number.isInteger(u) && u >= 0 && u < 2 ** 32) || !(f >= 0 && f < 1)) bad++;
    }
    expect(bad).toBe(0);
  });

  it('int(n) is roughly uniform over [0, n)', () => {
    const p = new Prng(123);
    const n = 10;
    const draws = 100_000;
    const counts = new Array<number>(n).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < draws; i++) {
      const k = p.int(n);
      if (k >= 0 && k < n && Number.isInteger(k)) counts[k]!++;
      else outOfRange++;
    }
    expect(outOfRange).toBe(0);
    for (const c of counts) expect(Math.abs(c - draws / n)).toBeLessThan(draws / n / 20); // within 5%
    // chi-square with 9 degrees of freedom; 27.9 is the 0.1% critical value
    const chi2 = counts.reduce((s, c) => s + (c - draws / n) ** 2 / (draws / n), 0);
    expect(chi2).toBeLessThan(27.9);
  });

  it('float() has a mean near 1/2', () => {
    const p = new Prng(99);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += p.float();
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.01);
  });

  it('rejects bounds int() cannot serve', () => {
    const p = new Prng(1);
    expect(() => p.int(0)).toThrow(RangeError);
    expect(() => p.int(1.5)).toThrow(RangeError);
    expect(p.int(1)).toBe(0);
  });
});
