/**
 * Software segmentation of a super-segment (wire/gso.ts), as a NIC's TSO or Linux's
 * tcp_gso_segment cuts it: each piece is exactly the segment the stack would have sent had it cut
 * the data itself — same headers and options, its own sequence number, FIN and PSH on the last
 * piece only, CWR on the first only (RFC 3168 §6.1.2), every checksum right.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { segmentSuperPacket } from '../../src/wire/gso.js';
import { decodeTcpPacket, encodeTcpPacketV4, encodeTcpPacketV6 } from '../../src/wire/packet.js';
import { ACK, CWR, FIN, PSH, type Segment } from '../../src/wire/segment.js';
import { hex, seg } from './fixtures.js';

const SRC4 = 0x0a000001;
const DST4 = 0x0a000002;
const SRC6 = hex('20010db8000000000000000000000001');
const DST6 = hex('20010db8000000000000000000000002');

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function encode(s: Segment, v6: boolean, partial = false): Uint8Array {
  return v6 ? encodeTcpPacketV6(SRC6, DST6, s, undefined, partial) : encodeTcpPacketV4(SRC4, DST4, s, undefined, partial);
}

function split(p: Uint8Array, size: number, partial = false): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  segmentSuperPacket(p, size, (q) => pieces.push(q), partial);
  return pieces;
}

describe('segmentSuperPacket', () => {
  it('cuts a super-segment into the very segments the stack would have sent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6_000 }), fc.integer({ min: 100, max: 1460 }), fc.boolean(), fc.boolean(), (len, mss, v6, fin) => {
        const flags = ACK | PSH | (fin ? FIN : 0);
        const whole: Segment = seg({ seq: 0xfffff000, ack: 77, flags, window: 512, options: { tsVal: 5, tsEcr: 6 }, payload: bytes(len, mss) });
        const pieces = split(encode(whole, v6), mss);
        expect(pieces.length).toBe(Math.ceil(len / mss));
        pieces.forEach((p, i) => {
          const at = i * mss;
          const last = i === pieces.length - 1;
          const want: Segment = { ...whole, seq: (whole.seq + at) >>> 0, flags: last ? flags : ACK, payload: whole.payload.subarray(at, Math.min(len, at + mss)) };
          expect(p).toEqual(encode(want, v6));
        });
      }),
      { numRuns: 100 },
    );
  });

  it('every piece decodes with a correct checksum, and together they carry the payload in order', () => {
    const whole = seg({ seq: 1000, flags: ACK | PSH, payload: bytes(10_000, 3) });
    const pieces = split(encode(whole, false), 1448);
    const got: number[] = [];
    for (const p of pieces) {
      const d = decodeTcpPacket(p);
      if (typeof d === 'string') throw new Error(d);
      got.push(...d.seg.payload);
    }
    expect(Uint8Array.from(got)).toEqual(whole.payload);
  });

  it('keeps CWR on the first piece only (RFC 3168 §6.1.2: set once per window reduction)', () => {
    const pieces = split(encode(seg({ flags: ACK | CWR, payload: bytes(3000, 1) }), false), 1000);
    expect(pieces.map((p) => p[20 + 13]! & CWR)).toEqual([CWR, 0, 0]);
  });

  it('leaves each piece partial (its own pseudo-header sum) for a receiver that does not verify', () => {
    const whole = seg({ seq: 1, flags: ACK, payload: bytes(4000, 9) });
    const pieces = split(encode(whole, true, true), 1500, true);
    expect(pieces.map((p) => p.length)).toEqual([40 + 20 + 1500, 40 + 20 + 1500, 40 + 20 + 1000]);
    pieces.forEach((p, i) => {
      const want = { ...whole, seq: 1 + i * 1500, payload: whole.payload.subarray(i * 1500, Math.min(4000, (i + 1) * 1500)) };
      expect(p).toEqual(encode(want, true, true));
    });
  });

  it('hands a packet within the segment size, or one that is not TCP, on whole', () => {
    const small = encode(seg({ flags: ACK, payload: bytes(100, 0) }), false);
    expect(split(small, 1460)).toEqual([small]);
    const udp = small.slice();
    udp[9] = 17;
    expect(segmentSuperPacket(udp, 10, () => {})).toBe(1);
  });
});
