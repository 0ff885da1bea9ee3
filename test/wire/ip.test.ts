import { describe, expect, it } from 'vitest';
import { parseIPv4Header, writeIPv4Header } from '../../src/wire/ipv4.js';
import type { IPv4Header } from '../../src/wire/ipv4.js';
import { parseIPv6Header, writeIPv6Header } from '../../src/wire/ipv6.js';
import type { IPv6Header } from '../../src/wire/ipv6.js';
import { DATA_V6, LINUX_SYN_V4, hex, refChecksum, toHex } from './fixtures.js';

function v4(buf: Uint8Array): IPv4Header {
  const h = parseIPv4Header(buf);
  if (typeof h === 'string') throw new Error(h);
  return h;
}

function v6(buf: Uint8Array): IPv6Header {
  const h = parseIPv6Header(buf);
  if (typeof h === 'string') throw new Error(h);
  return h;
}

/** An IPv6 packet whose payload is the given extension-header chain then `tail`. */
function v6WithExtensions(firstNext: number, chain: Uint8Array, tail: Uint8Array = new Uint8Array(20)): Uint8Array {
  const p = new Uint8Array(40 + chain.length + tail.length);
  p.set(DATA_V6.subarray(0, 40));
  const plen = chain.length + tail.length;
  p[4] = plen >> 8;
  p[5] = plen & 255;
  p[6] = firstNext;
  p.set(chain, 40);
  p.set(tail, 40 + chain.length);
  return p;
}

describe('IPv4 header (RFC 791 §3.1)', () => {
  it('decodes the Linux SYN header field by field', () => {
    const h = v4(LINUX_SYN_V4);
    expect(h).toEqual({
      version: 4,
      ihl: 5,
      headerLength: 20,
      tos: 0,
      totalLength: 60,
      id: 0x1c46,
      df: true,
      mf: false,
      fragOffset: 0,
      ttl: 64,
      protocol: 6,
      checksum: 0x0a74,
      src: 0x0a000001,
      dst: 0x0a000002,
      payloadOffset: 20,
      payloadLength: 40,
    });
  });

  it('ignores bytes beyond Total Length (Ethernet padding)', () => {
    const padded = new Uint8Array(80);
    padded.set(LINUX_SYN_V4);
    expect(v4(padded).payloadLength).toBe(40);
  });

  it('skips IPv4 options: the payload starts after IHL words', () => {
    const p = new Uint8Array(24 + 4);
    p.set(hex('4600001c0000000040110000c0a80001c0a80002 01010100'));
    const c = refChecksum([p.subarray(0, 24)]);
    p[10] = c >> 8;
    p[11] = c & 255;
    const h = v4(p);
    expect([h.headerLength, h.payloadOffset, h.payloadLength, h.protocol]).toEqual([24, 24, 4, 17]);
  });

  it('reports MF and the fragment offset for the caller to decide', () => {
    const p = LINUX_SYN_V4.slice();
    p[6] = 0x20;
    p[7] = 0x05;
    p[10] = p[11] = 0;
    const c = refChecksum([p.subarray(0, 20)]);
    p[10] = c >> 8;
    p[11] = c & 255;
    const h = v4(p);
    expect([h.df, h.mf, h.fragOffset]).toEqual([false, true, 5]);
  });

  it('writes a 20-byte header with defaults TTL 64, DF, ID 0 and a checksum that verifies', () => {
    const out = new Uint8Array(24).fill(0xee);
    expect(writeIPv4Header(out, 2, { src: 0x0a000001, dst: 0xc0a80002, protocol: 6, payloadLength: 40 })).toBe(20);
    expect(toHex(out.subarray(2, 22))).toBe('4500003c000040004006' + toHex(out.subarray(12, 14)) + '0a000001c0a80002');
    expect(refChecksum([out.subarray(2, 22)])).toBe(0);
    expect([out[0], out[1], out[22], out[23]]).toEqual([0xee, 0xee, 0xee, 0xee]);
  });

  it('writes the optional TTL, ID, DF and TOS fields', () => {
    const out = new Uint8Array(30);
    writeIPv4Header(out, 0, { src: 1, dst: 2, protocol: 17, payloadLength: 10, ttl: 3, id: 0xbeef, df: false, tos: 0xb8 });
    const h = v4(out);
    expect([h.ttl, h.id, h.df, h.tos, h.protocol, h.totalLength]).toEqual([3, 0xbeef, false, 0xb8, 17, 30]);
  });
});

