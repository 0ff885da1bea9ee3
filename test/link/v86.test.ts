/**
 * The v86 network adapter with synthetic frames: it sits on v86's bus (`net<N>-send` from the guest's
 * NIC, `net<N>-receive` to it), answers ARP for the stack, and carries a whole TCP exchange between
 * the stack and a "guest" (a second synack stack behind an EthernetAdapter, playing the NIC),
 * including through a NIC that drops bursts beyond 8 frames as v86's NE2000 model does.
 */
import { describe, expect, it } from 'vitest';
import '../../src/api/net.js';
import { SimNetwork, Stack, V86NetworkAdapter, v86NetworkAdapter, type V86Bus } from '../../src/index.js';
import { EthernetAdapter } from '../../src/link/ethernet-adapter.js';
import { ARP_REPLY, ARP_REQUEST, buildArpFrame, parseArp } from '../../src/link/arp.js';
import { BROADCAST_MAC, parseMac } from '../../src/link/ethernet.js';
import { parseIPv4 } from '../../src/wire/addr.js';

type Handler = (data: Uint8Array) => void;

/** v86's BusConnector pair, folded into one: send(name) calls whoever registered name. */
class FakeBus implements V86Bus {
  readonly handlers = new Map<string, Handler[]>();
  readonly sent: [string, Uint8Array][] = [];
  register(name: string, fn: Handler): void {
    this.handlers.set(name, [...(this.handlers.get(name) ?? []), fn]);
  }
  unregister(name: string, fn: Handler): void {
    this.handlers.set(name, (this.handlers.get(name) ?? []).filter((f) => f !== fn));
  }
  send(name: string, data: Uint8Array): void {
    this.sent.push([name, data]);
    for (const h of this.handlers.get(name) ?? []) h(data);
  }
}

const GUEST_MAC = parseMac('52:54:00:12:34:56')!;
const GUEST_IP = parseIPv4('10.0.2.15')!;
const STACK_IP = parseIPv4('10.0.2.2')!;

