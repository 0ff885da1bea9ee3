import { describe, expect, it } from 'vitest';
import { pseudoSumV4, pseudoSumV6 } from '../../src/wire/checksum.js';
import { parseIPv4, parseIPv6 } from '../../src/wire/addr.js';
import { decodeUdp, encodeUdp, encodeUdpPacketV4, encodeUdpPacketV6, IPPROTO_UDP } from '../../src/wire/udp.js';

const A = parseIPv4('192.168.0.1')!;
const B = parseIPv4('192.168.0.199')!;
const A6 = parseIPv6('2001:db8::1')!;
const B6 = parseIPv6('2001:db8::2')!;
const ps4 = (s = A, d = B): number => pseudoSumV4(s, d, IPPROTO_UDP, 0);
const ps6 = (): number => pseudoSumV6(A6, B6, IPPROTO_UDP, 0);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * A worked vector: 192.168.0.1:1024 -> 192.168.0.199:53, payload "abcd".
 * Pseudo-header words: c0a8 0001 c0a8 00c7 0011 000c; header: 0400 0035 000c 0000; data 6162 6364.
 * Sum = 0x24B3C -> folded 0x4B3E -> checksum ~0x4B3E = 0xB4C1.
 */
const VECTOR_V4 = '04000035000cb4c161626364';

describe('RFC 768 header layout and checksum', () => {
  it('encodes ports, length and the pseudo-header checksum (known vector)', () => {
    const out = new Uint8Array(12);
    expect(encodeUdp(out, 0, 1024, 53, new TextEncoder().encode('abcd'), ps4())).toBe(12);
    expect(hex(out)).toBe(VECTOR_V4);
  });

  it('decodes the known vector: ports and payload', () => {
    const d = decodeUdp(Buffer.from(VECTOR_V4, 'hex'), 0, 12, 4, ps4());
    expect(d).toMatchObject({ srcPort: 1024, dstPort: 53 });
    expect(Buffer.from((d as { payload: Uint8Array }).payload).toString()).toBe('abcd');
  });

  it('a computed checksum of zero is sent as 0xFFFF', () => {
    // choose a source port so that the sum comes out as 0xFFFF (checksum 0): adjust by the vector's checksum
    const out = new Uint8Array(12);
    const payload = new TextEncoder().encode('abcd');
    // with checksum 0xB4C1 at source port 1024, raising the source port by 0xB4C1 makes the sum 0xFFFF
    encodeUdp(out, 0, 1024 + 0xb4c1, 53, payload, ps4());
    expect(hex(out.subarray(6, 8))).toBe('ffff');
    expect(decodeUdp(out, 0, 12, 4, ps4())).toMatchObject({ srcPort: 1024 + 0xb4c1 });
  });

  it('IPv6: the pseudo-header of RFC 8200 §8.1 (known vector)', () => {
    const pkt = encodeUdpPacketV6(A6, B6, 1024, 53, new TextEncoder().encode('abcd'));
    // 2001:0db8::1 / ::2 pseudo sum: 2001+0db8+0001 + 2001+0db8+0002 + 0011 + 000c, plus the header and data
    expect(hex(pkt.subarray(40))).toBe('04000035000c' + hex(pkt.subarray(46, 48)) + '61626364');
    let s = 0x2001 + 0x0db8 + 1 + 0x2001 + 0x0db8 + 2 + 0x11 + 0x0c + 0x0400 + 0x35 + 0x0c + 0x6162 + 0x6364;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    expect((pkt[46]! << 8) | pkt[47]!).toBe(~s & 0xffff);
    expect(decodeUdp(pkt, 40, pkt.length - 40, 6, ps6())).toMatchObject({ srcPort: 1024, dstPort: 53 });
  });
});

describe('checksum rules', () => {
  it('IPv4: a zero checksum means "none" and is accepted', () => {
    const b = Buffer.from(VECTOR_V4, 'hex');
    b[6] = 0;
    b[7] = 0;
    expect(decodeUdp(b, 0, 12, 4, ps4())).toMatchObject({ srcPort: 1024 });
  });

  it('IPv6: a zero checksum is invalid and dropped (RFC 8200 §8.1)', () => {
    const pkt = encodeUdpPacketV6(A6, B6, 1024, 53, new Uint8Array(4));
    pkt[46] = 0;
    pkt[47] = 0;
    expect(decodeUdp(pkt, 40, pkt.length - 40, 6, ps6())).toBe('udp6_zero_checksum');
  });

  it('a wrong checksum is dropped (a flipped payload bit, or a different pseudo-header)', () => {
    const b = Buffer.from(VECTOR_V4, 'hex');
    b[11] ^= 1;
    expect(decodeUdp(b, 0, 12, 4, ps4())).toBe('udp_bad_checksum');
    expect(decodeUdp(Buffer.from(VECTOR_V4, 'hex'), 0, 12, 4, ps4(A, A))).toBe('udp_bad_checksum');
  });
});

describe('Length field against the IP payload', () => {
  it('an IP payload shorter than the UDP length is dropped', () => {
    expect(decodeUdp(Buffer.from(VECTOR_V4, 'hex'), 0, 11, 4, ps4())).toBe('udp_bad_length');
  });

  it('bytes after the UDP length are ignored (the payload ends at the length)', () => {
    const b = Buffer.concat([Buffer.from(VECTOR_V4, 'hex'), Buffer.from('zz')]);
    const d = decodeUdp(b, 0, 14, 4, ps4());
    expect(Buffer.from((d as { payload: Uint8Array }).payload).toString()).toBe('abcd');
  });

  it('fewer than 8 bytes, or a length field below 8, is truncated', () => {
    expect(decodeUdp(new Uint8Array(7), 0, 7, 4, ps4())).toBe('udp_truncated');
    const b = Buffer.from(VECTOR_V4, 'hex');
    b[5] = 7;
    expect(decodeUdp(b, 0, 12, 4, ps4())).toBe('udp_truncated');
  });

  it('a region outside the buffer is truncated, never a throw', () => {
    expect(decodeUdp(new Uint8Array(8), 4, 8, 4, ps4())).toBe('udp_truncated');
  });
});

describe('whole packets', () => {
  it('IPv4: protocol 17, TTL 64, total length 20 + 8 + data', () => {
    const p = encodeUdpPacketV4(A, B, 1024, 53, new TextEncoder().encode('abcd'));
    expect(p.length).toBe(32);
    expect(p[9]).toBe(17);
    expect(p[8]).toBe(64);
    expect(hex(p.subarray(20))).toBe(VECTOR_V4);
  });
});
