/**
 * EthernetAdapter and the neighbour cache: ARP requests for the stack's address are answered
 * (RFC 826), outgoing packets wait for resolution (queued, retried, given up after 3 tries),
 * entries expire, IPv6 neighbour solicitations are answered (RFC 4861 §7.2.4), and a whole TCP
 * exchange works between two stacks joined only by Ethernet frames.
 */
import { describe, expect, it } from 'vitest';
import { Stack } from '../../src/index.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { EthernetAdapter } from '../../src/link/ethernet-adapter.js';
import { ARP_REPLY, ARP_REQUEST, buildArpFrame, parseArp } from '../../src/link/arp.js';
import { BROADCAST_MAC, ETH_P_ARP, ETH_P_IPV6, formatMac, parseEthernet, parseMac } from '../../src/link/ethernet.js';
import { buildIcmpV4, buildIcmpV6, ICMP_ECHO } from '../../src/ip/icmp.js';
import { parseIPv4, parseIPv6 } from '../../src/wire/addr.js';

const US = parseIPv4('10.0.0.2')!;
const PEER = parseIPv4('10.0.0.1')!;
const OUR_MAC = parseMac('02:00:00:00:00:02')!;
const PEER_MAC = parseMac('02:00:00:00:00:01')!;

function nic(): { stack: Stack; adapter: EthernetAdapter; frames: Uint8Array[]; clock: VirtualClock } {
  const clock = new VirtualClock();
  const stack = new Stack({ addresses: ['10.0.0.2', 'fd00::2'], clock, seed: 2 });
  const adapter = new EthernetAdapter(stack, { mac: OUR_MAC });
  const frames: Uint8Array[] = [];
  adapter.on('frame', (f: Uint8Array) => frames.push(f.slice()));
  return { stack, adapter, frames, clock };
}

function frame(dst: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0);
  f.set(PEER_MAC, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  f.set(payload, 14);
  return f;
}

describe('ARP', () => {
  it('answers a request for our address with our MAC, unicast to the asker', () => {
    const { adapter, frames } = nic();
    adapter.input(buildArpFrame(BROADCAST_MAC, ARP_REQUEST, PEER_MAC, PEER, new Uint8Array(6), US));
    expect(frames).toHaveLength(1);
    const h = parseEthernet(frames[0]!)!;
    expect(h.etherType).toBe(ETH_P_ARP);
    expect(formatMac(h.dst)).toBe('02:00:00:00:00:01');
    const a = parseArp(frames[0]!, 14)!;
    expect(a).toMatchObject({ op: ARP_REPLY, senderIp: US, targetIp: PEER });
    expect(formatMac(a.senderMac)).toBe('02:00:00:00:00:02');
    // the asker was learned (RFC 826: we are the target), so a reply to it needs no request
    expect(adapter.arp.lookup(PEER, 0)).not.toBeNull();
  });

  it('ignores requests for other addresses and does not learn from them', () => {
    const { adapter, frames } = nic();
    adapter.input(buildArpFrame(BROADCAST_MAC, ARP_REQUEST, PEER_MAC, PEER, new Uint8Array(6), parseIPv4('10.0.0.9')!));
    expect(frames).toHaveLength(0);
    expect(adapter.arp.size).toBe(0);
  });

  it('queues a packet for an unknown neighbour, asks by broadcast, and sends it on the reply', () => {
    const { adapter, frames } = nic();
    // a ping from the peer arrives without an ARP first: our reply must resolve the peer
    adapter.input(frame(OUR_MAC, 0x0800, buildIcmpV4(PEER, US, ICMP_ECHO, 0, 1, new Uint8Array(4))));
    expect(frames).toHaveLength(1);
    expect(parseArp(frames[0]!, 14)).toMatchObject({ op: ARP_REQUEST, targetIp: PEER, senderIp: US });
    expect(parseEthernet(frames[0]!)!.dst).toEqual(BROADCAST_MAC);
    adapter.input(buildArpFrame(OUR_MAC, ARP_REPLY, PEER_MAC, PEER, OUR_MAC, US));
    expect(frames).toHaveLength(2);
    const h = parseEthernet(frames[1]!)!;
    expect(h.etherType).toBe(0x0800);
    expect(formatMac(h.dst)).toBe('02:00:00:00:00:01');
    expect(frames[1]![14 + 20]).toBe(0); // ICMP echo reply
  });

  it('retries once a second, gives up after 3 requests dropping the queue; entries expire after 30 s', () => {
    const { adapter, frames, clock } = nic();
    adapter.input(frame(OUR_MAC, 0x0800, buildIcmpV4(PEER, US, ICMP_ECHO, 0, 1, new Uint8Array(4))));
    clock.advance(1000);
    clock.advance(1000);
    clock.advance(1000);
    clock.advance(1000);
    expect(frames.filter((f) => parseEthernet(f)!.etherType === ETH_P_ARP)).toHaveLength(3);
    expect(adapter.arp.stats).toMatchObject({ failed: 1, queueDrops: 1 });
    adapter.arp.learn(PEER, PEER_MAC, clock.now());
    expect(adapter.arp.lookup(PEER, clock.now() + 29_999)).not.toBeNull();
    expect(adapter.arp.lookup(PEER, clock.now() + 30_000)).toBeNull();
  });
});

