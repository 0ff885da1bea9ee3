/** The impairing pipe for real links (src/link/impair-pipe.ts), driven here by a virtual clock. */
import { describe, expect, it } from 'vitest';
import { ImpairPipe, impairLink, impairs } from '../../src/link/impair-pipe.js';
import type { Impairments } from '../../src/link/impair.js';
import { SimLinkNetwork } from '../../src/link/sim.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';

/** A 20-byte IPv4-looking packet of `size` bytes from 10.0.0.1 to 10.0.0.2 with a tag at byte 20. */
function packet(size: number, tag: number): Uint8Array {
  const p = new Uint8Array(size);
  p[0] = 0x45;
  p.set([10, 0, 0, 1], 12);
  p.set([10, 0, 0, 2], 16);
  new DataView(p.buffer).setUint32(20, tag);
  return p;
}
const tagOf = (p: Uint8Array): number => new DataView(p.buffer, p.byteOffset).getUint32(20);

function setup(impairments: Impairments, seed = 1) {
  const clock = new VirtualClock();
  const got: { t: number; tag: number; bytes: Uint8Array }[] = [];
  const pipe = new ImpairPipe({ clock, seed, impairments, deliver: (p) => got.push({ t: clock.now(), tag: tagOf(p), bytes: p }) });
  return { clock, pipe, got };
}

describe('ImpairPipe: loss', () => {
  it('loses close to the configured share: 1 % of 20,000 packets within 0.8-1.2 %, counted as loss', () => {
    const { clock, pipe, got } = setup({ loss: 0.01 }, 42);
    for (let i = 0; i < 20_000; i++) pipe.send(packet(100, i));
    clock.advance(1);
    expect(pipe.stats.drops.loss).toBeGreaterThan(160);
    expect(pipe.stats.drops.loss).toBeLessThan(240);
    expect(got.length + pipe.stats.drops.loss).toBe(20_000);
    expect(pipe.stats).toMatchObject({ packets: 20_000, delivered: got.length, drops: { queue: 0, mtu: 0 } });
  });

  it('10 % of 20,000 within 9-11 %, for several seeds', () => {
    for (const seed of [1, 2, 3]) {
      const { pipe } = setup({ loss: 0.1 }, seed);
      for (let i = 0; i < 20_000; i++) pipe.send(packet(100, i));
      expect(pipe.stats.drops.loss).toBeGreaterThan(1800);
      expect(pipe.stats.drops.loss).toBeLessThan(2200);
    }
  });

  it('the same seed loses the same packets; another seed, others', () => {
    const lost = (seed: number): number[] => {
      const { clock, pipe, got } = setup({ loss: 0.05 }, seed);
      for (let i = 0; i < 2000; i++) pipe.send(packet(100, i));
      clock.advance(1);
      const kept = new Set(got.map((g) => g.tag));
      return [...Array(2000).keys()].filter((i) => !kept.has(i));
    };
    expect(lost(7)).toEqual(lost(7));
    expect(lost(7)).not.toEqual(lost(8));
  });

  it('decides each packet exactly as the simulator does for the same seed and settings (one engine)', () => {
    const imp: Impairments = { loss: 0.1, delayMs: 3, jitterMs: 2, bandwidthBps: 1e6, queueBytes: 1500 };
    const clock = new VirtualClock();
    const sim = new SimLinkNetwork({ clock, seed: 5, impairments: imp });
    const simGot: [number, number][] = [];
    const a = sim.attach('10.0.0.1', () => {});
    sim.attach('10.0.0.2', (p) => simGot.push([clock.now(), tagOf(p)]));
    const pipeGot: [number, number][] = [];
    const pipe = new ImpairPipe({ clock, seed: 5, impairments: imp, deliver: (p) => pipeGot.push([clock.now(), tagOf(p)]) });
    for (let i = 0; i < 300; i++) {
      a.send(packet(500, i));
      pipe.send(packet(500, i));
      // 500 bytes take 4 ms at 1 Mbit/s: offered at 4 ms a packet on average, in bursts
      clock.advance(i % 5 === 0 ? 16 : 1);
    }
    clock.advance(1000);
    expect(pipeGot.length).toBeGreaterThan(200);
    expect(pipeGot).toEqual(simGot);
    expect(pipe.stats.drops.queue).toBe(sim.stats.queueDrops);
    expect(pipe.stats.drops.queue).toBeGreaterThan(0);
    expect(pipe.stats.drops.loss).toBeGreaterThan(0);
  });
});

