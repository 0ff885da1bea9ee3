/**
 * ip/reassembly.ts through stack.input(): a host reassembles (RFC 1122 §3.3.2, RFC 8200 §4.5), in
 * any order, within ipfrag_time / ip6frag_time and ipfrag_high_thresh; overlaps discard the datagram
 * (RFC 5722, RFC 1858 / Linux 4.19); fragments that break the rules are counted by reason.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Stack } from '../../src/index.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { decodePacket, decodeTcpPacket, encodeTcpPacketV4, encodeTcpPacketV6 } from '../../src/wire/packet.js';
import { parseIPv4, parseIPv6 } from '../../src/wire/addr.js';
import { ACK, SYN } from '../../src/wire/segment.js';
import {
  ICMP6_ECHO_REPLY,
  ICMP6_ECHO_REQUEST,
  ICMP6_PARAM_PROBLEM,
  ICMP6_TIME_EXCEEDED,
  ICMP_ECHO,
  ICMP_ECHO_REPLY,
  ICMP_TIME_EXCEEDED,
  buildIcmpV4,
  buildIcmpV6,
} from '../../src/ip/icmp.js';
import { DATAGRAM_OVERHEAD, FRAGMENT_OVERHEAD } from '../../src/ip/reassembly.js';
import { evenCuts, fragmentV4, fragmentV6, type Cut } from './fragments.js';

const US = parseIPv4('10.0.0.2')!;
const PEER = parseIPv4('10.0.0.1')!;
const US6 = parseIPv6('fd00::2')!;
const PEER6 = parseIPv6('fd00::1')!;

function host(sysctl: Record<string, unknown> = {}): { stack: Stack; out: Uint8Array[]; clock: VirtualClock } {
  const clock = new VirtualClock();
  const stack = new Stack({ addresses: ['10.0.0.2', 'fd00::2'], clock, seed: 1, sysctl });
  const out: Uint8Array[] = [];
  stack.on('packet', (p: Uint8Array) => out.push(p.slice()));
  return { stack, out, clock };
}

function pattern(n: number, seed = 7): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}

/** type, code, word and body of the only ICMP message sent */
function icmpOut(out: Uint8Array[]): { type: number; code: number; word: number; body: Uint8Array } {
  expect(out).toHaveLength(1);
  const p = out[0]!;
  const d = decodePacket(p);
  if (typeof d === 'string') throw new Error(d);
  const o = d.payloadOffset;
  return { type: p[o]!, code: p[o + 1]!, word: ((p[o + 4]! << 24) | (p[o + 5]! << 16) | (p[o + 6]! << 8) | p[o + 7]!) >>> 0, body: p.subarray(o + 8, o + d.payloadLength) };
}

const echo4 = (data: Uint8Array) => buildIcmpV4(PEER, US, ICMP_ECHO, 0, 0x00010002, data);
const echo6 = (data: Uint8Array) => buildIcmpV6(PEER6, US6, ICMP6_ECHO_REQUEST, 0, 0x00010002, data);

