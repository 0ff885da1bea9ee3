/**
 * ip/: ICMP and ICMPv6 echo, unreachables for what nobody here speaks (rate-limited), fragments
 * held for reassembly, and ICMP errors reaching TCP: an unreachable aborts a connection in SYN_SENT with
 * Linux's errno (only when the quoted sequence number is in the window, RFC 5927 §4.1), and
 * fragmentation-needed / packet-too-big lowers the MSS (RFC 1191, RFC 8201).
 */
import { describe, expect, it } from 'vitest';
import { Stack } from '../../src/index.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { decodePacket, decodeTcpPacket, encodeTcpPacketV4 } from '../../src/wire/packet.js';
import { writeIPv4HeaderRaw } from '../../src/wire/ipv4.js';
import { finish, sum } from '../../src/wire/checksum.js';
import { parseIPv4, parseIPv6 } from '../../src/wire/addr.js';
import { SYN } from '../../src/wire/segment.js';
import {
  ICMP6_ECHO_REPLY,
  ICMP6_ECHO_REQUEST,
  ICMP6_PACKET_TOO_BIG,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHO_REPLY,
  buildIcmpV4,
  buildIcmpV6,
  icmp6ChecksumOk,
  icmpChecksumOk,
} from '../../src/ip/icmp.js';

const US = parseIPv4('10.0.0.2')!;
const PEER = parseIPv4('10.0.0.1')!;
const US6 = parseIPv6('fd00::2')!;
const PEER6 = parseIPv6('fd00::1')!;

function host(): { stack: Stack; out: Uint8Array[]; clock: VirtualClock } {
  const clock = new VirtualClock();
  const stack = new Stack({ addresses: ['10.0.0.2', 'fd00::2'], clock, seed: 1 });
  const out: Uint8Array[] = [];
  stack.on('packet', (p: Uint8Array) => out.push(p.slice()));
  return { stack, out, clock };
}

function icmpOf(p: Uint8Array): { type: number; code: number; word: number; body: Uint8Array; ok: boolean; src: string } {
  const d = decodePacket(p);
  if (typeof d === 'string') throw new Error(d);
  const off = d.payloadOffset;
  const len = d.payloadLength;
  const ok = d.version === 4 ? icmpChecksumOk(p, off, len) : icmp6ChecksumOk(d.src6!, d.dst6!, p, off, len);
  return {
    type: p[off]!,
    code: p[off + 1]!,
    word: ((p[off + 4]! << 24) | (p[off + 5]! << 16) | (p[off + 6]! << 8) | p[off + 7]!) >>> 0,
    body: p.subarray(off + 8, off + len),
    ok,
    src: d.version === 4 ? String(d.src4) : Buffer.from(d.src6!).toString('hex'),
  };
}

describe('ICMP echo', () => {
  it('answers an IPv4 echo request with the same identifier, sequence number and data', () => {
    const { stack, out } = host();
    const data = new TextEncoder().encode('abcdefghijklmnopqrstuvwabcdefghi');
    stack.input(buildIcmpV4(PEER, US, ICMP_ECHO, 0, 0x12340007, data));
    expect(out).toHaveLength(1);
    const r = icmpOf(out[0]!);
    expect(r).toMatchObject({ type: ICMP_ECHO_REPLY, code: 0, word: 0x12340007, ok: true, src: String(US) });
    expect(Buffer.from(r.body).toString()).toBe('abcdefghijklmnopqrstuvwabcdefghi');
    expect(stack.ip.counters.echoRequests).toBe(1);
  });

  it('answers an ICMPv6 echo request (RFC 4443 §4.2)', () => {
    const { stack, out } = host();
    stack.input(buildIcmpV6(PEER6, US6, ICMP6_ECHO_REQUEST, 0, 0xbeef0001, new Uint8Array([1, 2, 3])));
    expect(out).toHaveLength(1);
    const r = icmpOf(out[0]!);
    expect(r).toMatchObject({ type: ICMP6_ECHO_REPLY, word: 0xbeef0001, ok: true, src: Buffer.from(US6).toString('hex') });
    expect([...r.body]).toEqual([1, 2, 3]);
  });

  it('drops a request with a bad checksum and one for another address, and holds a first fragment for reassembly', () => {
    const { stack, out } = host();
    const bad = buildIcmpV4(PEER, US, ICMP_ECHO, 0, 1, new Uint8Array(8));
    bad[23] ^= 0xff;
    stack.input(bad);
    stack.input(buildIcmpV4(PEER, parseIPv4('10.0.0.3')!, ICMP_ECHO, 0, 1, new Uint8Array(8)));
    const frag = buildIcmpV4(PEER, US, ICMP_ECHO, 0, 1, new Uint8Array(8));
    frag[6] |= 0x20; // More Fragments: the first piece of a fragmented datagram
    frag[10] = frag[11] = 0;
    const c = finish(sum(frag, 0, 20));
    frag[10] = c >>> 8;
    frag[11] = c & 0xff;
    stack.input(frag);
    expect(out).toHaveLength(0);
    expect(stack.counters.drops).toEqual({ icmp_bad_checksum: 1, not_for_us: 1 });
    expect(stack.ip.reassembly.pending).toBe(1);
  });
});

