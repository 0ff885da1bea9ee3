/**
 * A hashed timing wheel for very many coarse timers (e.g. hundreds of thousands of
 * TIME_WAIT entries). Time is cut into ticks of `tickMs`; an item due at `at` lives in
 * slot floor(at / tickMs) % slots, in an intrusive doubly-linked list, so insert and
 * remove are O(1) and each entry costs one small node object (item, at, slot, prev, next).
 * Items many revolutions away share a slot with nearer ones and are simply skipped
 * (their `at` is still in the future) until their own revolution comes round.
 */

/** Opaque handle returned by insert; pass it to remove. */
export interface WheelHandle {
  readonly at: number;
}

const DUE = -1; // collected by expire, about to fire
const DETACHED = -2; // fired or removed

class WheelNode<T> implements WheelHandle {
  prev: WheelNode<T> | null = null;
  next: WheelNode<T> | null = null;
  constructor(
    public item: T | undefined,
    readonly at: number,
    public slot: number,
  ) {}
}

export class TimerWheel<T> {
  private readonly heads: (WheelNode<T> | null)[];
  private readonly tails: (WheelNode<T> | null)[];
  /** Lowest tick that may still hold unexpired items; nothing is ever filed before it. */
  private cursor = 0;
  private count = 0;
  /** The items being fired by the current expire call, if any. */
  private due: WheelNode<T>[] | null = null;

  constructor(
    readonly tickMs: number,
    readonly slots: number,
  ) {
    if (!(tickMs > 0) || !Number.isFinite(tickMs)) throw new RangeError(`TimerWheel: bad tickMs ${tickMs}`);
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`TimerWheel: bad slot count ${slots}`);
    this.heads = new Array<WheelNode<T> | null>(slots).fill(null);
    this.tails = new Array<WheelNode<T> | null>(slots).fill(null);
  }

  /** Number of items waiting (inserted, not yet fired or removed). */
  get size(): number {
    return this.count;
  }

  /** File `item` to fire at the first expire(now) with now >= at. Past times fire at the next expire. */
  insert(item: T, at: number): WheelHandle {
    if (!Number.isFinite(at)) throw new RangeError(`TimerWheel.insert: bad time ${at}`);
    const tick = Math.max(Math.floor(at / this.tickMs), this.cursor);
    const node = new WheelNode<T>(item, at, tick % this.slots);
    this.append(node);
    this.count++;
    return node;
  }

  /** Remove a waiting item; returns false if it already fired or was removed. */
  remove(handle: WheelHandle): boolean {
    if (!(handle instanceof WheelNode)) return false;
    const node = handle as WheelNode<T>;
    if (node.slot === DETACHED) return false;
    // Cheap guard against a foreign handle at a list head (handles must come from this wheel).
    if (node.slot !== DUE && node.prev === null && this.heads[node.slot] !== node) return false;
    if (node.slot !== DUE) this.unlink(node);
    node.slot = DETACHED;
    node.item = undefined;
    this.count--;
    return true;
  }

  /**
   * Fire every item with at <= now, in (at, insertion) order. Items inserted by onExpire
   * that are already due fire on the next call. Removing a not-yet-fired due item from
   * inside onExpire prevents it from firing.
   */
  expire(now: number, onExpire: (item: T) => void): void {
    if (this.count === 0) {
      this.cursor = Math.max(this.cursor, Math.floor(now / this.tickMs));
      return;
    }
    const nowTick = Math.floor(now / this.tickMs);
    const span = Math.min(Math.max(nowTick - this.cursor, 0) + 1, this.slots);
    const due: WheelNode<T>[] = [];
    for (let i = 0; i < span; i++) {
      const slot = (this.cursor + i) % this.slots;
      let n = this.heads[slot] ?? null;
      while (n !== null) {
        const next: WheelNode<T> | null = n.next;
        if (n.at <= now) {
          this.unlink(n);
          n.slot = DUE;
          due.push(n);
        }
        n = next;
      }
    }
    this.cursor = Math.max(this.cursor, nowTick);
    if (due.length === 0) return;
    if (due.length > 1) due.sort((a, b) => a.at - b.at); // stable: ties keep insertion order
    const outer = this.due;
    this.due = due;
    try {
      for (const n of due) {
        if (n.slot === DETACHED) continue; // removed by an earlier callback
        const item = n.item as T;
        n.slot = DETACHED;
        n.item = undefined;
        this.count--;
        onExpire(item);
      }
    } finally {
      this.due = outer;
    }
  }

  /**
   * A lower bound on the earliest waiting item's time (exact when that item is within
   * one revolution); Infinity when empty.
   */
  nextExpiry(): number {
    if (this.count === 0) return Infinity;
    // Called from inside onExpire: collected-but-unfired items are the earliest.
    if (this.due !== null) for (const n of this.due) if (n.slot === DUE) return n.at;
    for (let i = 0; i < this.slots; i++) {
      const tick = this.cursor + i;
      let best = Infinity;
      for (let n = this.heads[tick % this.slots] ?? null; n !== null; n = n.next) {
        if (n.at < best && Math.floor(n.at / this.tickMs) <= tick) best = n.at;
      }
      if (best < Infinity) return best;
    }
    // Everything filed is at least one full revolution ahead.
    return (this.cursor + this.slots) * this.tickMs;
  }

  private append(n: WheelNode<T>): void {
    const tail = this.tails[n.slot]!;
    n.prev = tail;
    n.next = null;
    if (tail === null) this.heads[n.slot] = n;
    else tail.next = n;
    this.tails[n.slot] = n;
  }

  private unlink(n: WheelNode<T>): void {
    if (n.prev === null) this.heads[n.slot] = n.next;
    else n.prev.next = n.next;
    if (n.next === null) this.tails[n.slot] = n.prev;
    else n.next.prev = n.prev;
    n.prev = n.next = null;
  }
}