describe('ImpairPipe: time', () => {
  it('delay: every packet arrives delayMs after it was sent, in order', () => {
    const { clock, pipe, got } = setup({ delayMs: 10 });
    pipe.send(packet(100, 1));
    clock.advance(3);
    pipe.send(packet(100, 2));
    clock.advance(9);
    expect(got.map((g) => [g.t, g.tag])).toEqual([[10, 1]]);
    clock.advance(10);
    expect(got.map((g) => [g.t, g.tag])).toEqual([
      [10, 1],
      [13, 2],
    ]);
  });

  it('jitter: arrivals spread uniformly over [delay, delay + jitter)', () => {
    const { clock, pipe, got } = setup({ delayMs: 10, jitterMs: 4 }, 3);
    for (let i = 0; i < 1000; i++) pipe.send(packet(100, i));
    clock.advance(100);
    expect(got).toHaveLength(1000);
    const ts = got.map((g) => g.t);
    expect(Math.min(...ts)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...ts)).toBeLessThan(14);
    const mean = ts.reduce((s, t) => s + t, 0) / ts.length;
    expect(mean).toBeGreaterThan(11.8);
    expect(mean).toBeLessThan(12.2);
  });

  it('rate: packets leave one serialization time apart (1250 bytes at 1 Mbit/s: 10 ms)', () => {
    const { clock, pipe, got } = setup({ bandwidthBps: 1e6 });
    for (let i = 0; i < 10; i++) pipe.send(packet(1250, i));
    clock.advance(1000);
    expect(got.map((g) => g.t)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it('rate: a long transfer is paced at the rate (50 Mbit/s for 2 s delivers 12.5 MB)', () => {
    const { clock, pipe, got } = setup({ bandwidthBps: 50e6, queueBytes: 125_000 });
    let bytes = 0;
    for (let ms = 0; ms < 2000; ms++) {
      // offer twice the rate: 12,500 bytes a millisecond
      for (let i = 0; i < 10; i++) pipe.send(packet(1250, ms * 10 + i));
      clock.advance(1);
    }
    bytes = got.reduce((s, g) => s + g.bytes.length, 0);
    expect(bytes).toBeGreaterThan(12_400_000);
    expect(bytes).toBeLessThanOrEqual(12_500_000);
    expect(pipe.stats.drops.queue).toBeGreaterThan(9000);
  });

  it('queue: a burst beyond the drop-tail limit loses its tail, counted as queue', () => {
    const { clock, pipe, got } = setup({ bandwidthBps: 1e6, queueBytes: 5000 });
    for (let i = 0; i < 10; i++) pipe.send(packet(1250, i));
    clock.advance(1000);
    expect(got.map((g) => g.tag)).toEqual([0, 1, 2, 3]);
    expect(pipe.stats.drops).toEqual({ loss: 0, queue: 6, mtu: 0 });
  });

  it('a packet due at once and with nothing ahead of it is delivered inside send; once one is held back, the next go through the clock', () => {
    const clock = new VirtualClock();
    const got: number[] = [];
    const pipe = new ImpairPipe({ clock, impairments: { reorder: 0.3, reorderDelayMs: 5 }, seed: 5, deliver: (p) => got.push(tagOf(p)) });
    for (let i = 0; i < 20; i++) pipe.send(packet(100, i));
    const inside = [...got];
    clock.advance(1);
    const onTime = [...got];
    clock.advance(10);
    const held = got.filter((t) => !onTime.includes(t));
    expect(held.length).toBeGreaterThan(0);
    const first = Math.min(...held);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(19);
    // before the first held-back packet: delivered inside send; after it: by the clock, still in order
    expect(inside).toEqual([...Array(first).keys()]);
    expect(onTime).toEqual([...Array(20).keys()].filter((t) => !held.includes(t)));
    expect(pipe.stats.reordered).toBe(held.length);
  });

  it('copies what it holds: the sender may reuse its buffer', () => {
    const { clock, pipe, got } = setup({ delayMs: 1 });
    const buf = packet(100, 1);
    pipe.send(buf);
    buf.fill(0);
    clock.advance(1);
    expect(got[0]!.tag).toBe(1);
  });

  it('close() drops what is in flight and refuses more', () => {
    const { clock, pipe, got } = setup({ delayMs: 10 });
    pipe.send(packet(100, 1));
    expect(pipe.inFlight).toBe(1);
    pipe.close();
    pipe.send(packet(100, 2));
    clock.advance(100);
    expect(got).toEqual([]);
    expect(clock.pending()).toBe(0);
  });

  it('determinism: the same seed and sends at the same times give the same arrivals', () => {
    const run = (seed: number): [number, number][] => {
      const { clock, pipe, got } = setup({ loss: 0.02, delayMs: 10, jitterMs: 3, bandwidthBps: 10e6, queueBytes: 20_000 }, seed);
      for (let i = 0; i < 500; i++) {
        pipe.send(packet(1200, i));
        clock.advance(0.5);
      }
      clock.advance(1000);
      return got.map((g) => [g.t, g.tag]);
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });
});

describe('impairLink: both directions of a device link', () => {
  it('each direction gets its own pipe and counters; a clean direction passes straight through with null stats', () => {
    const clock = new VirtualClock();
    const toDevice: number[] = [];
    const toStack: number[] = [];
    const link = impairLink(clock, { out: { loss: 1 } }, (p) => toDevice.push(tagOf(p)), (p) => toStack.push(tagOf(p)));
    link.out(packet(100, 1));
    link.in(packet(100, 2));
    expect(toDevice).toEqual([]);
    expect(toStack).toEqual([2]);
    expect(link.stats.out?.drops.loss).toBe(1);
    expect(link.stats.in).toBeNull();
  });

  it('the inbound pipe uses seed + 1: the two directions do not lose the same packets', () => {
    const clock = new VirtualClock();
    const out: number[] = [];
    const inb: number[] = [];
    const link = impairLink(clock, { out: { loss: 0.3 }, in: { loss: 0.3 }, seed: 4 }, (p) => out.push(tagOf(p)), (p) => inb.push(tagOf(p)));
    for (let i = 0; i < 200; i++) {
      link.out(packet(100, i));
      link.in(packet(100, i));
    }
    expect(out).not.toEqual(inb);
  });

  it('impairs(): settings that do nothing count as none', () => {
    expect(impairs(undefined)).toBe(false);
    expect(impairs({})).toBe(false);
    expect(impairs({ loss: 0, delayMs: 0 })).toBe(false);
    expect(impairs({ delayMs: 1 })).toBe(true);
  });
});