describe('sources no host sends from', () => {
  it('never answers 0.0.0.0, 255.255.255.255, multicast or :: sources (RFC 1122 §3.2.2, RFC 4443 §2.4(e))', () => {
    const { stack, out } = host();
    for (const src of ['0.0.0.0', '255.255.255.255', '224.0.0.1']) {
      stack.input(buildIcmpV4(parseIPv4(src)!, US, ICMP_ECHO, 0, 1, new Uint8Array(8)));
    }
    stack.input(buildIcmpV6(parseIPv6('ff02::1')!, US6, ICMP6_ECHO_REQUEST, 0, 1, new Uint8Array(8)));
    stack.input(buildIcmpV6(parseIPv6('::')!, US6, ICMP6_ECHO_REQUEST, 0, 1, new Uint8Array(8)));
    expect(out).toHaveLength(0);
    expect(stack.counters.drops.ip_bad_source).toBe(5);
  });
});

describe('unreachables for what nobody here speaks', () => {
  function udp(src: number, dst: number): Uint8Array {
    const p = new Uint8Array(20 + 8 + 4);
    writeIPv4HeaderRaw(p, 0, src, dst, 17, 12, 64, 1, true, 0);
    p[20] = 0x30; // source port 12345
    p[21] = 0x39;
    p[23] = 53; // destination port 53
    p[25] = 12;
    return p;
  }

  it('answers UDP with port unreachable quoting the datagram (RFC 1122 §3.2.2.1), rate-limited', () => {
    const { stack, out, clock } = host();
    stack.input(udp(PEER, US));
    expect(out).toHaveLength(1);
    const r = icmpOf(out[0]!);
    expect(r).toMatchObject({ type: ICMP_DEST_UNREACH, code: 3, ok: true });
    expect([...r.body.subarray(0, 32)]).toEqual([...udp(PEER, US)]);
    // a burst of 100 at one instant: the token bucket (burst 50) holds the rest back
    for (let i = 0; i < 100; i++) stack.input(udp(PEER, US));
    expect(out.length).toBeLessThanOrEqual(51);
    expect(stack.ip.counters.rateLimited).toBeGreaterThanOrEqual(50);
    clock.advance(1000);
    stack.input(udp(PEER, US));
    expect(out.length).toBeLessThanOrEqual(52);
    expect(icmpOf(out[out.length - 1]!).type).toBe(ICMP_DEST_UNREACH);
  });
});

