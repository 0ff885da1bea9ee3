import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TimerWheel } from '../../src/time/timer-wheel.js';

function collect<T>(w: TimerWheel<T>, now: number): T[] {
  const out: T[] = [];
  w.expire(now, (x) => out.push(x));
  return out;
}

describe('TimerWheel', () => {
  it('fires an item at the first expire with now >= at, never before', () => {
    const w = new TimerWheel<string>(10, 8);
    w.insert('a', 25);
    w.insert('b', 29.5);
    expect(collect(w, 24.9)).toEqual([]);
    expect(collect(w, 25)).toEqual(['a']);
    expect(collect(w, 29)).toEqual([]);
    expect(collect(w, 30)).toEqual(['b']);
    expect(w.size).toBe(0);
  });

  it('fires items in time order within one expire, ties in insertion order', () => {
    const w = new TimerWheel<string>(10, 4);
    w.insert('late', 35);
    w.insert('early', 3);
    w.insert('tie1', 12);
    w.insert('tie2', 12);
    expect(collect(w, 100)).toEqual(['early', 'tie1', 'tie2', 'late']);
  });

  it('fires items many revolutions away at their own time, not on earlier passes over their slot', () => {
    const w = new TimerWheel<string>(10, 8); // one revolution = 80 ms
    w.insert('near', 15);
    w.insert('far', 15 + 80 * 50); // same slot, 50 revolutions later
    expect(collect(w, 20)).toEqual(['near']);
    for (let t = 30; t < 15 + 80 * 50; t += 10) expect(collect(w, t)).toEqual([]);
    expect(collect(w, 15 + 80 * 50)).toEqual(['far']);
  });

  it('fires everything due after a jump of many revolutions in a single expire', () => {
    const w = new TimerWheel<number>(1, 16);
    for (let i = 0; i < 100; i++) w.insert(i, i * 7);
    expect(collect(w, 10_000)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('never fires a removed item, and remove reports whether the item was waiting', () => {
    const w = new TimerWheel<string>(5, 4);
    const a = w.insert('a', 10);
    w.insert('b', 10);
    expect(w.remove(a)).toBe(true);
    expect(w.remove(a)).toBe(false);
    expect(w.size).toBe(1);
    expect(collect(w, 10)).toEqual(['b']);
  });

  it('lets a callback remove another item due in the same expire', () => {
    const w = new TimerWheel<string>(10, 4);
    const handles: Record<string, ReturnType<TimerWheel<string>['insert']>> = {};
    handles.a = w.insert('a', 1);
    handles.b = w.insert('b', 2);
    const fired: string[] = [];
    w.expire(5, (x) => {
      fired.push(x);
      if (x === 'a') w.remove(handles.b!);
    });
    expect(fired).toEqual(['a']);
    expect(w.size).toBe(0);
  });

  it('fires an item inserted in the past at the next expire', () => {
    const w = new TimerWheel<string>(10, 4);
    collect(w, 1000);
    w.insert('old', 20);
    expect(w.nextExpiry()).toBe(20);
    expect(collect(w, 1000)).toEqual(['old']);
  });

  it('reports nextExpiry as a lower bound of waiting items, Infinity when empty', () => {
    const w = new TimerWheel<string>(10, 8);
    expect(w.nextExpiry()).toBe(Infinity);
    w.insert('x', 47);
    expect(w.nextExpiry()).toBe(47);
    const far = w.insert('y', 10_000);
    w.remove(w.insert('z', 3));
    expect(w.nextExpiry()).toBe(47);
    collect(w, 50);
    expect(w.nextExpiry()).toBeLessThanOrEqual(10_000);
    w.remove(far);
    expect(w.nextExpiry()).toBe(Infinity);
  });

  it('handles 240,000 entries with removals', () => {
    const w = new TimerWheel<number>(100, 1024);
    const hs = [];
    for (let i = 0; i < 240_000; i++) hs.push(w.insert(i, 60_000 + (i % 1000)));
    for (let i = 0; i < 240_000; i += 2) w.remove(hs[i]!);
    expect(w.size).toBe(120_000);
    expect(collect(w, 59_999).length).toBe(0);
    let n = 0;
    let even = 0;
    w.expire(61_000, (i) => {
      n++;
      even += 1 - (i % 2);
    });
    expect(n).toBe(120_000);
    expect(even).toBe(0);
    expect(w.size).toBe(0);
  });

  it('matches a naive sorted-list model over random insert/remove/expire sequences', () => {
    type Op =
      | { kind: 'insert'; delta: number }
      | { kind: 'remove'; pick: number }
      | { kind: 'expire'; step: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), delta: fc.double({ min: -50, max: 3000, noNaN: true }) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('expire' as const), step: fc.double({ min: 0, max: 400, noNaN: true }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 16 }),
        fc.array(op, { maxLength: 120 }),
        (tickMs, slots, ops) => {
          const w = new TimerWheel<number>(tickMs, slots);
          const model: { id: number; at: number; h: ReturnType<TimerWheel<number>['insert']> }[] = [];
          let now = 0;
          let id = 0;
          for (const o of ops) {
            if (o.kind === 'insert') {
              const at = now + o.delta;
              model.push({ id, at, h: w.insert(id, at) });
              id++;
            } else if (o.kind === 'remove') {
              if (model.length === 0) continue;
              const [m] = model.splice(o.pick % model.length, 1);
              expect(w.remove(m!.h)).toBe(true);
            } else {
              now += o.step;
              const due = model.filter((m) => m.at <= now).sort((a, b) => a.at - b.at || a.id - b.id);
              expect(collect(w, now)).toEqual(due.map((m) => m.id));
              for (const m of due) model.splice(model.indexOf(m), 1);
            }
            expect(w.size).toBe(model.length);
            const min = Math.min(...model.map((m) => m.at));
            expect(w.nextExpiry()).toBeLessThanOrEqual(min);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
