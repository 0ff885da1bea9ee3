import { describe, expect, it } from 'vitest';
import { ACK, PSH, SYN } from '../../src/wire/segment.js';
import type { Segment, TcpOptions } from '../../src/wire/segment.js';
import { decodeTcp, encodeTcp, tcpOptionsLength } from '../../src/wire/tcp.js';
import { pseudoSumV4 } from '../../src/wire/checksum.js';
import { decodeTcpPacket, encodeTcpPacketV4, encodeTcpPacketV6 } from '../../src/wire/packet.js';
import { DATA_V6, LINUX_SYNACK_V4, LINUX_SYN_V4, hex, refChecksum, seg, toHex } from './fixtures.js';

function decoded(pkt: Uint8Array): Segment {
  const r = decodeTcpPacket(pkt);
  if (typeof r === 'string') throw new Error(r);
  return r.seg;
}

/** Encode alone (no IP) and return just the option bytes. */
function optionBytes(flags: number, options: TcpOptions): string {
  const s = seg({ flags, options });
  const out = new Uint8Array(60);
  const n = encodeTcp(s, out, 0, 0);
  expect(n).toBe(20 + tcpOptionsLength(options, (flags & SYN) !== 0));
  expect(out[12] >> 4).toBe(n / 4);
  return toHex(out.subarray(20, n));
}

describe('TCP known vectors (RFC 9293 §3.1)', () => {
  it('decodes a Linux SYN field by field', () => {
    const s = decoded(LINUX_SYN_V4);
    expect({ ...s, payload: null }).toEqual({
      srcPort: 43210,
      dstPort: 80,
      seq: 0xd2a9c4f1,
      ack: 0,
      flags: SYN,
      window: 64240,
      urgent: 0,
      options: { mss: 1460, sackPermitted: true, tsVal: 0x9a3c12ef, tsEcr: 0, wscale: 7 },
      payload: null,
    });
    expect(s.payload.length).toBe(0);
  });

  it('decodes a SYN-ACK field by field, u32 values non-negative', () => {
    const s = decoded(LINUX_SYNACK_V4);
    expect({ ...s, payload: null }).toEqual({
      srcPort: 80,
      dstPort: 43210,
      seq: 0x5e2f8a10,
      ack: 0xd2a9c4f2,
      flags: SYN | ACK,
      window: 65160,
      urgent: 0,
      options: { mss: 1460, sackPermitted: true, tsVal: 0x01020304, tsEcr: 0x9a3c12ef, wscale: 7 },
      payload: null,
    });
  });

  it('decodes an IPv6 data segment with an odd-length payload, the payload a view', () => {
    const s = decoded(DATA_V6);
    expect([s.srcPort, s.dstPort, s.seq, s.ack, s.flags, s.window]).toEqual([
      54321,
      443,
      0x80000000,
      0xffffffff,
      PSH | ACK,
      502,
    ]);
    expect(s.options).toEqual({ tsVal: 0xa1b2, tsEcr: 0xfedc0001 });
    expect(new TextDecoder().decode(s.payload)).toBe('hello');
    expect(s.payload.buffer).toBe(DATA_V6.buffer);
    expect(s.payload.byteOffset).toBe(DATA_V6.byteOffset + 72);
  });

  it('re-encodes the SYN-ACK to the identical bytes (Linux option layout)', () => {
    expect(toHex(encodeTcpPacketV4(0x0a000002, 0x0a000001, decoded(LINUX_SYNACK_V4)))).toBe(toHex(LINUX_SYNACK_V4));
  });

  it('re-encodes the Linux SYN to the identical TCP bytes', () => {
    const out = encodeTcpPacketV4(0x0a000001, 0x0a000002, decoded(LINUX_SYN_V4));
    expect(toHex(out.subarray(20))).toBe(toHex(LINUX_SYN_V4.subarray(20)));
  });

  it('re-encodes the IPv6 segment to the identical bytes', () => {
    const s = decoded(DATA_V6);
    const out = encodeTcpPacketV6(DATA_V6.subarray(8, 24), DATA_V6.subarray(24, 40), s);
    expect(toHex(out)).toBe(toHex(DATA_V6));
  });

  it('encodes a checksum that an independent implementation accepts', () => {
    const s = seg({ flags: ACK, payload: hex('0102030405') });
    const out = new Uint8Array(25);
    encodeTcp(s, out, 0, pseudoSumV4(0x7f000001, 0x7f000002, 6, 25));
    const ph = hex('7f000001 7f000002 0006 0019');
    expect(refChecksum([ph, out])).toBe(0);
  });
});

