import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatIPv4,
  formatIPv6,
  ipVersion,
  isIPv4,
  isIPv6,
  parseIPv4,
  parseIPv6,
} from '../../src/wire/addr.js';
import { hex, toHex } from './fixtures.js';

describe('IPv4 addresses', () => {
  it.each([
    ['0.0.0.0', 0],
    ['10.0.0.1', 0x0a000001],
    ['192.168.1.254', 0xc0a801fe],
    ['255.255.255.255', 0xffffffff],
  ])('parses %s', (s, v) => {
    expect(parseIPv4(s)).toBe(v);
  });

  it.each([
    '256.1.1.1',
    '1.2.3',
    '1.2.3.4.5',
    '',
    '1.2.3.',
    '.1.2.3',
    '1..2.3',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '01.2.3.4',
    '1.2.3.-4',
    '+1.2.3.4',
    '1.2.3.4a',
    'a.b.c.d',
    '1.2.3.1000',
    '::1',
  ])('rejects %j', (s) => {
    expect(parseIPv4(s)).toBeNull();
    expect(isIPv4(s)).toBe(false);
  });

  it('formats any u32 so that parsing gives it back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        expect(parseIPv4(formatIPv4(v))).toBe(v);
      }),
    );
    expect(formatIPv4(0xc0a801fe)).toBe('192.168.1.254');
  });
});

describe('IPv6 addresses', () => {
  it.each([
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['2001:DB8:0:0:8:800:200C:417A', '20010db80000000000080800200c417a'],
    ['ff01::101', 'ff010000000000000000000000000101'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['::13.1.68.3', '0000000000000000000000000d014403'],
    ['0:0:0:0:0:0:13.1.68.3', '0000000000000000000000000d014403'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
  ])('parses %s (RFC 4291 §2.2)', (s, h) => {
    const b = parseIPv6(s);
    expect(b).not.toBeNull();
    expect(toHex(b!)).toBe(h);
    expect(isIPv6(s)).toBe(true);
  });

  it.each([
    ':::',
    '1::2::3',
    '',
    ':',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    ':1::',
    '1::2:',
    '12345::',
    'g::',
    '1.2.3.4',
    '::1.2.3',
    '::1.2.3.4:5',
    '1.2.3.4::',
    '::256.0.0.1',
    'fe80::1%eth0',
    ' ::1',
  ])('rejects %j', (s) => {
    expect(parseIPv6(s)).toBeNull();
    expect(isIPv6(s)).toBe(false);
  });

  it.each([
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'], // §4.2.2: one zero group stays
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'], // §4.2.3: first of equal runs
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'], // §4.2.3: longest run
    ['20010db8aaaa0000bbbb00000000cccc', '2001:db8:aaaa:0:bbbb::cccc'],
    ['fe800000000000000202b3fffe1e8329', 'fe80::202:b3ff:fe1e:8329'],
    ['00000000000000000000ffffc0000201', '::ffff:192.0.2.1'], // §5: IPv4-mapped
    ['00010000000000000000000000000000', '1::'],
  ])('formats %s canonically as %s (RFC 5952 §4)', (h, s) => {
    expect(formatIPv6(hex(h))).toBe(s);
  });

  it('formats any 16 bytes so that parsing gives them back', () => {
    // Mostly-zero words so that "::" compression is exercised.
    const word = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(word, { minLength: 8, maxLength: 8 }), (ws) => {
        const b = new Uint8Array(16);
        ws.forEach((w, i) => {
          b[2 * i] = w >> 8;
          b[2 * i + 1] = w & 0xff;
        });
        const s = formatIPv6(b);
        expect(s).toBe(s.toLowerCase());
        expect(toHex(parseIPv6(s)!)).toBe(toHex(b));
      }),
      { numRuns: 500 },
    );
  });
});

describe('ipVersion', () => {
  it.each([
    ['127.0.0.1', 4],
    ['::1', 6],
    ['::ffff:1.2.3.4', 6],
    ['256.1.1.1', 0],
    ['localhost', 0],
    ['', 0],
  ] as const)('%j is version %d', (s, v) => {
    expect(ipVersion(s)).toBe(v);
  });
});