describe('IPv4 reassembly (RFC 791 §3.2, RFC 1122 §3.3.2)', () => {
  it('RFC 1122 §3.3.2: a host reassembles an echo request of 3,000 bytes sent in 1,480-byte fragments', () => {
    const { stack, out } = host();
    const data = pattern(3000);
    for (const f of fragmentV4(echo4(data), evenCuts(3008, 1480))) stack.input(f);
    const r = icmpOut(out);
    expect([r.type, r.word]).toEqual([ICMP_ECHO_REPLY, 0x00010002]);
    expect(Buffer.from(r.body).equals(Buffer.from(data))).toBe(true);
    expect(stack.ip.reassembly.counters.datagrams).toBe(1);
    expect(stack.ip.reassembly.pending).toBe(0);
    expect(stack.ip.reassembly.memory(4)).toBe(0);
  });

  it('fragments reassemble in any order: last first, then middle, then first', () => {
    const { stack, out } = host();
    const data = pattern(2000, 3);
    const frags = fragmentV4(echo4(data), evenCuts(2008, 512));
    for (const f of frags.reverse()) stack.input(f);
    expect(Buffer.from(icmpOut(out).body).equals(Buffer.from(data))).toBe(true);
  });

  it('a fragmented TCP SYN reaches the listener as one segment (the SYN-ACK answers it)', () => {
    const { stack, out } = host();
    stack.listen(null, 80, 16, () => {});
    const syn = encodeTcpPacketV4(PEER, US, { srcPort: 40000, dstPort: 80, seq: 1000, ack: 0, flags: SYN, window: 65535, urgent: 0, options: { mss: 1460, sackPermitted: true, tsVal: 1, tsEcr: 0, wscale: 7 }, payload: new Uint8Array(0) });
    const tcpLen = syn.length - 20;
    for (const f of fragmentV4(syn, [{ offset: 24, len: tcpLen - 24 }, { offset: 0, len: 24 }])) stack.input(f);
    expect(out).toHaveLength(1);
    const d = decodeTcpPacket(out[0]!);
    if (typeof d === 'string') throw new Error(d);
    expect([d.seg.flags, d.seg.ack]).toEqual([SYN | ACK, 1001]);
  });

  it('fragments of different datagrams (other IDs, other protocols) are kept apart', () => {
    const { stack, out } = host();
    const a = fragmentV4(echo4(pattern(1000, 1)), evenCuts(1008, 504), 1);
    const b = fragmentV4(echo4(pattern(1000, 2)), evenCuts(1008, 504), 2);
    for (const f of [a[0]!, b[0]!, b[1]!, a[1]!]) stack.input(f);
    expect(out).toHaveLength(2);
    expect(stack.ip.reassembly.counters.datagrams).toBe(2);
  });

  it('RFC 1858 §4, Linux 4.19 (7969e5c40dfd): an overlapping IPv4 fragment discards the whole datagram', () => {
    const { stack, out } = host();
    const pkt = echo4(pattern(64));
    const frags = fragmentV4(pkt, [{ offset: 0, len: 24 }, { offset: 16, len: 24 }, { offset: 40, len: 32 }]);
    for (const f of frags) stack.input(f);
    expect(out).toHaveLength(0);
    // the two held fragments, and the one after the overlap: everything of that datagram is discarded
    expect(stack.counters.drops.ip_frag_overlap).toBe(3);
    expect(stack.ip.reassembly.counters.overlaps).toBe(1);
    expect(stack.ip.reassembly.memory(4)).toBe(DATAGRAM_OVERHEAD);
  });

  it('RFC 1858 §4: no overlap can rewrite a header — a second first fragment that would turn the request into a reply is never used', () => {
    for (const [len, answered] of [
      [16, true], // same offset and end: a duplicate, dropped alone; the first one's header stands
      [24, false], // longer: an overlap, the datagram is discarded
    ] as const) {
      const { stack, out } = host();
      const data = pattern(64);
      const pkt = echo4(data);
      const evil = pkt.slice(20, 20 + len);
      evil[0] = ICMP_ECHO_REPLY;
      for (const f of fragmentV4(pkt, [{ offset: 0, len: 16 }, { offset: 0, len, data: evil }, { offset: 16, len: 56 }])) stack.input(f);
      if (answered) {
        expect(Buffer.from(icmpOut(out).body).equals(Buffer.from(data))).toBe(true);
        expect(stack.counters.drops.ip_frag_duplicate).toBe(1);
      } else {
        expect(out).toHaveLength(0);
        expect(stack.counters.drops.ip_frag_overlap).toBe(3);
      }
    }
  });

  it('an exact duplicate fragment is dropped alone and the datagram completes (RFC 8200 §4.5, Linux)', () => {
    const { stack, out } = host();
    const data = pattern(100);
    const [a, b] = fragmentV4(echo4(data), evenCuts(108, 56));
    for (const f of [a!, a!, b!]) stack.input(f);
    expect(Buffer.from(icmpOut(out).body).equals(Buffer.from(data))).toBe(true);
    expect(stack.counters.drops.ip_frag_duplicate).toBe(1);
  });

  it('RFC 791: a fragment other than the last whose length is not a multiple of 8 is dropped', () => {
    const { stack } = host();
    stack.input(fragmentV4(echo4(pattern(100)), [{ offset: 0, len: 50 }])[0]!);
    expect(stack.counters.drops.ip_frag_bad_length).toBe(1);
    expect(stack.ip.reassembly.pending).toBe(0);
  });

  it('a datagram that would exceed 65,535 bytes is refused (the "ping of death")', () => {
    const { stack } = host();
    const f = fragmentV4(echo4(pattern(100)), [{ offset: 65528, len: 16, more: false, data: new Uint8Array(16) }])[0]!;
    stack.input(f);
    expect(stack.counters.drops.ip_frag_too_big).toBe(1);
    expect(stack.ip.reassembly.pending).toBe(0);
  });

  it('RFC 1858 §3.2: a TCP fragment at offset 8 is dropped as a tiny fragment, and so is a first TCP fragment under 16 bytes', () => {
    const { stack } = host();
    const syn = encodeTcpPacketV4(PEER, US, { srcPort: 40000, dstPort: 80, seq: 1, ack: 0, flags: SYN, window: 1, urgent: 0, options: {}, payload: new Uint8Array(0) });
    const [first, second] = fragmentV4(syn, [{ offset: 0, len: 8 }, { offset: 8, len: 12 }]);
    stack.input(second!);
    stack.input(first!);
    expect(stack.counters.drops.ip_frag_tiny).toBe(2);
    expect(stack.ip.reassembly.pending).toBe(0);
  });

  it('a second last fragment with another end discards the datagram (Linux ip_frag_queue)', () => {
    const { stack, out } = host();
    const pkt = echo4(pattern(100));
    stack.input(fragmentV4(pkt, [{ offset: 0, len: 56 }])[0]!);
    stack.input(fragmentV4(pkt, [{ offset: 56, len: 52, more: false }])[0]!);
    expect(out).toHaveLength(1); // complete: answered
    out.length = 0;
    stack.input(fragmentV4(pkt, [{ offset: 56, len: 16, more: false }], 9)[0]!);
    stack.input(fragmentV4(pkt, [{ offset: 56, len: 24, more: false }], 9)[0]!);
    expect(out).toHaveLength(0);
    expect(stack.counters.drops.ip_frag_inconsistent).toBe(2);
  });

  it('Linux ipfrag_max_dist (64): a datagram that saw more than 64 of its source\'s fragments go by since its last is restarted', () => {
    for (const [between, maxDist, completes] of [
      [63, 64, true],
      [64, 64, false],
      [200, 0, true], // 0 turns the check off
    ] as const) {
      const { stack, out } = host({ ipfrag_max_dist: maxDist });
      const data = pattern(100);
      const [a1, a2] = fragmentV4(echo4(data), evenCuts(108, 56), 1);
      stack.input(a1!);
      for (let i = 0; i < between; i++) stack.input(fragmentV4(echo4(pattern(100)), evenCuts(108, 56), 1000 + i)[1]!);
      stack.input(a2!);
      if (completes) {
        expect(Buffer.from(icmpOut(out).body).equals(Buffer.from(data))).toBe(true);
      } else {
        expect(out).toHaveLength(0);
        expect(stack.counters.drops.ip_frag_too_far).toBe(1);
        // restarted, not discarded: fragment zero sent again completes it
        stack.input(a1!);
        expect(Buffer.from(icmpOut(out).body).equals(Buffer.from(data))).toBe(true);
      }
    }
  });

  it('fragments for another host are not held', () => {
    const { stack } = host();
    const other = buildIcmpV4(PEER, parseIPv4('10.0.0.3')!, ICMP_ECHO, 0, 1, pattern(100));
    stack.input(fragmentV4(other, [{ offset: 0, len: 56 }])[0]!);
    expect(stack.counters.drops.not_for_us).toBe(1);
    expect(stack.ip.reassembly.pending).toBe(0);
  });
});

