import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checksum, finish, fold, pseudoSumV4, pseudoSumV6, sum } from '../../src/wire/checksum.js';
import { hex, refChecksum } from './fixtures.js';

describe('Internet checksum (RFC 1071)', () => {
  it('matches the RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2', () => {
    const b = hex('0001f203f4f5f6f7');
    expect(sum(b, 0, 8)).toBe(0x2ddf0);
    expect(fold(sum(b, 0, 8))).toBe(0xddf2);
    expect(finish(sum(b, 0, 8))).toBe(0x220d);
  });

  it('pads an odd-length region with a zero low byte', () => {
    const b = hex('010203');
    expect(sum(b, 0, 3)).toBe(0x0102 + 0x0300);
    expect(checksum(b, 0, 3)).toBe(~0x0402 & 0xffff);
  });

  it('aligns words on the given offset, even when it is odd', () => {
    const b = hex('ff0102030405');
    expect(sum(b, 1, 5)).toBe(0x0102 + 0x0304 + 0x0500);
  });

  it('gives 0 when a region already containing its correct checksum is summed again', () => {
    const b = hex('4500003c1c464000400600000a0000010a000002');
    const c = checksum(b, 0, 20);
    expect(c).toBe(0x0a74);
    b[10] = c >> 8;
    b[11] = c & 0xff;
    expect(checksum(b, 0, 20)).toBe(0);
  });

  it('of nothing is 0xffff', () => {
    expect(finish(0)).toBe(0xffff);
    expect(finish(sum(new Uint8Array(0), 0, 0))).toBe(0xffff);
  });

  it('keeps every carry over a large buffer (4 MiB of 0xff folds to 0xffff)', () => {
    const b = new Uint8Array(4 << 20).fill(0xff);
    expect(fold(sum(b, 0, b.length))).toBe(0xffff);
    expect(fold(sum(b, 0, b.length, 2 ** 52))).toBe(fold(2 ** 52 + 0xffff));
  });

  it('equals a naive reference checksum for any bytes, offset and length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (b, a, l) => {
        const off = b.length ? a % b.length : 0;
        const len = b.length ? l % (b.length - off + 1) : 0;
        expect(checksum(b, off, len)).toBe(refChecksum([b.slice(off, off + len)]));
      }),
      { numRuns: 500 },
    );
  });

  it('chains over even-length chunks to the same result as one pass', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (b, cut) => {
        const at = b.length ? (cut % (b.length + 1)) & ~1 : 0;
        const chained = sum(b, at, b.length - at, sum(b, 0, at));
        expect(fold(chained)).toBe(fold(sum(b, 0, b.length)));
      }),
      { numRuns: 300 },
    );
  });

  it('pseudoSumV4 equals summing the explicit 12-byte pseudo-header (RFC 9293 §3.1)', () => {
    const ph = hex('c0a80001 0a0000ff 00 06 05dc');
    expect(fold(pseudoSumV4(0xc0a80001, 0x0a0000ff, 6, 1500))).toBe(fold(sum(ph, 0, 12)));
  });

  it('pseudoSumV6 equals summing the explicit 40-byte pseudo-header (RFC 8200 §8.1)', () => {
    const src = hex('20010db8000000000000000000000001');
    const dst = hex('fe800000000000000202b3fffe1e8329');
    const ph = new Uint8Array(40);
    ph.set(src, 0);
    ph.set(dst, 16);
    ph.set(hex('00012345 000000 06'), 32);
    expect(fold(pseudoSumV6(src, dst, 6, 0x12345))).toBe(fold(sum(ph, 0, 40)));
  });
});