describe('IPv6 neighbour discovery', () => {
  it('answers a neighbour solicitation for our address with a solicited advertisement', () => {
    const { adapter, frames } = nic();
    const us6 = parseIPv6('fd00::2')!;
    const peer6 = parseIPv6('fd00::1')!;
    const body = new Uint8Array(24);
    body.set(us6, 0);
    body[16] = 1; // source link-layer address option
    body[17] = 1;
    body.set(PEER_MAC, 18);
    const snm = parseIPv6('ff02::1:ff00:2')!;
    const ns = buildIcmpV6(peer6, snm, 135, 0, 0, body, 255);
    adapter.input(frame(new Uint8Array([0x33, 0x33, 0xff, 0, 0, 2]), ETH_P_IPV6, ns));
    expect(frames).toHaveLength(1);
    const f = frames[0]!;
    expect(formatMac(parseEthernet(f)!.dst)).toBe('02:00:00:00:00:01');
    const ip = f.subarray(14);
    expect(ip[7]).toBe(255); // hop limit 255 (RFC 4861 §7.1.2)
    expect(ip[40]).toBe(136);
    expect(ip[44]! & 0x40).toBe(0x40); // Solicited
    expect([...ip.subarray(48, 64)]).toEqual([...us6]);
    expect([...ip.subarray(66, 72)]).toEqual([...OUR_MAC]); // target link-layer address option
  });
});

describe('two stacks joined only by Ethernet frames', () => {
  it('resolve each other by ARP and exchange data over TCP', async () => {
    const a = new Stack({ addresses: ['10.0.0.1'] });
    const b = new Stack({ addresses: ['10.0.0.2'] });
    const na = new EthernetAdapter(a);
    const nb = new EthernetAdapter(b);
    na.on('frame', (f: Uint8Array) => {
      const c = f.slice();
      setImmediate(() => nb.input(c));
    });
    nb.on('frame', (f: Uint8Array) => {
      const c = f.slice();
      setImmediate(() => na.input(c));
    });
    b.net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s)).listen(7);
    const got = await new Promise<string>((resolve, reject) => {
      const s = a.net.connect({ host: '10.0.0.2', port: 7, allowHalfOpen: true });
      let text = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.on('end', () => resolve(text));
      s.on('error', reject);
      s.end('over ethernet');
    });
    expect(got).toBe('over ethernet');
    expect(na.counters.arpRequestsSent).toBe(1);
    expect(nb.counters.arpRepliesSent).toBe(1);
    na.close();
    nb.close();
    a.destroy();
    b.destroy();
  });
});