describe('reassembly timeouts (RFC 792, RFC 1122 §3.3.2, RFC 8200 §4.5)', () => {
  it('after ipfrag_time (30 s) an incomplete datagram is discarded with Time Exceeded code 1 quoting fragment zero', () => {
    const { stack, out, clock } = host();
    const [first] = fragmentV4(echo4(pattern(100)), evenCuts(108, 56));
    stack.input(first!);
    clock.advance(29_999);
    expect(out).toHaveLength(0);
    clock.advance(1);
    const r = icmpOut(out);
    expect([r.type, r.code]).toEqual([ICMP_TIME_EXCEEDED, 1]);
    expect(Buffer.from(r.body).equals(Buffer.from(first!))).toBe(true);
    expect(stack.counters.drops.ip_frag_timeout).toBe(1);
    expect(stack.ip.reassembly.pending).toBe(0);
    expect(stack.ip.reassembly.memory(4)).toBe(0);
  });

  it('no Time Exceeded when fragment zero never arrived', () => {
    const { stack, out, clock } = host();
    const [, second] = fragmentV4(echo4(pattern(100)), evenCuts(108, 56));
    stack.input(second!);
    clock.advance(30_000);
    expect(out).toHaveLength(0);
    expect(stack.counters.drops.ip_frag_timeout).toBe(1);
  });

  it('RFC 1122 §3.2.2: no Time Exceeded about a datagram that is itself an ICMP error', () => {
    const { stack, out, clock } = host();
    const err = buildIcmpV4(PEER, US, 3, 1, 0, pattern(100));
    stack.input(fragmentV4(err, evenCuts(108, 56))[0]!);
    clock.advance(30_000);
    expect(out).toHaveLength(0);
    expect(stack.counters.drops.ip_frag_timeout).toBe(1);
  });

  it('ipfrag_time is a tunable: 5 s discards at 5 s', () => {
    const { stack, out, clock } = host({ 'net.ipv4.ipfrag_time': 5 });
    stack.input(fragmentV4(echo4(pattern(100)), evenCuts(108, 56))[0]!);
    clock.advance(5_000);
    expect(icmpOut(out).type).toBe(ICMP_TIME_EXCEEDED);
  });

  it('RFC 8200 §4.5: IPv6 gives up after ip6frag_time (60 s) with Time Exceeded code 1 when the first fragment arrived', () => {
    const { stack, out, clock } = host();
    const [first] = fragmentV6(echo6(pattern(100)), evenCuts(108, 56));
    stack.input(first!);
    clock.advance(59_999);
    expect(out).toHaveLength(0);
    clock.advance(1);
    const r = icmpOut(out);
    expect([r.type, r.code]).toEqual([ICMP6_TIME_EXCEEDED, 1]);
    expect(Buffer.from(r.body).equals(Buffer.from(first!))).toBe(true);
  });

  it('the stack holds no clock timer once nothing is being reassembled', () => {
    const { stack, clock } = host();
    const frags = fragmentV4(echo4(pattern(100)), evenCuts(108, 56));
    stack.input(frags[0]!);
    expect(clock.pending()).toBe(1);
    stack.input(frags[1]!);
    expect(clock.pending()).toBe(0);
  });
});

