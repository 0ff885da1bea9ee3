/**
 * Shared test data for the wire codec tests: known packets as hex (checksums computed with an
 * independent Python script and confirmed "Good" by tshark 4.0), a naive reference checksum,
 * and fast-check arbitraries for segments.
 */
import fc from 'fast-check';
import type { Segment, TcpOptions } from '../../src/wire/segment.js';
import { SYN } from '../../src/wire/segment.js';

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Linux-style SYN, 10.0.0.1:43210 → 10.0.0.2:80, IP id 0x1c46, DF, TTL 64, seq 0xd2a9c4f1,
 * window 64240, options MSS 1460 | sackOK | TS val 0x9a3c12ef ecr 0 | NOP | wscale 7.
 */
export const LINUX_SYN_V4 = hex(`
  45 00 00 3c 1c 46 40 00 40 06 0a 74 0a 00 00 01 0a 00 00 02
  a8 ca 00 50 d2 a9 c4 f1 00 00 00 00 a0 02 fa f0 4b 2b 00 00
  02 04 05 b4 04 02 08 0a 9a 3c 12 ef 00 00 00 00 01 03 03 07`);

/**
 * The SYN-ACK reply, 10.0.0.2:80 → 10.0.0.1:43210, IP id 0, seq 0x5e2f8a10, ack 0xd2a9c4f2,
 * window 65160, options MSS 1460 | sackOK | TS val 0x01020304 ecr 0x9a3c12ef | NOP | wscale 7.
 */
export const LINUX_SYNACK_V4 = hex(`
  45 00 00 3c 00 00 40 00 40 06 26 ba 0a 00 00 02 0a 00 00 01
  00 50 a8 ca 5e 2f 8a 10 d2 a9 c4 f2 a0 12 fe 88 5b 3c 00 00
  02 04 05 b4 04 02 08 0a 01 02 03 04 9a 3c 12 ef 01 03 03 07`);

/**
 * IPv6 PSH|ACK, [2001:db8::1]:54321 → [2001:db8::2]:443, hop limit 64, seq 0x80000000,
 * ack 0xffffffff, window 502, NOP NOP TS val 0xa1b2 ecr 0xfedc0001, payload "hello"
 * (odd length, so the checksum pads a zero byte).
 */
export const DATA_V6 = hex(`
  60 00 00 00 00 25 06 40
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
  d4 31 01 bb 80 00 00 00 ff ff ff ff 80 18 01 f6 de f5 00 00
  01 01 08 0a 00 00 a1 b2 fe dc 00 01 68 65 6c 6c 6f`);

/** Naive RFC 1071 checksum, written independently of src/wire/checksum.ts. */
export function refChecksum(parts: Uint8Array[]): number {
  const all: number[] = [];
  for (const p of parts) for (const x of p) all.push(x);
  if (all.length % 2) all.push(0);
  let s = 0;
  for (let i = 0; i < all.length; i += 2) {
    s += all[i] * 256 + all[i + 1];
    s = (s & 0xffff) + Math.floor(s / 65536);
  }
  return ~s & 0xffff;
}

/** Recompute the IP (v4) and TCP checksums of a packet in place, e.g. after mutating options. */
export function refreshChecksums(pkt: Uint8Array): Uint8Array {
  const v = pkt[0] >> 4;
  if (v === 4) {
    const ihl = (pkt[0] & 15) * 4;
    const total = (pkt[2] << 8) | pkt[3];
    pkt[10] = pkt[11] = 0;
    const ic = refChecksum([pkt.subarray(0, ihl)]);
    pkt[10] = ic >> 8;
    pkt[11] = ic & 255;
    const tcp = pkt.subarray(ihl, total);
    if (tcp.length < 18) return pkt;
    tcp[16] = tcp[17] = 0;
    const ph = new Uint8Array(12);
    ph.set(pkt.subarray(12, 20));
    ph[9] = pkt[9];
    ph[10] = tcp.length >> 8;
    ph[11] = tcp.length & 255;
    const tc = refChecksum([ph, tcp]);
    tcp[16] = tc >> 8;
    tcp[17] = tc & 255;
  } else {
    const plen = (pkt[4] << 8) | pkt[5];
    const tcp = pkt.subarray(40, 40 + plen);
    if (tcp.length < 18) return pkt;
    tcp[16] = tcp[17] = 0;
    const ph = new Uint8Array(40);
    ph.set(pkt.subarray(8, 40));
    ph[34] = tcp.length >> 8;
    ph[35] = tcp.length & 255;
    ph[39] = pkt[6];
    const tc = refChecksum([ph, tcp]);
    tcp[16] = tc >> 8;
    tcp[17] = tc & 255;
  }
  return pkt;
}

