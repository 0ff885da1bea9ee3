import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SimLinkNetwork, type Impairments, type SimPacketEvent } from '../../src/link/sim.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

function packet(src: string, dst: string, size: number, tag: number): Uint8Array {
  const p = new Uint8Array(size);
  p[0] = 0x45;
  p[2] = size >> 8;
  p[3] = size & 0xff;
  p.set(src.split('.').map(Number), 12);
  p.set(dst.split('.').map(Number), 16);
  new DataView(p.buffer).setUint32(20, tag);
  return p;
}
const tagOf = (p: Uint8Array): number => new DataView(p.buffer, p.byteOffset).getUint32(20);

function setup(imp: Impairments, seed = 1) {
  const clock = new VirtualClock();
  const net = new SimLinkNetwork({ clock, impairments: imp, seed });
  const atA: number[] = [];
  const atB: { t: number; tag: number }[] = [];
  const a = net.attach(A, (p) => atA.push(tagOf(p)));
  const b = net.attach(B, (p) => atB.push({ t: clock.now(), tag: tagOf(p) }));
  const events: SimPacketEvent[] = [];
  net.onPacket((ev) => events.push(ev));
  return { clock, net, a, b, atA, atB, events };
}

describe('SimLinkNetwork bottleneck queue (Impairments.queueBytes)', () => {
  // 1 Mbit/s: a 1250-byte packet takes 10 ms to serialize
  const imp: Impairments = { bandwidthBps: 1_000_000, queueBytes: 5000 };

  it('drop-tail: a burst beyond the queue limit loses its tail, reason "queue"', () => {
    const { clock, net, a, atB, events } = setup(imp);
    for (let i = 0; i < 10; i++) a.send(packet(A, B, 1250, i));
    clock.advance(1000);
    // 5000 bytes = 4 packets may wait (the one on the wire counts): packets 0..3 pass, 4..9 drop
    expect(atB.map((x) => x.tag)).toEqual([0, 1, 2, 3]);
    const drops = events.filter((e) => e.dropped);
    expect(drops).toHaveLength(6);
    expect(drops.every((e) => e.reason === 'queue')).toBe(true);
    expect(net.stats.queueDrops).toBe(6);
    expect(net.stats.dropped).toBe(6);
  });

  it('the queue drains at the link rate: a packet sent once room is made is accepted', () => {
    const { clock, a, atB } = setup(imp);
    for (let i = 0; i < 4; i++) a.send(packet(A, B, 1250, i));
    a.send(packet(A, B, 1250, 99)); // full: dropped
    clock.advance(10); // one packet serialized: room for one more
    a.send(packet(A, B, 1250, 4));
    a.send(packet(A, B, 1250, 98)); // full again
    clock.advance(1000);
    expect(atB.map((x) => x.tag)).toEqual([0, 1, 2, 3, 4]);
    expect(atB.map((x) => x.t)).toEqual([10, 20, 30, 40, 50]);
  });

  it('each direction has its own queue', () => {
    const { clock, a, b, atA, atB } = setup(imp);
    for (let i = 0; i < 4; i++) a.send(packet(A, B, 1250, i));
    for (let i = 0; i < 4; i++) b.send(packet(B, A, 1250, 10 + i));
    clock.advance(1000);
    expect(atB).toHaveLength(4);
    expect(atA).toEqual([10, 11, 12, 13]);
  });

  it('a dropped packet does not occupy the link: later arrivals are not delayed by it', () => {
    const { clock, a, atB } = setup({ bandwidthBps: 1_000_000, queueBytes: 1250 });
    a.send(packet(A, B, 1250, 0));
    a.send(packet(A, B, 1250, 1)); // dropped
    clock.advance(10);
    a.send(packet(A, B, 1250, 2));
    clock.advance(1000);
    expect(atB).toEqual([
      { t: 10, tag: 0 },
      { t: 20, tag: 2 },
    ]);
  });

  it('without queueBytes the backlog is unbounded, as before', () => {
    const { clock, a, atB } = setup({ bandwidthBps: 1_000_000 });
    for (let i = 0; i < 50; i++) a.send(packet(A, B, 1250, i));
    clock.advance(10_000);
    expect(atB).toHaveLength(50);
    expect(atB[49]!.t).toBe(500);
  });

  it('queue drops draw no extra random numbers: the same seed gives the same run with and without a full queue', () => {
    const run = (queueBytes: number | undefined) => {
      const { clock, a, atB } = setup({ bandwidthBps: 1_000_000, loss: 0.3, ...(queueBytes ? { queueBytes } : {}) }, 7);
      for (let i = 0; i < 40; i++) {
        a.send(packet(A, B, 1250, i));
        if (i % 3 === 2) clock.advance(40); // bursts of three, the third finds two ahead of it
      }
      clock.advance(10_000);
      return atB.map((x) => x.tag);
    };
    const unbounded = run(undefined);
    const bounded = run(2500);
    expect(bounded.length).toBeLessThan(unbounded.length);
    // the decisions for packets that were queued in both runs are the same draws
    for (const tag of bounded) expect(unbounded).toContain(tag);
  });
});
