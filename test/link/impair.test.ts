/** The fate engine the simulator and real links share (src/link/impair.ts): one packet, one decision. */
import { describe, expect, it } from 'vitest';
import { DRAWS_PER_PACKET, decideFate, flipBit, isRandom, newBottleneck, newFate, type Impairments } from '../../src/link/impair.js';
import { Prng } from '../../src/link/prng.js';

/** A Prng that counts its draws. */
function countingPrng(seed = 1): Prng & { draws: number } {
  const p = new Prng(seed) as Prng & { draws: number };
  p.draws = 0;
  const next = p.nextU32.bind(p);
  p.nextU32 = () => {
    p.draws++;
    return next();
  };
  return p;
}

const fateOf = (imp: Impairments, now = 0, length = 1000, seed = 1) => decideFate(imp, new Prng(seed), newBottleneck(), now, length, newFate());

describe('decideFate: draws', () => {
  it(`a link with any random impairment draws exactly ${DRAWS_PER_PACKET} numbers per packet, whatever the fate`, () => {
    for (const imp of [{ loss: 0.5 }, { jitterMs: 1 }, { duplicate: 1 }, { corrupt: 1, mtu: 10 }, { reorder: 0.1, bandwidthBps: 8000, queueBytes: 1 }]) {
      const prng = countingPrng();
      const link = newBottleneck();
      for (let i = 0; i < 20; i++) decideFate(imp, prng, link, i, 1000, newFate());
      expect(prng.draws, JSON.stringify(imp)).toBe(20 * DRAWS_PER_PACKET);
    }
  });

  it('a link with only delay, rate, queue and MTU draws nothing', () => {
    const imp = { delayMs: 5, bandwidthBps: 1e6, queueBytes: 10_000, mtu: 1500 };
    expect(isRandom(imp)).toBe(false);
    const prng = countingPrng();
    for (let i = 0; i < 20; i++) decideFate(imp, prng, newBottleneck(), 0, 1000, newFate());
    expect(prng.draws).toBe(0);
  });
});

describe('decideFate: what happens to one packet', () => {
  it('a clean link delivers at once', () => {
    expect(fateOf({}, 7)).toMatchObject({ drop: undefined, at: 7, corruptBit: -1, duplicateAt: -1, reordered: false });
  });

  it('delay: arrival = send time + delayMs', () => {
    expect(fateOf({ delayMs: 10 }, 3).at).toBe(13);
  });

  it('jitter: arrival within [delay, delay + jitter)', () => {
    const prng = new Prng(9);
    for (let i = 0; i < 200; i++) {
      const f = decideFate({ delayMs: 10, jitterMs: 4 }, prng, newBottleneck(), 0, 100, newFate());
      expect(f.at).toBeGreaterThanOrEqual(10);
      expect(f.at).toBeLessThan(14);
    }
  });

  it('rate: a packet departs when its last bit is out, and the next waits for the link', () => {
    const link = newBottleneck();
    const imp = { bandwidthBps: 1e6, delayMs: 1 };
    // 1250 bytes at 1 Mbit/s = 10 ms of serialization
    expect(decideFate(imp, new Prng(1), link, 0, 1250, newFate()).at).toBe(11);
    expect(decideFate(imp, new Prng(1), link, 0, 1250, newFate()).at).toBe(21);
    expect(link.busyUntil).toBe(20);
    // once the link is idle again, no wait
    expect(decideFate(imp, new Prng(1), link, 100, 1250, newFate()).at).toBe(111);
  });

  it('queue: a packet that would find more than queueBytes waiting (itself included) is dropped, reason queue', () => {
    const link = newBottleneck();
    const imp = { bandwidthBps: 1e6, queueBytes: 2500 };
    expect(decideFate(imp, new Prng(1), link, 0, 1250, newFate()).drop).toBeUndefined();
    expect(decideFate(imp, new Prng(1), link, 0, 1250, newFate()).drop).toBeUndefined();
    expect(decideFate(imp, new Prng(1), link, 0, 1250, newFate()).drop).toBe('queue');
    // a dropped packet does not occupy the link
    expect(link.busyUntil).toBe(20);
  });

  it('loss: dropped with reason loss, after it took its place in the queue (the link carried it)', () => {
    const link = newBottleneck();
    const f = decideFate({ loss: 1, bandwidthBps: 1e6 }, new Prng(1), link, 0, 1250, newFate());
    expect(f.drop).toBe('loss');
    expect(link.busyUntil).toBe(10);
  });

  it('MTU: a larger packet is dropped, reason mtu, before the queue', () => {
    const link = newBottleneck();
    expect(decideFate({ mtu: 1000, bandwidthBps: 1e6 }, new Prng(1), link, 0, 1001, newFate()).drop).toBe('mtu');
    expect(link.busyUntil).toBe(-Infinity);
    expect(fateOf({ mtu: 1000 }, 0, 1000).drop).toBeUndefined();
  });

  it('duplicate: an extra copy with its own arrival', () => {
    const f = fateOf({ duplicate: 1, delayMs: 5 });
    expect(f.duplicateAt).toBe(5);
  });

  it('reorder: held back by reorderDelayMs (default twice the delay)', () => {
    expect(fateOf({ reorder: 1, delayMs: 5 })).toMatchObject({ at: 15, reordered: true });
    expect(fateOf({ reorder: 1, delayMs: 5, reorderDelayMs: 1 })).toMatchObject({ at: 6, reordered: true });
    expect(fateOf({ reorder: 1 })).toMatchObject({ at: 5, reordered: true });
  });

  it('corrupt: one bit inside the packet; flipBit flips exactly it', () => {
    const f = fateOf({ corrupt: 1 }, 0, 40);
    expect(f.corruptBit).toBeGreaterThanOrEqual(0);
    expect(f.corruptBit).toBeLessThan(320);
    const data = new Uint8Array(40);
    flipBit(data, f.corruptBit);
    expect(data.reduce((n, b) => n + b.toString(2).split('1').length - 1, 0)).toBe(1);
    expect(data[f.corruptBit >> 3]).toBe(1 << (f.corruptBit & 7));
  });

  it('a reused fate carries nothing over from the previous packet', () => {
    const fate = newFate();
    const prng = new Prng(1);
    decideFate({ duplicate: 1, corrupt: 1, reorder: 1 }, prng, newBottleneck(), 0, 100, fate);
    decideFate({}, prng, newBottleneck(), 0, 100, fate);
    expect(fate).toMatchObject({ drop: undefined, at: 0, corruptBit: -1, duplicateAt: -1, reordered: false, duplicateReordered: false });
  });
});
