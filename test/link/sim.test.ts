import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SimLinkNetwork, simAddressKey, type Impairments, type SimPacketEvent } from '../../src/link/sim.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

/** A minimal IPv4 packet (20-byte header, no checksum needed by the sim) of `size` bytes total. */
function ipv4(src: string, dst: string, size = 40, fill = 0): Uint8Array {
  const p = new Uint8Array(Math.max(size, 20)).fill(fill);
  p[0] = 0x45;
  p[2] = p.length >> 8;
  p[3] = p.length & 0xff;
  p[8] = 64;
  p[9] = 17;
  p.set(src.split('.').map(Number), 12);
  p.set(dst.split('.').map(Number), 16);
  return p;
}

/** A minimal IPv6 packet to `dst` given as 16 bytes. */
function ipv6(dst: number[], size = 60): Uint8Array {
  const p = new Uint8Array(size);
  p[0] = 0x60;
  p[6] = 17;
  p[7] = 64;
  p.set(dst, 24);
  return p;
}

/** Tag a packet with a 32-bit sequence number in its payload (bytes 20..23). */
function tagged(n: number, size = 40, dst = B): Uint8Array {
  const p = ipv4(A, dst, size);
  new DataView(p.buffer).setUint32(20, n);
  return p;
}
const tagOf = (p: Uint8Array): number => new DataView(p.buffer, p.byteOffset).getUint32(20);

function setup(imp: Impairments = {}, seed?: number) {
  const clock = new VirtualClock();
  const net = new SimLinkNetwork({ clock, impairments: imp, ...(seed === undefined ? {} : { seed }) });
  const atA: Uint8Array[] = [];
  const atB: { t: number; p: Uint8Array }[] = [];
  const a = net.attach(A, (p) => atA.push(p));
  const b = net.attach(B, (p) => atB.push({ t: clock.now(), p }));
  const events: SimPacketEvent[] = [];
  net.onPacket((ev) => events.push(ev));
  return { clock, net, a, b, atA, atB, events };
}