describe('IPv6 reassembly (RFC 8200 §4.5)', () => {
  it('RFC 8200 §4.5: a host reassembles an ICMPv6 echo request from fragments out of order', () => {
    const { stack, out } = host();
    const data = pattern(3000, 5);
    const frags = fragmentV6(echo6(data), evenCuts(3008, 1232));
    for (const f of [frags[2]!, frags[0]!, frags[1]!]) stack.input(f);
    const r = icmpOut(out);
    expect(r.type).toBe(ICMP6_ECHO_REPLY);
    expect(Buffer.from(r.body).equals(Buffer.from(data))).toBe(true);
  });

  it('a fragmented TCP segment over IPv6 reaches the listener', () => {
    const { stack, out } = host();
    stack.listen(null, 80, 16, () => {});
    const syn = encodeTcpPacketV6(PEER6, US6, { srcPort: 40000, dstPort: 80, seq: 7, ack: 0, flags: SYN, window: 65535, urgent: 0, options: { mss: 1440, tsVal: 1, tsEcr: 0 }, payload: new Uint8Array(0) });
    const len = syn.length - 40;
    for (const f of fragmentV6(syn, [{ offset: 24, len: len - 24 }, { offset: 0, len: 24 }])) stack.input(f);
    expect(out).toHaveLength(1);
    const d = decodeTcpPacket(out[0]!);
    expect(typeof d !== 'string' && d.seg.flags).toBe(SYN | ACK);
  });

  it('RFC 5722: an overlapping IPv6 fragment discards the whole datagram, including fragments not yet received', () => {
    const { stack, out, clock } = host();
    const pkt = echo6(pattern(200));
    const cuts: Cut[] = [{ offset: 0, len: 64 }, { offset: 56, len: 64 }, { offset: 120, len: 88 }];
    for (const f of fragmentV6(pkt, cuts)) stack.input(f);
    // a clean retransmission of the same datagram (same ID) before the record expires is discarded too
    for (const f of fragmentV6(pkt, evenCuts(208, 104))) stack.input(f);
    expect(out).toHaveLength(0);
    expect(stack.counters.drops.ip_frag_overlap).toBe(5);
    // once the record has expired, the ID is free again, and no Time Exceeded was sent for it
    clock.advance(60_000);
    expect(out).toHaveLength(0);
    for (const f of fragmentV6(pkt, evenCuts(208, 104))) stack.input(f);
    expect(icmpOut(out).type).toBe(ICMP6_ECHO_REPLY);
  });

  it('RFC 6946: an atomic fragment is processed at once, in isolation from a datagram pending with the same ID', () => {
    const { stack, out } = host();
    const pending = fragmentV6(echo6(pattern(100, 1)), evenCuts(108, 56), 77)[0]!;
    stack.input(pending);
    const data = pattern(40, 2);
    stack.input(fragmentV6(echo6(data), [{ offset: 0, len: 48, more: false }], 77)[0]!);
    const r = icmpOut(out);
    expect(Buffer.from(r.body).equals(Buffer.from(data))).toBe(true);
    expect(stack.ip.counters.atomicFragments).toBe(1);
    expect(stack.ip.reassembly.pending).toBe(1);
  });

  it('RFC 8200 §4.5: a fragment with M set whose length is not a multiple of 8 draws Parameter Problem code 0 at Payload Length', () => {
    const { stack, out } = host();
    stack.input(fragmentV6(echo6(pattern(100)), [{ offset: 0, len: 50 }])[0]!);
    const r = icmpOut(out);
    expect([r.type, r.code, r.word]).toEqual([ICMP6_PARAM_PROBLEM, 0, 4]);
    expect(stack.counters.drops.ip_frag_bad_length).toBe(1);
  });

  it('RFC 8200 §4.5: a fragment that would make the packet exceed 65,535 bytes draws Parameter Problem code 0 at Fragment Offset', () => {
    const { stack, out } = host();
    stack.input(fragmentV6(echo6(pattern(100)), [{ offset: 65528, len: 16, more: false, data: new Uint8Array(16) }])[0]!);
    const r = icmpOut(out);
    expect([r.type, r.code, r.word]).toEqual([ICMP6_PARAM_PROBLEM, 0, 42]);
    expect(stack.counters.drops.ip_frag_too_big).toBe(1);
  });

  it('RFC 7112 §5: a first fragment without the whole upper-layer header draws Parameter Problem code 3', () => {
    const { stack, out } = host();
    const syn = encodeTcpPacketV6(PEER6, US6, { srcPort: 40000, dstPort: 80, seq: 7, ack: 0, flags: SYN, window: 1, urgent: 0, options: { mss: 1440 }, payload: new Uint8Array(0) });
    stack.input(fragmentV6(syn, [{ offset: 0, len: 16 }])[0]!);
    const r = icmpOut(out);
    expect([r.type, r.code, r.word]).toEqual([ICMP6_PARAM_PROBLEM, 3, 0]);
    expect(stack.counters.drops.ip6_frag_incomplete_chain).toBe(1);
  });

  it('a fragment inside a reassembled packet is refused, not reassembled again', () => {
    const { stack, out } = host();
    // the inner packet: an atomic fragment header around an echo request; wrap it in another
    const inner = fragmentV6(echo6(pattern(16)), [{ offset: 0, len: 24, more: false }])[0]!;
    const outer = new Uint8Array(inner.length + 8);
    outer.set(inner.subarray(0, 40));
    outer[4] = (inner.length - 40 + 8) >> 8;
    outer[5] = (inner.length - 40 + 8) & 255;
    outer[6] = 44;
    outer[40] = 44; // the next header after this Fragment header is another Fragment header
    outer.set(inner.subarray(40), 48);
    stack.input(outer);
    expect(out).toHaveLength(0);
    expect(stack.counters.drops.ip_frag_nested).toBe(1);
  });
});

