/**
 * The UDP layer inside the stack: demultiplexing to bound sockets (exact address before wildcard,
 * connected before unconnected), the port table's bind rules, and bad datagrams counted and dropped
 * without an ICMP answer.
 */
import { describe, expect, it } from 'vitest';
import { Stack, VirtualClock } from '../../src/index.js';
import { parseIPv4, parseIPv6 } from '../../src/wire/addr.js';
import { encodeUdpPacketV4, encodeUdpPacketV6 } from '../../src/wire/udp.js';
import { ipFromText } from '../../src/stack/ip-addr.js';
import type { UdpReceiver } from '../../src/udp/udp-layer.js';

const US = parseIPv4('10.0.0.2')!;
const PEER = parseIPv4('10.0.0.1')!;
const US6 = parseIPv6('fd00::2')!;
const PEER6 = parseIPv6('fd00::1')!;

function host(): { stack: Stack; out: Uint8Array[] } {
  const stack = new Stack({ addresses: ['10.0.0.2', '10.0.0.3', 'fd00::2'], clock: new VirtualClock(), seed: 1 });
  const out: Uint8Array[] = [];
  stack.on('packet', (p: Uint8Array) => out.push(p.slice()));
  return { stack, out };
}

function receiver(log: string[], name: string): UdpReceiver {
  return { datagram: (p) => log.push(`${name}:${Buffer.from(p).toString()}`), error: (e) => log.push(`${name}!${e}`) };
}

const ip = (t: string) => ipFromText(t)!;

describe('demultiplexing by local address and port', () => {
  it('a wildcard bind takes the port on every address of ours; a specific bind only on its own (and they conflict)', () => {
    const { stack } = host();
    const log: string[] = [];
    stack.udp.bind(4, null, 53, receiver(log, 'any'));
    // without SO_REUSEADDR a wildcard and a specific bind of one port conflict (Linux inet_csk_bind_conflict)
    expect(stack.udp.bind(4, ip('10.0.0.3'), 53, receiver(log, 'x'))).toBe('EADDRINUSE');
    stack.udp.bind(4, ip('10.0.0.3'), 54, receiver(log, 'specific'));
    stack.input(encodeUdpPacketV4(PEER, parseIPv4('10.0.0.3')!, 1000, 53, Buffer.from('a')));
    stack.input(encodeUdpPacketV4(PEER, parseIPv4('10.0.0.3')!, 1000, 54, Buffer.from('b')));
    stack.input(encodeUdpPacketV4(PEER, US, 1000, 54, Buffer.from('c')));
    expect(log).toEqual(['any:a', 'specific:b']);
    expect(stack.udp.counters).toMatchObject({ datagramsIn: 2, noPorts: 1 });
  });

  it('sockets on one port with different local addresses both bind and each gets its own', () => {
    const { stack } = host();
    const log: string[] = [];
    stack.udp.bind(4, ip('10.0.0.2'), 53, receiver(log, 'two'));
    stack.udp.bind(4, ip('10.0.0.3'), 53, receiver(log, 'three'));
    stack.input(encodeUdpPacketV4(PEER, parseIPv4('10.0.0.3')!, 1000, 53, Buffer.from('3')));
    stack.input(encodeUdpPacketV4(PEER, US, 1000, 53, Buffer.from('2')));
    expect(log).toEqual(['three:3', 'two:2']);
  });

  it('an IPv4 datagram does not reach a udp6 socket on the same port (IPv6-only here)', () => {
    const { stack, out } = host();
    const log: string[] = [];
    stack.udp.bind(6, null, 53, receiver(log, 'six'));
    stack.input(encodeUdpPacketV4(PEER, US, 1000, 53, Buffer.from('4')));
    stack.input(encodeUdpPacketV6(PEER6, US6, 1000, 53, Buffer.from('6')));
    expect(log).toEqual(['six:6']);
    expect(out).toHaveLength(1); // the port unreachable for the IPv4 one
  });
});