describe('SimLinkNetwork', () => {
  it('delivers asynchronously through the clock, never inside send, even with zero delay', () => {
    const { clock, a, atB } = setup();
    a.send(ipv4(A, B));
    expect(atB).toHaveLength(0);
    clock.advance(0);
    expect(atB).toHaveLength(1);
  });

  it('copies sent bytes so the sender may reuse its buffer', () => {
    const { clock, a, atB } = setup();
    const buf = ipv4(A, B, 40, 0xaa);
    a.send(buf);
    buf.fill(0);
    clock.advance(1);
    expect(atB[0]!.p[30]).toBe(0xaa);
  });

  it('routes IPv6 packets by header destination, comparing addresses canonically', () => {
    const clock = new VirtualClock();
    const net = new SimLinkNetwork({ clock });
    const got: string[] = [];
    const src = net.attach('2001:DB8::1', () => got.push('src'));
    net.attach('2001:db8:0:0::00ab', () => got.push('dst'));
    src.send(ipv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab]));
    clock.advance(0);
    expect(got).toEqual(['dst']);
    expect(simAddressKey('2001:db8::ab')).toBe(simAddressKey('2001:0db8:0000:0000:0000:0000:0000:00AB'));
    expect(simAddressKey('::ffff:10.0.0.1')).toBe('::ffff:10.0.0.1');
    expect(simAddressKey('10.0.0.1')).toBe(0x0a000001);
    expect(simAddressKey('10.0.0.1')).not.toBe(simAddressKey('::ffff:10.0.0.1'));
    expect(simAddressKey('1:2:3')).toBeUndefined();
  });

  it('lets one host attach IPv4 and IPv6 addresses side by side', () => {
    const clock = new VirtualClock();
    const net = new SimLinkNetwork({ clock });
    const got: number[] = [];
    const a = net.attach(A, () => {});
    net.attach(B, (p) => got.push(p[0]! >> 4));
    net.attach('fd00::2', (p) => got.push(p[0]! >> 4));
    a.send(ipv4(A, B));
    a.send(ipv6([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]));
    clock.advance(0);
    expect(got).toEqual([4, 6]);
  });

  it('drops packets to unknown destinations with reason no_route', () => {
    const { clock, net, a, events } = setup();
    a.send(ipv4(A, '10.9.9.9'));
    a.send(new Uint8Array([0x10, 1, 2])); // not IP at all
    clock.advance(10);
    expect(events.map((e) => [e.dropped, e.reason, e.to])).toEqual([
      [true, 'no_route', '10.9.9.9'],
      [true, 'no_route', '?'],
    ]);
    expect(net.stats).toMatchObject({ sent: 2, dropped: 2, delivered: 0 });
  });

  it('drops packets in flight to a port that detaches before they arrive', () => {
    const { clock, a, b, atB, events } = setup({ delayMs: 5 });
    a.send(ipv4(A, B));
    b.detach();
    clock.advance(10);
    expect(atB).toHaveLength(0);
    expect(events[0]).toMatchObject({ t: 5, dropped: true, reason: 'no_route' });
  });

  it('gives identical event logs for the same seed and sends, and a different log for another seed', () => {
    const run = (seed: number): string => {
      const imp = { loss: 0.1, duplicate: 0.1, reorder: 0.1, corrupt: 0.1, delayMs: 3, jitterMs: 2, bandwidthBps: 10e6 };
      const { clock, a, b, events } = setup(imp, seed);
      for (let i = 0; i < 300; i++) {
        clock.schedule(i * 0.5, () => (i % 3 === 0 ? b.send(ipv4(B, A, 60, i)) : a.send(tagged(i, 100))));
      }
      clock.runAll(60_000);
      return events
        .map((e) => `${e.t}|${e.from}|${e.to}|${e.dropped}|${e.reason ?? ''}|${Buffer.from(e.packet).toString('hex')}`)
        .join('\n');
    };
    const first = run(7);
    expect(run(7)).toBe(first);
    expect(run(8)).not.toBe(first);
  });

  it('loses close to the configured fraction of 10,000 packets', () => {
    const { clock, net, a, atB } = setup({ loss: 0.2 });
    for (let i = 0; i < 10_000; i++) a.send(ipv4(A, B));
    clock.advance(1);
    const lost = 10_000 - atB.length;
    expect(net.stats.dropped).toBe(lost);
    expect(lost / 10_000).toBeGreaterThan(0.18);
    expect(lost / 10_000).toBeLessThan(0.22);
  });

  it('duplicates packets, delivering an identical extra copy marked duplicate', () => {
    const { clock, net, a, atB, events } = setup({ duplicate: 0.5 });
    for (let i = 0; i < 200; i++) a.send(tagged(i));
    clock.advance(1);
    const dups = events.filter((e) => e.reason === 'duplicate');
    expect(dups.length).toBeGreaterThan(50);
    expect(net.stats.duplicated).toBe(dups.length);
    expect(atB).toHaveLength(200 + dups.length);
    const tags = atB.map((x) => tagOf(x.p));
    expect(new Set(tags).size).toBe(200);
    for (const d of dups) expect(tags.filter((t) => t === tagOf(d.packet))).toHaveLength(2);
  });

  it('reorders: some later packets overtake earlier ones', () => {
    const { clock, net, a, atB } = setup({ reorder: 0.2, delayMs: 10 });
    for (let i = 0; i < 100; i++) clock.schedule(i, () => a.send(tagged(i)));
    clock.runAll(10_000);
    const order = atB.map((x) => tagOf(x.p));
    expect(order).toHaveLength(100);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
    expect(net.stats.reordered).toBeGreaterThan(5);
  });

  it('corrupts a packet by flipping exactly one bit', () => {
    const { clock, net, a, atB, events } = setup({ corrupt: 1 });
    const original = ipv4(A, B, 200, 0x5a);
    for (let i = 0; i < 50; i++) a.send(original);
    clock.advance(1);
    expect(atB).toHaveLength(50);
    expect(net.stats.corrupted).toBe(50);
    expect(events.every((e) => e.reason === 'corrupted')).toBe(true);
    for (const { p } of atB) {
      let bits = 0;
      for (let i = 0; i < p.length; i++) {
        for (let x = p[i]! ^ original[i]!; x; x &= x - 1) bits++;
      }
      expect(bits).toBe(1);
    }
  });

  it('serialises on bandwidth: 10 packets of 1250 bytes at 1 Mbit/s arrive 10 ms apart', () => {
    const { clock, a, atB } = setup({ bandwidthBps: 1_000_000 });
    for (let i = 0; i < 10; i++) a.send(ipv4(A, B, 1250));
    clock.advance(200);
    expect(atB.map((x) => x.t)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it('adds delay plus uniform jitter within [delay, delay + jitter)', () => {
    const { clock, a, atB } = setup({ delayMs: 20, jitterMs: 5 });
    for (let i = 0; i < 200; i++) a.send(ipv4(A, B));
    clock.advance(100);
    const ts = atB.map((x) => x.t);
    expect(ts).toHaveLength(200);
    expect(Math.min(...ts)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...ts)).toBeLessThan(25);
    expect(new Set(ts).size).toBeGreaterThan(100);
  });

  it('drops packets larger than the MTU with reason mtu', () => {
    const { clock, a, atB, events } = setup({ mtu: 1500 });
    a.send(ipv4(A, B, 1500));
    a.send(ipv4(A, B, 1501));
    clock.advance(1);
    expect(atB.map((x) => x.p.length)).toEqual([1500]);
    expect(events.filter((e) => e.dropped).map((e) => e.reason)).toEqual(['mtu']);
  });

  it('applies directional impairments in one direction only', () => {
    const { clock, net, a, b, atA, atB } = setup();
    net.setImpairments(A, B, { loss: 1 });
    for (let i = 0; i < 20; i++) {
      a.send(ipv4(A, B));
      b.send(ipv4(B, A));
    }
    clock.advance(1);
    expect(atB).toHaveLength(0);
    expect(atA).toHaveLength(20);
    net.setAllImpairments({});
    a.send(ipv4(A, B));
    clock.advance(1);
    expect(atB).toHaveLength(1);
  });

  it('stops calling a tap listener once it unsubscribes', () => {
    const { clock, net, a } = setup();
    const seen: SimPacketEvent[] = [];
    const off = net.onPacket((e) => seen.push(e));
    a.send(ipv4(A, B));
    clock.advance(0);
    off();
    a.send(ipv4(A, B));
    clock.advance(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ from: A, to: B, dropped: false, t: 0 });
  });

  it('refuses to attach the same address twice, compared in canonical form', () => {
    const { net } = setup();
    expect(() => net.attach(' 10.0.0.1 ', () => {})).toThrow(/already attached/);
  });
});
