import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';

describe('VirtualClock', () => {
  it('fires timers in time order regardless of the order they were scheduled', () => {
    const c = new VirtualClock();
    const log: number[] = [];
    for (const t of [30, 10, 20, 5]) c.schedule(t, () => log.push(t));
    c.advance(100);
    expect(log).toEqual([5, 10, 20, 30]);
  });

  it('fires timers due at the same time in FIFO order', () => {
    const c = new VirtualClock();
    const log: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) c.schedule(7, () => log.push(name));
    c.advance(7);
    expect(log).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sets now() to each timer\'s own time while it fires', () => {
    const c = new VirtualClock(1000);
    const seen: number[] = [];
    for (const t of [1001.5, 1040, 1090]) c.schedule(t, () => seen.push(c.now()));
    c.advance(100);
    expect(seen).toEqual([1001.5, 1040, 1090]);
  });

  it('ends advance with now at start + ms, also when nothing is due', () => {
    const c = new VirtualClock(50);
    c.schedule(60, () => {});
    c.advance(25);
    expect(c.now()).toBe(75);
    c.advance(0);
    expect(c.now()).toBe(75);
  });

  it('keeps timers beyond the advance window pending until their time', () => {
    const c = new VirtualClock();
    let fired = false;
    c.schedule(100, () => (fired = true));
    c.advance(99.9);
    expect(fired).toBe(false);
    expect(c.pending()).toBe(1);
    c.advance(0.1);
    expect(fired).toBe(true);
    expect(c.pending()).toBe(0);
  });

  it('never runs a cancelled timer; cancelling again or after firing is a no-op', () => {
    const c = new VirtualClock();
    const log: string[] = [];
    const a = c.schedule(10, () => log.push('a'));
    const b = c.schedule(10, () => log.push('b'));
    c.cancel(a);
    c.cancel(a);
    c.advance(20);
    c.cancel(b);
    expect(log).toEqual(['b']);
    expect(c.pending()).toBe(0);
  });

  it('runs deferred calls at the current time in FIFO order, before any timer', () => {
    const c = new VirtualClock(5);
    const log: string[] = [];
    c.schedule(5, () => log.push(`timer@${c.now()}`));
    c.defer(() => log.push(`d1@${c.now()}`));
    c.defer(() => {
      log.push(`d2@${c.now()}`);
      c.defer(() => log.push(`d3@${c.now()}`));
    });
    expect(log).toEqual([]); // nothing runs until driven
    c.advance(0);
    expect(log).toEqual(['d1@5', 'd2@5', 'd3@5', 'timer@5']);
  });

  it('runs a call deferred from a timer before the next timer due at the same time', () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.schedule(3, () => {
      log.push('t1');
      c.defer(() => log.push('deferred'));
    });
    c.schedule(3, () => log.push('t2'));
    c.advance(3);
    expect(log).toEqual(['t1', 'deferred', 't2']);
  });

  it('fires a timer scheduled from inside a callback for the same time within that advance', () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.schedule(10, () => {
      log.push('outer');
      c.schedule(c.now(), () => log.push(`inner@${c.now()}`));
    });
    c.advance(10);
    expect(log).toEqual(['outer', 'inner@10']);
  });

  it('fires a timer scheduled in the past at the current time, after timers already due then', () => {
    const c = new VirtualClock(100);
    const log: string[] = [];
    c.schedule(100, () => log.push('due-now'));
    c.schedule(20, () => log.push(`past@${c.now()}`));
    c.advance(0);
    expect(log).toEqual(['due-now', 'past@100']);
  });

  it('runUntil stops at the event that makes the predicate true', () => {
    const c = new VirtualClock();
    let n = 0;
    for (let t = 10; t <= 100; t += 10) c.schedule(t, () => n++);
    expect(c.runUntil(() => n === 3, 1000)).toBe(true);
    expect(c.now()).toBe(30);
    expect(c.pending()).toBe(7);
  });

  it('runUntil returns false at its time limit and leaves later events pending', () => {
    const c = new VirtualClock();
    let fired = 0;
    c.schedule(40, () => fired++);
    c.schedule(60, () => fired++);
    expect(c.runUntil(() => fired === 2, 50)).toBe(false);
    expect(c.now()).toBe(50);
    expect(fired).toBe(1);
    expect(c.pending()).toBe(1);
  });

  it('runUntil returns at once when the predicate already holds', () => {
    const c = new VirtualClock();
    let fired = false;
    c.schedule(0, () => (fired = true));
    expect(c.runUntil(() => true, 100)).toBe(true);
    expect(fired).toBe(false);
  });

  it('runAll drains every event, including ones scheduled along the way, within its limit', () => {
    const c = new VirtualClock();
    let count = 0;
    const tick = (): void => {
      if (++count < 5) c.schedule(c.now() + 100, tick);
    };
    c.schedule(100, tick);
    expect(c.runAll(10_000)).toBe(true);
    expect(count).toBe(5);
    expect(c.now()).toBe(500);
  });

  it('runAll stops at its limit while events remain', () => {
    const c = new VirtualClock();
    const tick = (): void => void c.schedule(c.now() + 1000, tick);
    c.schedule(0, tick);
    expect(c.runAll(5500)).toBe(false);
    expect(c.now()).toBe(5500);
    expect(c.pending()).toBe(1);
  });

  it('runs a 60 s TIME_WAIT and 2 hours of 75 s keepalives without sleeping', () => {
    const c = new VirtualClock();
    let closed = false;
    c.schedule(60_000, () => (closed = true));
    let probes = 0;
    const probe = (): void => {
      probes++;
      c.schedule(c.now() + 75_000, probe);
    };
    c.schedule(75_000, probe);
    c.advance(2 * 3600_000);
    expect(closed).toBe(true);
    expect(probes).toBe(96);
    expect(c.now()).toBe(7_200_000);
  });

  it('refuses to be driven re-entrantly from inside a callback', () => {
    const c = new VirtualClock();
    c.schedule(1, () => c.advance(1));
    expect(() => c.advance(5)).toThrow(/inside a callback/);
    // the clock stays usable afterwards
    let ok = false;
    c.schedule(c.now(), () => (ok = true));
    c.advance(0);
    expect(ok).toBe(true);
  });

  it('is deterministic: the same schedule gives the same firing log', () => {
    const run = (): string[] => {
      const c = new VirtualClock();
      const log: string[] = [];
      for (let i = 0; i < 50; i++) c.schedule((i * 37) % 11, () => log.push(`${i}@${c.now()}`));
      c.advance(20);
      return log;
    };
    expect(run()).toEqual(run());
  });
});
