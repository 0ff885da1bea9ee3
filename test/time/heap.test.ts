import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TimerHeap, type HeapEntry } from '../../src/time/heap.js';

interface E extends HeapEntry {
  name: number;
}
const entry = (at: number, name: number): E => ({ at, name, seq: 0, index: -1 });

describe('TimerHeap', () => {
  it('pops entries in (time, insertion) order with random removals, matching a sorted model', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean()), { maxLength: 200 }),
        (ops) => {
          const heap = new TimerHeap<E>();
          const all = ops.map(([at], i) => entry(at, i));
          all.forEach((e) => heap.push(e));
          const removed = new Set<number>();
          ops.forEach(([, rm], i) => {
            if (rm) {
              expect(heap.remove(all[i]!)).toBe(true);
              removed.add(i);
            }
          });
          const expected = all
            .filter((e) => !removed.has(e.name))
            .sort((a, b) => a.at - b.at || a.name - b.name)
            .map((e) => e.name);
          const got: number[] = [];
          for (let e = heap.pop(); e !== undefined; e = heap.pop()) got.push(e.name);
          expect(got).toEqual(expected);
        },
      ),
    );
  });

  it('removing an entry twice or after it was popped reports false and leaves the heap intact', () => {
    const heap = new TimerHeap<E>();
    const a = entry(1, 1);
    const b = entry(2, 2);
    heap.push(a);
    heap.push(b);
    expect(heap.remove(a)).toBe(true);
    expect(heap.remove(a)).toBe(false);
    expect(heap.pop()).toBe(b);
    expect(heap.remove(b)).toBe(false);
    expect(heap.size).toBe(0);
  });

  it('moveEarlier gives the order remove + push would, with interleaved pushes and pops', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 30 }), fc.nat(50)), { maxLength: 200 }),
        (ops) => {
          const a = new TimerHeap<E>();
          const b = new TimerHeap<E>();
          const ea: E[] = [];
          const eb: E[] = [];
          const got: [number[], number[]] = [[], []];
          for (const [op, at, pick] of ops) {
            if (op <= 1) {
              const n = ea.length;
              ea.push(entry(at, n));
              eb.push(entry(at, n));
              a.push(ea[n]!);
              b.push(eb[n]!);
            } else if (op === 2 && ea.length > 0) {
              const i = pick % ea.length;
              const x = ea[i]!;
              const y = eb[i]!;
              if (a.has(x) && at < x.at) {
                a.moveEarlier(x, at);
                b.remove(y);
                y.at = at;
                b.push(y);
              }
            } else {
              got[0].push(a.pop()?.name ?? -1);
              got[1].push(b.pop()?.name ?? -1);
            }
          }
          for (let e = a.pop(); e !== undefined; e = a.pop()) got[0].push(e.name);
          for (let e = b.pop(); e !== undefined; e = b.pop()) got[1].push(e.name);
          expect(got[0]).toEqual(got[1]);
        },
      ),
    );
  });
});
