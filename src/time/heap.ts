/**
 * A binary min-heap of timer entries ordered by (time, insertion sequence), so entries
 * due at the same time come out in the order they were pushed (FIFO on ties).
 * Each entry remembers its own index, which makes removal by handle O(log n) and
 * leaves nothing behind (no lazy tombstones to leak).
 */
import type { TimerHandle } from './clock.js';

export interface HeapEntry {
  /** Due time (ms). Must not change while the entry is in the heap. */
  at: number;
  /** Tie-breaker, assigned by the heap on push. */
  seq: number;
  /** Position in the heap array, -1 when not in a heap. Maintained by the heap. */
  index: number;
}

/** The timer entry both clocks store; it doubles as the opaque TimerHandle. */
export class TimerEntry implements HeapEntry, TimerHandle {
  seq = 0;
  index = -1;
  constructor(
    readonly id: number,
    public at: number,
    public fn: (() => void) | null,
  ) {}
}

export class TimerHeap<E extends HeapEntry> {
  private readonly items: E[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  peek(): E | undefined {
    return this.items[0];
  }

  has(e: E): boolean {
    return e.index >= 0 && this.items[e.index] === e;
  }

  push(e: E): void {
    e.seq = this.seq++;
    e.index = this.items.length;
    this.items.push(e);
    this.up(e.index);
  }

  /**
   * Move `e`, which is in this heap, to the earlier time `at` (< e.at): the same entry, in the same
   * order among the others, as remove(e) then push(e) with e.at = at — it takes a new sequence
   * number as push would — in one sift instead of two.
   */
  moveEarlier(e: E, at: number): void {
    e.at = at;
    e.seq = this.seq++;
    this.up(e.index);
  }

  pop(): E | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Remove `e` if it is in this heap; returns whether it was. */
  remove(e: E): boolean {
    if (!this.has(e)) return false;
    this.removeAt(e.index);
    return true;
  }

  clear(): void {
    for (const e of this.items) e.index = -1;
    this.items.length = 0;
  }

  private removeAt(i: number): void {
    const items = this.items;
    const e = items[i]!;
    const last = items.pop()!;
    e.index = -1;
    if (last !== e) {
      items[i] = last;
      last.index = i;
      if (i > 0 && less(last, items[(i - 1) >> 1]!)) this.up(i);
      else this.down(i);
    }
  }

  private up(i: number): void {
    const items = this.items;
    const e = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!less(e, parent)) break;
      items[i] = parent;
      parent.index = i;
      i = p;
    }
    items[i] = e;
    e.index = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const e = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(items[r]!, items[l]!) ? r : l;
      const child = items[c]!;
      if (!less(child, e)) break;
      items[i] = child;
      child.index = i;
      i = c;
    }
    items[i] = e;
    e.index = i;
  }
}

function less(a: HeapEntry, b: HeapEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
