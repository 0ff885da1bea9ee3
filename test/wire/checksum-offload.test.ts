/**
 * Checksum offload at the codec (link/offload.ts): CHECKSUM_PARTIAL on transmit leaves the
 * pseudo-header's folded sum in the TCP checksum field (Linux's __tcp_v4_send_check), which a device
 * completes by summing from the TCP header to the end; CHECKSUM_UNNECESSARY on receive skips the
 * verification (RFC 9293 §3.1 "Checksum" is then the link's business).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fold, pseudoSumV4, pseudoSumV6 } from '../../src/wire/checksum.js';
import { completeTcpChecksum, decodeTcpPacket, encodeTcpPacketV4, encodeTcpPacketV6, IPPROTO_TCP, TCP_CHECKSUM_OFFSET } from '../../src/wire/packet.js';
import { ACK, PSH } from '../../src/wire/segment.js';
import { hex, seg, segmentArb } from './fixtures.js';

const SRC4 = 0x0a000001;
const DST4 = 0x0a000002;
const SRC6 = hex('20010db8000000000000000000000001');
const DST6 = hex('20010db8000000000000000000000002');

const field = (p: Uint8Array, ipLen: number): number => (p[ipLen + TCP_CHECKSUM_OFFSET]! << 8) | p[ipLen + TCP_CHECKSUM_OFFSET + 1]!;

describe('transmit checksum offload (CHECKSUM_PARTIAL)', () => {
  const data = seg({ flags: ACK | PSH, payload: new TextEncoder().encode('hello, offload') });

  it('IPv4: the TCP checksum field holds the folded pseudo-header sum, not the checksum', () => {
    const p = encodeTcpPacketV4(SRC4, DST4, data, undefined, true);
    expect(field(p, 20)).toBe(fold(pseudoSumV4(SRC4, DST4, IPPROTO_TCP, p.length - 20)));
  });

  it('IPv6: the same with the IPv6 pseudo-header (RFC 8200 §8.1)', () => {
    const p = encodeTcpPacketV6(SRC6, DST6, data, undefined, true);
    expect(field(p, 40)).toBe(fold(pseudoSumV6(SRC6, DST6, IPPROTO_TCP, p.length - 40)));
  });

  it('the IPv4 header checksum is still computed in full', () => {
    const p = encodeTcpPacketV4(SRC4, DST4, data, undefined, true);
    expect(decodeTcpPacket(p, false)).not.toBeTypeOf('string');
  });

  it('a partial checksum fails the receiver that verifies', () => {
    expect(decodeTcpPacket(encodeTcpPacketV4(SRC4, DST4, data, undefined, true))).toBe('tcp_bad_checksum');
  });

  it('completing it (summing from csum_start to the end) gives exactly the fully checksummed packet', () => {
    fc.assert(
      fc.property(segmentArb, fc.boolean(), (s, v6) => {
        const full = v6 ? encodeTcpPacketV6(SRC6, DST6, s) : encodeTcpPacketV4(SRC4, DST4, s);
        const partial = v6 ? encodeTcpPacketV6(SRC6, DST6, s, undefined, true) : encodeTcpPacketV4(SRC4, DST4, s, undefined, true);
        expect(completeTcpChecksum(partial)).toBe(true);
        expect(partial).toEqual(full);
      }),
      { numRuns: 200 },
    );
  });

  it('completeTcpChecksum leaves a packet that is not TCP alone', () => {
    const p = encodeTcpPacketV4(SRC4, DST4, data, undefined, true);
    p[9] = 17; // UDP
    p[10] = 0;
    p[11] = 0;
    const before = p.slice();
    expect(completeTcpChecksum(p)).toBe(false);
    expect(p).toEqual(before);
  });
});

describe('receive checksum offload (CHECKSUM_UNNECESSARY)', () => {
  const data = seg({ flags: ACK, payload: new Uint8Array([1, 2, 3, 4]) });

  it('a segment with a wrong TCP checksum is decoded when verification is offloaded', () => {
    const p = encodeTcpPacketV4(SRC4, DST4, data);
    p[20 + TCP_CHECKSUM_OFFSET] ^= 0xff;
    expect(decodeTcpPacket(p)).toBe('tcp_bad_checksum');
    const d = decodeTcpPacket(p, false);
    if (typeof d === 'string') throw new Error(d);
    expect([...d.seg.payload]).toEqual([1, 2, 3, 4]);
  });

  it('the IPv4 header checksum is verified all the same (Linux ip_rcv)', () => {
    const p = encodeTcpPacketV4(SRC4, DST4, data);
    p[10] ^= 0xff;
    expect(decodeTcpPacket(p, false)).toBe('ip_bad_checksum');
  });
});