describe('memory bounds: ipfrag_high_thresh / ipfrag_low_thresh', () => {
  it('a flood of incomplete datagrams never holds more than ipfrag_high_thresh (4 MiB by default)', () => {
    const { stack } = host();
    const first = fragmentV4(echo4(pattern(1400)), evenCuts(1408, 1400))[0]!;
    let peak = 0;
    for (let id = 0; id < 20_000; id++) {
      first[4] = id >> 8;
      first[5] = id & 255;
      first[10] = first[11] = 0;
      const ck = checksum20(first);
      first[10] = ck >> 8;
      first[11] = ck & 255;
      stack.input(first);
      peak = Math.max(peak, stack.ip.reassembly.memory(4));
    }
    expect(peak).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(peak).toBeGreaterThan(3 * 1024 * 1024);
    expect(stack.counters.drops.ip_frag_evicted).toBeGreaterThan(10_000);
    // every fragment in is either held or counted as evicted
    expect(stack.ip.reassembly.pending + stack.counters.drops.ip_frag_evicted!).toBe(20_000);
  });

  it('a flood from one source evicts its own datagrams before another source\'s', () => {
    const { stack, out } = host({ ipfrag_high_thresh: 256 * 1024, ipfrag_low_thresh: 192 * 1024 });
    const victim = fragmentV4(echo4(pattern(1000)), evenCuts(1008, 504), 4242);
    stack.input(victim[0]!);
    const attacker = parseIPv4('10.9.9.9')!;
    const flood = fragmentV4(buildIcmpV4(attacker, US, ICMP_ECHO, 0, 1, pattern(1400)), evenCuts(1408, 1400))[0]!;
    for (let id = 0; id < 2000; id++) {
      flood[4] = id >> 8;
      flood[5] = id & 255;
      flood[10] = flood[11] = 0;
      const ck = checksum20(flood);
      flood[10] = ck >> 8;
      flood[11] = ck & 255;
      stack.input(flood);
    }
    expect(stack.ip.reassembly.memory(4)).toBeLessThanOrEqual(256 * 1024);
    stack.input(victim[1]!);
    expect(icmpOut(out).type).toBe(ICMP_ECHO_REPLY);
  });

  it('what ipfrag_high_thresh counts is what the heap holds: two floods of 60,000 fragments grow it by at most 4 MiB × 1.25', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const held = (): number => {
      gc();
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    for (const [label, size, perDatagram] of [
      ['first fragments of 1,400 bytes', 1400, 1],
      ['8-byte fragments, 40 a datagram', 8, 40],
    ] as const) {
      const { stack } = host();
      const before = held();
      const f = fragmentV4(buildIcmpV4(PEER, US, ICMP_ECHO, 0, 1, new Uint8Array(16 + 32 * perDatagram + size)), [{ offset: 0, len: size, more: true, data: new Uint8Array(size) }])[0]!;
      for (let n = 0; n < 60_000; n++) {
        const id = Math.floor(n / perDatagram);
        const offset = perDatagram === 1 ? 0 : 16 + 32 * (n % perDatagram);
        f[4] = (id >> 8) & 255;
        f[5] = id & 255;
        f[6] = 0x20 | (offset >> 11);
        f[7] = (offset >> 3) & 255;
        f[15] = id % 200; // 200 sources
        f[10] = f[11] = 0;
        const ck = checksum20(f);
        f[10] = ck >> 8;
        f[11] = ck & 255;
        stack.input(f);
      }
      const grown = held() - before;
      const accounted = stack.ip.reassembly.memory(4);
      console.log(`reassembly flood, ${label}: ${stack.ip.reassembly.pending} datagrams held, ${accounted} bytes accounted, heap + buffers grew ${grown} bytes (${(grown / accounted).toFixed(2)}×); ${stack.counters.drops.ip_frag_evicted} fragments evicted`);
      expect(accounted).toBeLessThanOrEqual(4 * 1024 * 1024);
      expect(grown).toBeLessThanOrEqual(1.25 * 4 * 1024 * 1024);
    }
  });

  it('each held fragment is charged its data plus a fixed overhead', () => {
    const { stack } = host();
    const frags = fragmentV4(echo4(pattern(1000)), evenCuts(1008, 504));
    stack.input(frags[1]!);
    expect(stack.ip.reassembly.memory(4)).toBe(DATAGRAM_OVERHEAD + 504 + FRAGMENT_OVERHEAD);
  });

  it('ipfrag_high_thresh 0 turns reassembly off (as in Linux)', () => {
    const { stack } = host({ ipfrag_high_thresh: 0, ipfrag_low_thresh: 0 });
    stack.input(fragmentV4(echo4(pattern(100)), evenCuts(108, 56))[0]!);
    expect(stack.counters.drops.ip_frag_memory).toBe(1);
    expect(stack.ip.reassembly.pending).toBe(0);
  });
});

describe('the reassembly tunables', () => {
  it('have Linux\'s names and defaults', () => {
    const { stack } = host();
    expect(stack.sysctl).toMatchObject({
      ipfrag_high_thresh: 4194304,
      ipfrag_low_thresh: 3145728,
      ipfrag_time: 30,
      ipfrag_max_dist: 64,
      ip6frag_high_thresh: 4194304,
      ip6frag_low_thresh: 3145728,
      ip6frag_time: 60,
    });
  });

  it('accept net.ipv6.-prefixed names and refuse a low threshold above the high one', () => {
    const { stack } = host();
    stack.setSysctl({ 'net.ipv6.ip6frag_time': 10 });
    expect(stack.sysctl.ip6frag_time).toBe(10);
    expect(() => stack.setSysctl({ ipfrag_low_thresh: 5 * 1024 * 1024 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('must not exceed ipfrag_high_thresh') }),
    );
  });
});

function checksum20(p: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (p[i]! << 8) | p[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
