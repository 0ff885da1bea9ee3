import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ACK, PSH, SYN } from '../../src/wire/segment.js';
import type { Segment } from '../../src/wire/segment.js';
import {
  decodePacket,
  decodeTcpPacket,
  encodeTcpPacketV4,
  encodeTcpPacketV6,
  tcpSegmentLength,
} from '../../src/wire/packet.js';
import { DATA_V6, LINUX_SYN_V4, expectedOptions, hex, refChecksum, seg, segmentArb, toHex } from './fixtures.js';

const SRC6 = hex('20010db8000000000000000000000001');
const DST6 = hex('20010db8000000000000000000000002');

function roundTrip(pkt: Uint8Array): Segment {
  const r = decodeTcpPacket(pkt);
  if (typeof r === 'string') throw new Error(r);
  return r.seg;
}

function plain(s: Segment): object {
  return { ...s, payload: toHex(s.payload) };
}

describe('decodePacket', () => {
  it('gives the IPv4 addresses as u32 and no IPv6 addresses', () => {
    const d = decodePacket(LINUX_SYN_V4);
    expect(d).toMatchObject({ version: 4, src4: 0x0a000001, dst4: 0x0a000002, src6: null, dst6: null, protocol: 6 });
    expect(d).toMatchObject({ payloadOffset: 20, payloadLength: 40 });
  });

  it('gives the IPv6 addresses as views and zero IPv4 addresses', () => {
    const d = decodePacket(DATA_V6);
    if (typeof d === 'string') throw new Error(d);
    expect([d.version, d.src4, d.dst4, d.protocol, d.payloadOffset, d.payloadLength]).toEqual([6, 0, 0, 6, 40, 37]);
    expect(toHex(d.src6!)).toBe(toHex(SRC6));
    expect(toHex(d.dst6!)).toBe(toHex(DST6));
  });
});

describe('encodeTcpPacketV4 / V6', () => {
  it('builds an IPv4 packet: TTL 64, DF, valid IP checksum, Total Length right', () => {
    const p = encodeTcpPacketV4(0x0a000001, 0x0a000002, seg({ flags: ACK, payload: hex('616263') }));
    expect(p.length).toBe(43);
    expect([p[0], p[2] * 256 + p[3], p[6], p[8], p[9]]).toEqual([0x45, 43, 0x40, 64, 6]);
    expect(refChecksum([p.subarray(0, 20)])).toBe(0);
  });

  it('builds an IPv6 packet: hop limit 64, next header TCP, Payload Length right', () => {
    const p = encodeTcpPacketV6(SRC6, DST6, seg({ flags: ACK, payload: hex('616263') }));
    expect(p.length).toBe(63);
    expect([p[0], p[4] * 256 + p[5], p[6], p[7]]).toEqual([0x60, 23, 6, 64]);
  });

  it('writes into a large enough `out` and returns a view of it', () => {
    const out = new Uint8Array(1500);
    const s = seg({ flags: SYN, options: { mss: 1460 } });
    const p = encodeTcpPacketV4(1, 2, s, out);
    expect(p.buffer).toBe(out.buffer);
    expect(p.byteOffset).toBe(0);
    expect(p.length).toBe(20 + tcpSegmentLength(s));
    const p6 = encodeTcpPacketV6(SRC6, DST6, s, out);
    expect(p6.buffer).toBe(out.buffer);
    expect(p6.length).toBe(64);
  });

  it('allocates a fresh array when `out` is too small', () => {
    const out = new Uint8Array(30);
    const p = encodeTcpPacketV4(1, 2, seg({ payload: new Uint8Array(100) }), out);
    expect(p.buffer).not.toBe(out.buffer);
    expect(p.length).toBe(140);
    expect(out.every((x) => x === 0)).toBe(true);
  });

  it('encodes correctly when the payload is already a view into `out`', () => {
    const out = new Uint8Array(200);
    out.set(hex('68656c6c6f'), 52); // where a 32-byte TCP header's payload goes after IPv4
    const s = seg({ flags: PSH | ACK, options: { tsVal: 1, tsEcr: 2 }, payload: out.subarray(52, 57) });
    const p = encodeTcpPacketV4(0x7f000001, 0x7f000001, s, out);
    expect(toHex(roundTrip(p).payload)).toBe('68656c6c6f');
  });

  it('replies in place by swapping the received IPv6 addresses', () => {
    const buf = DATA_V6.slice();
    const d = decodePacket(buf);
    if (typeof d === 'string') throw new Error(d);
    const p = encodeTcpPacketV6(d.dst6!, d.src6!, seg({ flags: ACK, srcPort: 443, dstPort: 54321 }), buf);
    const r = decodePacket(p);
    if (typeof r === 'string') throw new Error(r);
    expect([toHex(r.src6!), toHex(r.dst6!)]).toEqual([toHex(DST6), toHex(SRC6)]);
    expect(typeof decodeTcpPacket(p)).toBe('object');
  });
});

describe('round trips (fast-check)', () => {
  it('IPv4: decode(encode(seg)) gives back every field, options as the encoder promises', () => {
    fc.assert(
      fc.property(segmentArb, fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (s, a, b) => {
        const got = roundTrip(encodeTcpPacketV4(a, b, s));
        expect(plain(got)).toEqual(plain({ ...s, options: expectedOptions(s.options, s.flags) }));
      }),
      { numRuns: 300 },
    );
  });

  it('IPv6: decode(encode(seg)) gives back every field, options as the encoder promises', () => {
    fc.assert(
      fc.property(segmentArb, fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (s, a, b) => {
        const pkt = encodeTcpPacketV6(a, b, s);
        const got = roundTrip(pkt);
        expect(plain(got)).toEqual(plain({ ...s, options: expectedOptions(s.options, s.flags) }));
        const d = decodePacket(pkt);
        expect(typeof d === 'object' && [toHex(d.src6!), toHex(d.dst6!)]).toEqual([toHex(a), toHex(b)]);
      }),
      { numRuns: 300 },
    );
  });

  it('the header length is a multiple of 4 and at most 60 for any options', () => {
    fc.assert(
      fc.property(segmentArb, (s) => {
        const p = encodeTcpPacketV4(1, 2, s);
        const hl = (p[32] >> 4) * 4;
        expect(hl % 4).toBe(0);
        expect(hl).toBeLessThanOrEqual(60);
        expect(p.length - 20 - hl).toBe(s.payload.length);
      }),
      { numRuns: 200 },
    );
  });
});