describe('IPv6 header (RFC 8200 §3, §4)', () => {
  it('decodes the IPv6 data packet header field by field', () => {
    const h = v6(DATA_V6);
    expect(toHex(h.src)).toBe('20010db8000000000000000000000001');
    expect(toHex(h.dst)).toBe('20010db8000000000000000000000002');
    expect(h.src.buffer).toBe(DATA_V6.buffer);
    expect({ ...h, src: null, dst: null }).toEqual({
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: 37,
      nextHeader: 6,
      hopLimit: 64,
      src: null,
      dst: null,
      payloadOffset: 40,
      upperLength: 37,
    });
  });

  it('decodes traffic class and flow label', () => {
    const p = DATA_V6.slice();
    p.set(hex('6abcdef0'), 0);
    const h = v6(p);
    expect([h.trafficClass, h.flowLabel]).toEqual([0xab, 0xcdef0]);
  });

  it('skips hop-by-hop, routing and destination options headers to the upper layer', () => {
    // HBH (next 43, 8 bytes) → Routing (next 60, 16 bytes) → DestOpts (next 6, 8 bytes)
    const chain = hex('2b00 010400000000  3c01 0000 00000000 0000000000000000  0600 0104 00000000');
    const h = v6(v6WithExtensions(0, chain));
    expect([h.nextHeader, h.payloadOffset, h.upperLength]).toEqual([6, 40 + 32, 20]);
  });

  it('returns ip_fragment for a Fragment header (RFC 8200 §4.5)', () => {
    expect(parseIPv6Header(v6WithExtensions(0, hex('2c00 010400000000'), hex('0600000100000001')))).toBe('ip_fragment');
  });

  it('returns ip_not_tcp for No Next Header (RFC 8200 §4.7)', () => {
    expect(parseIPv6Header(v6WithExtensions(60, hex('3b00 010400000000')))).toBe('ip_not_tcp');
  });

  it('returns ip_truncated when an extension header runs past the payload', () => {
    expect(parseIPv6Header(v6WithExtensions(0, hex('0605 0104'), new Uint8Array(0)))).toBe('ip_truncated');
    expect(parseIPv6Header(v6WithExtensions(0, hex('06'), new Uint8Array(0)))).toBe('ip_truncated');
  });

  it('walks a payload made entirely of chained extension headers without looping forever', () => {
    const chain = new Uint8Array(65000);
    for (let i = 0; i < chain.length; i += 8) chain[i] = 60; // each says "destination options next"
    expect(parseIPv6Header(v6WithExtensions(60, chain, new Uint8Array(0)))).toBe('ip_truncated');
  });

  it('returns ip_bad_length when Payload Length runs past the buffer, and ignores padding after it', () => {
    expect(parseIPv6Header(DATA_V6.subarray(0, DATA_V6.length - 1))).toBe('ip_bad_length');
    const padded = new Uint8Array(DATA_V6.length + 7);
    padded.set(DATA_V6);
    expect(v6(padded).upperLength).toBe(37);
  });

  it('returns ip_truncated under 40 bytes and ip_bad_version when the version is not 6', () => {
    expect(parseIPv6Header(DATA_V6.subarray(0, 39))).toBe('ip_truncated');
    const p = DATA_V6.slice();
    p[0] = 0x40;
    expect(parseIPv6Header(p)).toBe('ip_bad_version');
  });

  it('writes a 40-byte header that parses back', () => {
    const out = new Uint8Array(60);
    const src = hex('fe800000000000000000000000000001');
    const dst = hex('ff020000000000000000000000000002');
    expect(writeIPv6Header(out, 0, { src, dst, nextHeader: 6, payloadLength: 20 })).toBe(40);
    const h = v6(out);
    expect([h.hopLimit, h.nextHeader, h.payloadLength, toHex(h.src), toHex(h.dst)]).toEqual([
      64,
      6,
      20,
      toHex(src),
      toHex(dst),
    ]);
    writeIPv6Header(out, 0, { src, dst, nextHeader: 17, payloadLength: 20, hopLimit: 255 });
    expect(out[7]).toBe(255);
  });

  it('swaps source and destination in place when given views of its own header', () => {
    const p = DATA_V6.slice();
    writeIPv6Header(p, 0, { src: p.subarray(24, 40), dst: p.subarray(8, 24), nextHeader: 6, payloadLength: 37 });
    expect(toHex(p.subarray(8, 40))).toBe(toHex(DATA_V6.subarray(24, 40)) + toHex(DATA_V6.subarray(8, 24)));
  });
});