/** Open a connection from the stack to the peer and return its SYN as it went out. */
function synSent(version: 4 | 6): { stack: Stack; out: Uint8Array[]; socket: ReturnType<Stack['net']['connect']>; syn: Uint8Array; errors: Error[] } {
  const { stack, out } = host();
  const socket = stack.net.connect({ host: version === 4 ? '10.0.0.1' : 'fd00::1', port: 80 });
  const errors: Error[] = [];
  socket.on('error', (e) => errors.push(e));
  const syn = out.find((p) => {
    const d = decodeTcpPacket(p);
    return typeof d !== 'string' && (d.seg.flags & SYN) !== 0;
  })!;
  expect(syn).toBeDefined();
  return { stack, out, socket, syn, errors };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ICMP errors reaching TCP', () => {
  it('port unreachable for a SYN aborts the connect with ECONNREFUSED; host unreachable with EHOSTUNREACH', async () => {
    for (const [code, errno] of [
      [3, 'ECONNREFUSED'],
      [1, 'EHOSTUNREACH'],
      [0, 'ENETUNREACH'],
    ] as const) {
      const { stack, socket, syn, errors } = synSent(4);
      stack.input(buildIcmpV4(PEER, US, ICMP_DEST_UNREACH, code, 0, syn.subarray(0, 28)));
      await tick();
      await tick();
      expect(errors.map((e) => (e as Error & { code: string }).code)).toEqual([errno]);
      expect(errors[0]!.message).toBe(`connect ${errno} 10.0.0.1:80`);
      expect(socket.destroyed).toBe(true);
      expect(stack.connectionCount).toBe(0);
    }
  });

  it('ignores an unreachable whose quoted sequence number is not one we sent (RFC 5927 §4.1)', async () => {
    const { stack, syn, errors } = synSent(4);
    const forged = syn.slice(0, 28);
    forged[24] ^= 0x80; // the quoted sequence number's top bit
    stack.input(buildIcmpV4(PEER, US, ICMP_DEST_UNREACH, 3, 0, forged));
    await tick();
    expect(errors).toEqual([]);
    expect(stack.stateCounts()).toEqual({ SYN_SENT: 1 });
    expect(stack.counters.drops.icmp_out_of_window).toBe(1);
  });

  it('ICMPv6 port unreachable aborts a v6 connect with ECONNREFUSED', async () => {
    const { stack, syn, errors } = synSent(6);
    stack.input(buildIcmpV6(PEER6, US6, 1, 4, 0, syn));
    await tick();
    await tick();
    expect(errors.map((e) => (e as Error & { code: string }).code)).toEqual(['ECONNREFUSED']);
  });

  it('an ICMP error for no connection is counted and dropped', () => {
    const { stack } = host();
    const seg = { srcPort: 40000, dstPort: 80, seq: 1, ack: 0, flags: SYN, window: 1000, urgent: 0, options: {}, payload: new Uint8Array(0) };
    const quoted = encodeTcpPacketV4(US, PEER, seg);
    stack.input(buildIcmpV4(PEER, US, ICMP_DEST_UNREACH, 3, 0, quoted.subarray(0, 28)));
    expect(stack.counters.drops.icmp_no_connection).toBe(1);
  });
});

describe('path MTU discovery', () => {
  /** Two stacks on the real clock, joined asynchronously; `filter` may swallow a→b packets. */
  function pair(filter: (p: Uint8Array) => boolean): [Stack, Stack] {
    const a = new Stack({ addresses: ['10.0.0.1', 'fd00::1'] });
    const b = new Stack({ addresses: ['10.0.0.2', 'fd00::2'] });
    a.on('packet', (p: Uint8Array) => {
      const c = p.slice();
      if (filter(c)) setImmediate(() => b.input(c));
    });
    b.on('packet', (p: Uint8Array) => {
      const c = p.slice();
      setImmediate(() => a.input(c));
    });
    return [a, b];
  }

  for (const version of [4, 6] as const) {
    it(`IPv${version}: a "too big" for a full-sized segment lowers the MSS, resends at once, and the data arrives whole`, async () => {
      const mtu = version === 4 ? 1000 : 1280;
      const sizes: number[] = [];
      let told = false;
      let a!: Stack;
      const [sa, b] = pair((p) => {
        sizes.push(p.length);
        if (p.length > mtu) {
          // a router with a smaller next hop: drop it and say so (RFC 1191 §4 / RFC 4443 §3.2)
          if (!told) {
            told = true;
            const icmp =
              version === 4
                ? buildIcmpV4(parseIPv4('10.0.0.254')!, PEER, ICMP_DEST_UNREACH, 4, mtu, p.subarray(0, 28))
                : buildIcmpV6(parseIPv6('fd00::fe')!, PEER6, ICMP6_PACKET_TOO_BIG, 0, mtu, p.subarray(0, 1232));
            setImmediate(() => a.input(icmp));
          }
          return false;
        }
        return true;
      });
      a = sa;
      const data = Buffer.alloc(64 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
      const got: Buffer[] = [];
      const done = new Promise<void>((resolve) => {
        b.net
          .createServer((s) => {
            s.on('data', (d: Buffer) => got.push(d));
            s.on('end', () => {
              s.end();
              resolve();
            });
          })
          .listen(9);
      });
      const c = a.net.connect({ host: version === 4 ? '10.0.0.2' : 'fd00::2', port: 9 });
      c.end(data);
      await done;
      expect(Buffer.concat(got).equals(data)).toBe(true);
      expect(told).toBe(true);
      expect(a.ip.counters.pmtuMessages).toBe(1);
      // after the message every packet fits the new MTU; only the first data flight was too big
      const firstBig = sizes.findIndex((n) => n > mtu);
      const tooBigAfter = sizes.slice(firstBig).filter((n) => n > mtu).length;
      expect(tooBigAfter).toBeLessThanOrEqual(sizes.slice(firstBig).findIndex((n) => n <= mtu) + 1);
      expect(sizes.slice(-10).every((n) => n <= mtu)).toBe(true);
      a.destroy();
      b.destroy();
    });
  }
});