describe('V86NetworkAdapter on the bus', () => {
  it('takes the guest NIC\'s frames from net0-send and answers ARP on net0-receive', () => {
    const bus = new FakeBus();
    const stack = new Stack({ addresses: ['10.0.2.2'], seed: 1 });
    const adapter = v86NetworkAdapter(stack, { mac: '02:00:00:00:00:02' })(bus);
    expect(adapter).toBeInstanceOf(V86NetworkAdapter);
    bus.send('net0-send', buildArpFrame(BROADCAST_MAC, ARP_REQUEST, GUEST_MAC, GUEST_IP, new Uint8Array(6), STACK_IP));
    const replies = bus.sent.filter(([n]) => n === 'net0-receive');
    expect(replies).toHaveLength(1);
    expect(parseArp(replies[0]![1], 14)).toMatchObject({ op: ARP_REPLY, senderIp: STACK_IP, targetIp: GUEST_IP });
    stack.destroy();
  });

  it('hands the guest a copy of each frame: the stack reuses its buffer, the NIC keeps what it gets', () => {
    const bus = new FakeBus();
    const stack = new Stack({ addresses: ['10.0.2.2'], seed: 1 });
    new V86NetworkAdapter(bus, stack);
    for (let i = 0; i < 2; i++) bus.send('net0-send', buildArpFrame(BROADCAST_MAC, ARP_REQUEST, GUEST_MAC, GUEST_IP + i, new Uint8Array(6), STACK_IP));
    const [a, b] = bus.sent.filter(([n]) => n === 'net0-receive').map(([, f]) => f);
    expect(a).not.toBe(b);
    expect(parseArp(a!, 14)!.targetIp).toBe(GUEST_IP);
    expect(parseArp(b!, 14)!.targetIp).toBe(GUEST_IP + 1);
    stack.destroy();
  });

  it('a second NIC (id 1) uses net1-send and net1-receive only', () => {
    const bus = new FakeBus();
    const stack = new Stack({ addresses: ['10.0.2.2'], seed: 1 });
    new V86NetworkAdapter(bus, stack, { id: 1 });
    expect([...bus.handlers.keys()]).toEqual(['net1-send']);
    bus.send('net1-send', buildArpFrame(BROADCAST_MAC, ARP_REQUEST, GUEST_MAC, GUEST_IP, new Uint8Array(6), STACK_IP));
    expect(bus.sent.map(([n]) => n)).toEqual(['net1-send', 'net1-receive']);
    stack.destroy();
  });

  it('destroy() leaves the bus and the stack: later frames go nowhere', () => {
    const bus = new FakeBus();
    const stack = new Stack({ addresses: ['10.0.2.2'], seed: 1 });
    const adapter = new V86NetworkAdapter(bus, stack);
    adapter.destroy();
    expect(bus.handlers.get('net0-send')).toEqual([]);
    bus.send('net0-send', buildArpFrame(BROADCAST_MAC, ARP_REQUEST, GUEST_MAC, GUEST_IP, new Uint8Array(6), STACK_IP));
    expect(bus.sent).toHaveLength(1);
    expect(stack.listenerCount('packet')).toBe(0);
    stack.destroy();
  });

  it('refuses a NIC id that is not a non-negative integer', () => {
    const stack = new Stack({ addresses: ['10.0.2.2'], seed: 1 });
    expect(() => new V86NetworkAdapter(new FakeBus(), stack, { id: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    stack.destroy();
  });
});

/**
 * A guest on the bus: a synack stack behind its own EthernetAdapter, its frames crossing the bus a
 * tenth of a millisecond later. `burst` > 0 drops frames to the guest beyond that many within 1 ms.
 */
function guestOnBus(net: SimNetwork, bus: FakeBus, burst = 0): { guest: Stack; drops: () => number } {
  const guest = new Stack({ addresses: ['10.0.2.15'], clock: net.clock, seed: 9 });
  const nic = new EthernetAdapter(guest, { mac: GUEST_MAC });
  nic.on('frame', (f: Uint8Array) => {
    const copy = f.slice();
    net.clock.schedule(net.clock.now() + 0.1, () => bus.send('net0-send', copy));
  });
  let windowStart = -Infinity;
  let inWindow = 0;
  let dropped = 0;
  bus.register('net0-receive', (f) => {
    const now = net.clock.now();
    if (now - windowStart >= 1) [windowStart, inWindow] = [now, 0];
    if (burst > 0 && ++inWindow > burst) {
      dropped++; // the NIC's ring is full
      return;
    }
    net.clock.schedule(now + 0.1, () => nic.input(f));
  });
  return { guest, drops: () => dropped };
}

describe('a guest and the stack over the bus', () => {
  for (const [name, burst] of [['a lossless NIC (virtio-net)', 0], ['a NIC that drops bursts beyond 8 frames (NE2000)', 8]] as const) {
    it(`${name}: the guest fetches 1 MiB byte-exact from the stack and echoes through it`, async () => {
      const net = new SimNetwork({ seed: 5 });
      const bus = new FakeBus();
      const stack = new Stack({ addresses: ['10.0.2.2'], clock: net.clock, seed: 4 });
      new V86NetworkAdapter(bus, stack);
      const { guest, drops } = guestOnBus(net, bus, burst);
      const body = new Uint8Array(1 << 20).map((_, i) => (i * 13) ^ (i >> 10));
      stack.net.createServer((s) => s.end(body)).listen(80);
      stack.net.createServer((s) => s.pipe(s)).listen(7);
      const parts: Buffer[] = [];
      let fetched = false;
      guest.net.connect(80, '10.0.2.2').on('data', (d: Buffer) => parts.push(d)).on('end', () => (fetched = true));
      let echoed = '';
      const e = guest.net.connect(7, '10.0.2.2');
      e.on('data', (d: Buffer) => (echoed += d.toString()));
      e.end('through the bus');
      expect(await net.runUntil(() => fetched && echoed === 'through the bus', 600_000)).toBe(true);
      expect(Buffer.compare(Buffer.concat(parts), Buffer.from(body))).toBe(0);
      // with the NE2000-like ring, frames were lost and TCP recovered them
      if (burst > 0) expect(drops()).toBeGreaterThan(0);
    });
  }
});