describe('TCP option parsing (RFC 9293 §3.2)', () => {
  /** A bare TCP header (checksum not checked) with the given option bytes. */
  function withOptions(opts: string): Segment | string {
    const o = hex(opts);
    const b = new Uint8Array(20 + o.length);
    b[12] = ((20 + o.length) / 4) << 4;
    b.set(o, 20);
    return decodeTcp(b, 0, b.length, 0, false);
  }

  it('stops at End of Option List', () => {
    expect(withOptions('00 020405b4 000000')).toMatchObject({ options: {} });
  });

  it('skips known kinds with the wrong length, as Linux does', () => {
    expect(withOptions('020305 03040703 030303 00 00')).toMatchObject({ options: { wscale: 3 } });
    expect(withOptions('080a 00000001 00000002 0503 ff 010101')).toMatchObject({ options: { tsVal: 1, tsEcr: 2 } });
    expect(withOptions('0406 00000000 0101')).toMatchObject({ options: {} });
  });

  it('skips unknown kinds by their length', () => {
    expect(withOptions('1e06 aabbccdd 0204 0578 0101')).toMatchObject({ options: { mss: 1400 } });
  });

  it('reads one to four SACK blocks and ignores a SACK with a bad length', () => {
    expect(withOptions('0101 050a ffffffff 00000010')).toMatchObject({ options: { sack: [0xffffffff, 16] } });
    const four = '0101 0522' + '0000000100000002'.repeat(4);
    expect(withOptions(four)).toMatchObject({ options: { sack: [1, 2, 1, 2, 1, 2, 1, 2] } });
    expect(withOptions('0101 0506 00000000')).toMatchObject({ options: {} });
  });

  it('reads no fields past the segment: the payload is what follows the data offset', () => {
    const b = new Uint8Array(40);
    b[12] = 0x60;
    b.set(hex('01010101'), 20);
    b.set(hex('deadbeef'), 24);
    const r = decodeTcp(b, 0, 28, 0, false) as Segment;
    expect(toHex(r.payload)).toBe('deadbeef');
  });
});

describe('TCP option layout on the wire (as Linux sends it)', () => {
  it('SYN with everything: MSS, sackOK TS, NOP wscale', () => {
    expect(optionBytes(SYN, { mss: 1460, sackPermitted: true, tsVal: 1, tsEcr: 2, wscale: 7 })).toBe(
      '020405b4' + '0402080a0000000100000002' + '01030307',
    );
  });

  it('SYN with timestamps only: NOP NOP TS', () => {
    expect(optionBytes(SYN, { tsVal: 5, tsEcr: 0 })).toBe('0101080a0000000500000000');
  });

  it('SYN with SACK-permitted only: NOP NOP sackOK', () => {
    expect(optionBytes(SYN, { mss: 536, sackPermitted: true })).toBe('02040218' + '01010402');
  });

  it('non-SYN: NOP NOP TS, then NOP NOP SACK; SYN-only options left out', () => {
    expect(optionBytes(ACK, { mss: 1460, wscale: 7, sackPermitted: true, tsVal: 9, tsEcr: 8, sack: [10, 20] })).toBe(
      '0101080a0000000900000008' + '0101050a0000000a00000014',
    );
  });

  it('an empty options object gives a 20-byte header', () => {
    expect(optionBytes(ACK, {})).toBe('');
    expect(optionBytes(SYN, {})).toBe('');
  });

  it('keeps 3 SACK blocks next to timestamps and 4 without, dropping the rest', () => {
    const sack = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(tcpOptionsLength({ tsVal: 1, tsEcr: 1, sack }, false)).toBe(40);
    const out = new Uint8Array(60);
    encodeTcp(seg({ flags: ACK, options: { tsVal: 1, tsEcr: 1, sack } }), out, 0, 0);
    expect((decodeTcp(out, 0, 60, 0, false) as Segment).options.sack).toEqual([1, 2, 3, 4, 5, 6]);
    encodeTcp(seg({ flags: ACK, options: { sack } }), out, 0, 0);
    expect((decodeTcp(out, 0, 56, 0, false) as Segment).options.sack).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('throws RangeError when the output buffer is too small (a caller bug)', () => {
    expect(() => encodeTcp(seg({ payload: new Uint8Array(10) }), new Uint8Array(29), 0, 0)).toThrow(RangeError);
  });
});
