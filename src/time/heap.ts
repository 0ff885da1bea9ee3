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
  /**
   * The entries in heap order, and beside them each one's time in a typed array: a sift compares
   * numbers there instead of reading `at` from the entries. Those are objects of many shapes
   * (connections, clock timers, datagrams), and a field load over many shapes is megamorphic: for a
   * double such as `at` it copied the value into a new heap number on every read, a kilobyte per
   * connection in the handshake bench. The sequence number, a small integer, is read from the
   * entries on a tie of times only. `items` keeps its length; the first `n` are in use.
   */
  private items: (E | undefined)[] = [];
  private ats = new Float64Array(16);
  private n = 0;
  private seq = 0;

  get size(): number {
    return this.n;
  }

  peek(): E | undefined {
    return this.n > 0 ? this.items[0] : undefined;
  }

  has(e: E): boolean {
    const i = e.index;
    return i >= 0 && i < this.n && this.items[i] === e;
  }

  push(e: E): void {
    const i = this.n++;
    if (i === this.ats.length) this.grow();
    const seq = this.seq++;
    e.seq = seq;
    this.up(i, e, e.at, seq);
  }

  /**
   * Move `e`, which is in this heap, to the earlier time `at` (< e.at): the same entry, in the same
   * order among the others, as remove(e) then push(e) with e.at = at — it takes a new sequence
   * number as push would — in one sift instead of two.
   */
  moveEarlier(e: E, at: number): void {
    const seq = this.seq++;
    e.at = at;
    e.seq = seq;
    this.up(e.index, e, at, seq);
  }

  pop(): E | undefined {
    if (this.n === 0) return undefined;
    const top = this.items[0]!;
    this.removeAt(0);
    return top;
  }

  /** Remove `e` if it is in this heap; returns whether it was. */
  remove(e: E): boolean {
    if (!this.has(e)) return false;
    this.removeAt(e.index);
    return true;
  }

  clear(): void {
    for (let i = 0; i < this.n; i++) this.items[i]!.index = -1;
    this.items = [];
    this.n = 0;
  }

  private grow(): void {
    const ats = new Float64Array(this.ats.length * 2);
    ats.set(this.ats);
    this.ats = ats;
  }

  private removeAt(i: number): void {
    const items = this.items;
    items[i]!.index = -1;
    const last = --this.n;
    const moved = items[last]!;
    items[last] = undefined;
    if (i === last) return;
    const at = this.ats[last]!;
    const seq = moved.seq;
    if (i > 0) {
      const p = (i - 1) >> 1;
      const pa = this.ats[p]!;
      if (at < pa || (at === pa && seq < items[p]!.seq)) {
        this.up(i, moved, at, seq);
        return;
      }
    }
    this.down(i, moved, at, seq);
  }

  /** Put `e` (key at, seq) at i or, moving parents down, wherever above it belongs. */
  private up(i: number, e: E, at: number, seq: number): void {
    const items = this.items;
    const ats = this.ats;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pa = ats[p]!;
      const parent = items[p]!;
      if (!(at < pa || (at === pa && seq < parent.seq))) break;
      items[i] = parent;
      ats[i] = pa;
      parent.index = i;
      i = p;
    }
    items[i] = e;
    ats[i] = at;
    e.index = i;
  }

  /** Put `e` (key at, seq) at i or, moving children up, wherever below it belongs. */
  private down(i: number, e: E, at: number, seq: number): void {
    const items = this.items;
    const ats = this.ats;
    const n = this.n;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      let ca = ats[l]!;
      const r = l + 1;
      if (r < n) {
        const ra = ats[r]!;
        if (ra < ca || (ra === ca && items[r]!.seq < items[l]!.seq)) {
          c = r;
          ca = ra;
        }
      }
      const child = items[c]!;
      if (!(ca < at || (ca === at && child.seq < seq))) break;
      items[i] = child;
      ats[i] = ca;
      child.index = i;
      i = c;
    }
    items[i] = e;
    ats[i] = at;
    e.index = i;
  }
}