export const ALL_DROP_REASONS = new Set([
  'ip_truncated',
  'ip_bad_version',
  'ip_bad_ihl',
  'ip_bad_length',
  'ip_bad_checksum',
  'ip_fragment',
  'ip_not_tcp',
  'ip6_option_discard',
  'ip6_option_unknown',
  'ip6_bad_option',
  'ip6_routing_header',
  'ip6_bad_ext_order',
  'tcp_truncated',
  'tcp_bad_offset',
  'tcp_bad_checksum',
  'tcp_bad_option',
  'tcp_bad_flags',
]);

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });

export const optionsArb: fc.Arbitrary<TcpOptions> = fc
  .record({
    mss: fc.option(u16, { nil: undefined }),
    wscale: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    sackPermitted: fc.option(fc.constant(true), { nil: undefined }),
    ts: fc.option(fc.tuple(u32, u32), { nil: undefined }),
    sack: fc.option(fc.array(u32, { minLength: 1, maxLength: 6 }).map((a) => a.flatMap((x) => [x, (x + 1000) >>> 0])), {
      nil: undefined,
    }),
  })
  .map(({ mss, wscale, sackPermitted, ts, sack }) => {
    const o: TcpOptions = {};
    if (mss !== undefined) o.mss = mss;
    if (wscale !== undefined) o.wscale = wscale;
    if (sackPermitted !== undefined) o.sackPermitted = sackPermitted;
    if (ts !== undefined) {
      o.tsVal = ts[0];
      o.tsEcr = ts[1];
    }
    if (sack !== undefined) o.sack = sack;
    return o;
  });

export const segmentArb: fc.Arbitrary<Segment> = fc.record({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: fc.integer({ min: 0, max: 255 }),
  window: u16,
  urgent: u16,
  options: optionsArb,
  payload: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 2048, size: 'max' })),
});

/**
 * What the encoder promises to carry: SYN-only options dropped from non-SYN segments
 * (RFC 9293 §3.7.1, RFC 7323 §2.2, RFC 2018 §2), SACK blocks cut to what fits in 40 bytes.
 */
export function expectedOptions(o: TcpOptions, flags: number): TcpOptions {
  const syn = (flags & SYN) !== 0;
  const ts = o.tsVal !== undefined;
  const e: TcpOptions = {};
  let fixed = ts ? 12 : 0;
  if (syn) {
    if (o.mss !== undefined) {
      e.mss = o.mss;
      fixed += 4;
    }
    if (o.sackPermitted) {
      e.sackPermitted = true;
      if (!ts) fixed += 4;
    }
    if (o.wscale !== undefined) {
      e.wscale = o.wscale;
      fixed += 4;
    }
  }
  if (ts) {
    e.tsVal = o.tsVal;
    e.tsEcr = o.tsEcr;
  }
  if (o.sack !== undefined) {
    const blocks = Math.min(o.sack.length / 2, 4, Math.floor((40 - fixed - 4) / 8));
    if (blocks > 0) e.sack = o.sack.slice(0, 2 * blocks);
  }
  return e;
}

/** A Segment with defaults, for hand-written cases. */
export function seg(p: Partial<Segment>): Segment {
  return {
    srcPort: 1234,
    dstPort: 80,
    seq: 1,
    ack: 0,
    flags: 0,
    window: 65535,
    urgent: 0,
    options: {},
    payload: new Uint8Array(0),
    ...p,
  };
}
