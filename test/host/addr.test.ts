import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressDecoder, addressBytes, decodeAddress, formatEndpoint, formatIPv6, isV4MappedHex, isWildcardHex } from '../../src/host/addr.js';
import { kernelAddr } from './helpers/kernel-format.js';

/** Independent reader of RFC 5952 text back into 16 bytes (expands "::" and a dotted IPv4 tail). */
function ipv6Bytes(text: string): number[] {
  let s = text;
  let tail: number[] = [];
  const dotted = s.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    tail = dotted[2]!.split('.').map(Number);
    s = `${dotted[1]}0:0`;
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  const out = groups.flatMap((g) => [(parseInt(g, 16) >> 8) & 255, parseInt(g, 16) & 255]);
  if (tail.length) out.splice(12, 4, ...tail);
  return out;
}

describe('addresses as /proc/net/tcp prints them', () => {
  it('rule: an IPv4 word is byte-reversed on little-endian hosts (0100007F is 127.0.0.1)', () => {
    expect(decodeAddress('0100007F', true)).toBe('127.0.0.1');
    expect(decodeAddress('0101A8C0', true)).toBe('192.168.1.1');
    expect(decodeAddress('00000000', true)).toBe('0.0.0.0');
  });

  it('rule: on big-endian hosts the same text is in network order', () => {
    expect(decodeAddress('7F000001', false)).toBe('127.0.0.1');
  });

  it('rule: tcp6 addresses are four reversed words (::1, 2001:db8::1, fe80::)', () => {
    expect(decodeAddress('00000000000000000000000001000000', true)).toBe('::1');
    expect(decodeAddress('B80D0120000000000000000001000000', true)).toBe('2001:db8::1');
    expect(decodeAddress('000080FE000000000000000000000000', true)).toBe('fe80::');
    expect(decodeAddress('00000000000000000000000000000000', true)).toBe('::');
  });

  it('rule: IPv4-mapped tcp6 addresses print as ::ffff:a.b.c.d and are recognised', () => {
    expect(decodeAddress('0000000000000000FFFF00000100007F', true)).toBe('::ffff:127.0.0.1');
    expect(decodeAddress('0000000000000000FFFF00000302010A', true)).toBe('::ffff:10.1.2.3');
    expect(isV4MappedHex('0000000000000000FFFF00000100007F', true)).toBe(true);
    expect(isV4MappedHex('00000000000000000000000001000000', true)).toBe(false);
    expect(isV4MappedHex('0100007F', true)).toBe(false);
  });

  it('rule: RFC 5952 — the longest zero run is compressed, the first of equal runs, never a single group', () => {
    expect(formatIPv6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])).toBe('2001:db8:0:1::1');
    expect(formatIPv6([0x20, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1])).toBe('2001::1:1:0:0:1');
    expect(formatIPv6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])).toBe('2001:db8:0:1:1:1:1:1');
  });

  it('rule: malformed address fields are rejected, not guessed', () => {
    expect(() => addressBytes('0100007', true)).toThrow();
    expect(() => addressBytes('0100007G', true)).toThrow();
  });

  it('rule: endpoints bracket IPv6 the way ss prints them', () => {
    expect(formatEndpoint('127.0.0.1', 80)).toBe('127.0.0.1:80');
    expect(formatEndpoint('::1', 22)).toBe('[::1]:22');
    expect(formatEndpoint('::', '*')).toBe('[::]:*');
  });

  it('rule: the wildcard is all zero digits in either family', () => {
    expect(isWildcardHex('00000000')).toBe(true);
    expect(isWildcardHex('0'.repeat(32))).toBe(true);
    expect(isWildcardHex('0100007F')).toBe(false);
  });

  it('property: any IPv4 address survives kernel encoding and decoding', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), (b) => {
        expect(decodeAddress(kernelAddr(b), true)).toBe(b.join('.'));
      }),
    );
  });

  it('property: any IPv6 address survives kernel encoding, decoding and re-reading', () => {
    const dec = new AddressDecoder(true);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })), { minLength: 16, maxLength: 16 }),
        (b) => {
          const text = dec.decode(kernelAddr(b));
          expect(ipv6Bytes(text)).toEqual(b);
          expect(text).toBe(text.toLowerCase());
          expect(text.split('::').length).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 500 },
    );
  });
});
