/**
 * The decoders never throw: arbitrary bytes and mutated valid packets always give back a
 * Segment (or DecodedPacket) with sane field ranges, or a DropReason string.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Segment } from '../../src/wire/segment.js';
import { decodePacket, decodeTcpPacket, encodeTcpPacketV4, encodeTcpPacketV6 } from '../../src/wire/packet.js';
import { decodeTcp } from '../../src/wire/tcp.js';
import { ALL_DROP_REASONS, DATA_V6, LINUX_SYNACK_V4, LINUX_SYN_V4, refreshChecksums, segmentArb } from './fixtures.js';

const isU32 = (x: number) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
const isU16 = (x: number) => Number.isInteger(x) && x >= 0 && x <= 0xffff;

function checkSegment(s: Segment, input: Uint8Array): void {
  expect(isU16(s.srcPort) && isU16(s.dstPort) && isU16(s.window) && isU16(s.urgent)).toBe(true);
  expect(isU32(s.seq) && isU32(s.ack)).toBe(true);
  expect(s.flags >= 0 && s.flags <= 255).toBe(true);
  const o = s.options;
  if (o.mss !== undefined) expect(isU16(o.mss)).toBe(true);
  if (o.wscale !== undefined) expect(o.wscale >= 0 && o.wscale <= 255).toBe(true);
  if (o.tsVal !== undefined) expect(isU32(o.tsVal) && isU32(o.tsEcr!)).toBe(true);
  if (o.sack !== undefined) {
    expect(o.sack.length % 2 === 0 && o.sack.length >= 2 && o.sack.length <= 8).toBe(true);
    expect(o.sack.every(isU32)).toBe(true);
  }
  expect(s.payload).toBeInstanceOf(Uint8Array);
  expect(s.payload.buffer).toBe(input.buffer); // a view, not a copy
}

function checkAll(pkt: Uint8Array): void {
  const d = decodePacket(pkt);
  if (typeof d === 'string') expect(ALL_DROP_REASONS.has(d)).toBe(true);
  else expect(d.payloadOffset + d.payloadLength).toBeLessThanOrEqual(pkt.length);
  const r = decodeTcpPacket(pkt);
  if (typeof r === 'string') expect(ALL_DROP_REASONS.has(r)).toBe(true);
  else checkSegment(r.seg, pkt);
}

const valid = [LINUX_SYN_V4, LINUX_SYNACK_V4, DATA_V6];
const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }));

/** Apply byte mutations to a copy; `fix` recomputes checksums so parsing goes deeper. */
function mutate(base: Uint8Array, muts: [number, number][], fix: boolean): Uint8Array {
  const p = base.slice();
  for (const [i, v] of muts) p[i % p.length] = v;
  if (fix && (p[0] >> 4 === 4 || p[0] >> 4 === 6) && p.length >= 40) {
    try {
      refreshChecksums(p); // the test helper may trip on nonsense lengths; the codec must not
    } catch {
      /* keep the mutated bytes as they are */
    }
  }
  return p;
}

describe('fuzz: decoders never throw', () => {
  it('arbitrary bytes into decodePacket / decodeTcpPacket', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), (b) => checkAll(b)), { numRuns: 2000 });
  });

  it('arbitrary bytes with a plausible IPv4 or IPv6 first byte', () => {
    fc.assert(
      fc.property(fc.constantFrom(0x45, 0x46, 0x4f, 0x60), fc.uint8Array({ minLength: 19, maxLength: 120 }), (v, b) => {
        const p = new Uint8Array(b.length + 1);
        p[0] = v;
        p.set(b, 1);
        checkAll(p);
        checkAll(refreshChecksums(p));
      }),
      { numRuns: 2000 },
    );
  });

  it('single-byte mutations of valid packets, with and without checksums refreshed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), mutation, fc.boolean(), (base, m, fix) => {
        checkAll(mutate(base, [m], fix));
      }),
      { numRuns: 3000 },
    );
  });

  it('multi-byte mutations of valid packets, with and without checksums refreshed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.array(mutation, { minLength: 2, maxLength: 12 }), fc.boolean(), (base, ms, fix) => {
        checkAll(mutate(base, ms, fix));
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated option bytes of encoded segments (checksums refreshed) reach the option parser safely', () => {
    fc.assert(
      fc.property(segmentArb, fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 6 }), (s, v6, ms) => {
        const base = v6
          ? encodeTcpPacketV6(new Uint8Array(16), new Uint8Array(16).fill(1), s)
          : encodeTcpPacketV4(1, 2, s);
        const ipLen = v6 ? 40 : 20;
        const p = base.slice();
        const hl = (p[ipLen + 12] >> 4) * 4;
        // aim at the TCP header and options, where the interesting parsing is
        for (const [i, x] of ms) p[ipLen + 12 + (i % (hl - 12))] = x;
        checkAll(refreshChecksums(p));
      }),
      { numRuns: 1000 },
    );
  });

  it('decodeTcp with arbitrary offset, length and pseudo sum, checksum verified or not', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.integer({ min: -5, max: 110 }),
        fc.integer({ min: -5, max: 110 }),
        fc.nat(),
        fc.boolean(),
        (b, off, len, ps, verify) => {
          const r = decodeTcp(b, off, len, ps, verify);
          if (typeof r === 'string') expect(ALL_DROP_REASONS.has(r)).toBe(true);
          else checkSegment(r, b);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