describe('the port table', () => {
  it('port 0 picks a free port inside ip_local_port_range, different each time', () => {
    const { stack } = host();
    stack.setSysctl({ ip_local_port_range: [40000, 40002] });
    const ports = [0, 1, 2].map(() => (stack.udp.bind(4, null, 0, receiver([], 'e')) as { port: number }).port);
    expect([...ports].sort()).toEqual([40000, 40001, 40002]);
    expect(stack.udp.bind(4, null, 0, receiver([], 'e'))).toBe('EADDRINUSE');
  });

  it('the same port in the other family is free; unbind frees it', () => {
    const { stack } = host();
    const b = stack.udp.bind(4, null, 53, receiver([], 'a'));
    expect(typeof stack.udp.bind(6, null, 53, receiver([], 'b'))).toBe('object');
    expect(stack.udp.bind(4, null, 53, receiver([], 'c'))).toBe('EADDRINUSE');
    stack.udp.unbind(b as Exclude<typeof b, string>);
    expect(typeof stack.udp.bind(4, null, 53, receiver([], 'd'))).toBe('object');
  });

  it('an address that is not ours is EADDRNOTAVAIL', () => {
    const { stack } = host();
    expect(stack.udp.bind(4, ip('10.9.9.9'), 53, receiver([], 'a'))).toBe('EADDRNOTAVAIL');
  });
});

describe('bad datagrams are counted and dropped, never answered', () => {
  it('a wrong checksum: dropped as udp_bad_checksum, no port unreachable, no delivery', () => {
    const { stack, out } = host();
    const log: string[] = [];
    stack.udp.bind(4, null, 53, receiver(log, 's'));
    const p = encodeUdpPacketV4(PEER, US, 1000, 53, Buffer.from('x'));
    p[28] ^= 0xff;
    stack.input(p);
    const q = encodeUdpPacketV4(PEER, US, 1000, 9, Buffer.from('x'));
    q[28] ^= 0xff;
    stack.input(q);
    expect(log).toEqual([]);
    expect(out).toEqual([]);
    expect(stack.counters.drops.udp_bad_checksum).toBe(2);
    expect(stack.udp.counters.inErrors).toBe(2);
  });

  it('IPv6 with a zero checksum: dropped (RFC 8200 §8.1); IPv4 with a zero checksum: delivered (RFC 768)', () => {
    const { stack } = host();
    const log: string[] = [];
    stack.udp.bind(4, null, 53, receiver(log, 'v4'));
    stack.udp.bind(6, null, 53, receiver(log, 'v6'));
    const p6 = encodeUdpPacketV6(PEER6, US6, 1000, 53, Buffer.from('six'));
    p6[46] = 0;
    p6[47] = 0;
    stack.input(p6);
    const p4 = encodeUdpPacketV4(PEER, US, 1000, 53, Buffer.from('four'));
    p4[26] = 0;
    p4[27] = 0;
    stack.input(p4);
    expect(log).toEqual(['v4:four']);
    expect(stack.counters.drops.udp6_zero_checksum).toBe(1);
  });

  it('a UDP length beyond the IP payload is dropped; trailing bytes after it are ignored', () => {
    const { stack } = host();
    const log: string[] = [];
    stack.udp.bind(4, null, 53, receiver(log, 's'));
    const long = encodeUdpPacketV4(PEER, US, 1000, 53, Buffer.from('abc'));
    long[25] += 1; // UDP length 12 in a payload of 11
    stack.input(long);
    expect(stack.counters.drops.udp_bad_length).toBe(1);
    // the same datagram with two bytes of padding after it inside the IP packet
    const inner = encodeUdpPacketV4(PEER, US, 1000, 53, Buffer.from('abc'));
    const padded = new Uint8Array(inner.length + 2);
    padded.set(inner);
    padded[3] = padded.length; // IP total length covers the padding
    const ipSum = (() => {
      padded[10] = 0;
      padded[11] = 0;
      let s = 0;
      for (let i = 0; i < 20; i += 2) s += (padded[i]! << 8) | padded[i + 1]!;
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      return ~s & 0xffff;
    })();
    padded[10] = ipSum >>> 8;
    padded[11] = ipSum & 0xff;
    stack.input(padded);
    expect(log).toEqual(['s:abc']);
  });
});
