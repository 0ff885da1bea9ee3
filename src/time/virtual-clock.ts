/**
 * A deterministic clock for tests and simulations. Time stands still until driven by
 * advance / runUntil / runAll, which run due events in (time, FIFO) order and move now()
 * to each timer's time as it fires. No wall-clock time is involved: hours of virtual
 * time cost only the callbacks that run in them.
 *
 * Deferred calls (defer) form a FIFO queue that is drained before any timer runs,
 * at the current time, like microtasks.
 */
import type { Clock, TimerHandle } from './clock.js';
import { TimerEntry, TimerHeap } from './heap.js';

/** A Clock that moves only when driven (`advance`, `runUntil`, `runAll`): deterministic, and hours of virtual time cost only their callbacks. */
export class VirtualClock implements Clock {
  private t: number;
  private readonly heap = new TimerHeap<TimerEntry>();
  private deferred: ((() => void) | undefined)[] = [];
  private dHead = 0;
  private nextId = 1;
  private driving = false;

  constructor(start = 0) {
    if (!Number.isFinite(start)) throw new RangeError(`VirtualClock: bad start time ${start}`);
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  /** Times in the past (or NaN-free but < now) are clamped to now: they fire at the current time. */
  schedule(at: number, fn: () => void): TimerHandle {
    if (Number.isNaN(at)) throw new RangeError('VirtualClock.schedule: time is NaN');
    const e = new TimerEntry(this.nextId++, Math.max(at, this.t), fn);
    this.heap.push(e);
    return e;
  }

  /** Clock.lastRead: virtual time is only ever read, so this is now() */
  lastRead(): number {
    return this.now();
  }

  /** Clock.scheduleDue: a timer like any other (the heap keeps its place among those due now) */
  scheduleDue(at: number, fn: () => void): void {
    this.schedule(at, fn);
  }

  cancel(handle: TimerHandle): void {
    if (handle instanceof TimerEntry && this.heap.remove(handle)) handle.fn = null;
  }

  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

  /** Number of timers and deferred calls waiting to run. */
  pending(): number {
    return this.heap.size + this.deferred.length - this.dHead;
  }

  /** Time of the next event (now if a deferred call waits), Infinity if none. */
  nextEventTime(): number {
    if (this.dHead < this.deferred.length) return this.t;
    return this.heap.peek()?.at ?? Infinity;
  }

  /** Run every event due up to now+ms, then leave now() at exactly now+ms. */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`VirtualClock.advance: bad duration ${ms}`);
    const end = this.t + ms;
    this.drive(end, undefined);
    this.t = end;
  }

  /**
   * Run events in order until pred() holds (checked before starting and after each event)
   * or no event is due within limitMs. Returns pred(). When the predicate is met, now() is
   * the time of the event that satisfied it; otherwise now() moves to the limit (if finite).
   */
  runUntil(pred: () => boolean, limitMs: number): boolean {
    if (!(limitMs >= 0)) throw new RangeError(`VirtualClock.runUntil: bad limit ${limitMs}`);
    if (pred()) return true;
    const end = this.t + limitMs;
    if (this.drive(end, pred)) return true;
    if (Number.isFinite(end)) this.t = end;
    return pred();
  }

  /**
   * Run events until none remain or the next one lies beyond now+limitMs.
   * Returns true if the queue was drained (now() is then the last event's time),
   * false if the limit stopped it (now() is then the limit).
   */
  runAll(limitMs: number): boolean {
    if (!(limitMs >= 0)) throw new RangeError(`VirtualClock.runAll: bad limit ${limitMs}`);
    const end = this.t + limitMs;
    this.drive(end, undefined);
    if (this.pending() === 0) return true;
    this.t = end;
    return false;
  }

  /** Runs events due at or before `end`; returns true as soon as pred() holds. */
  private drive(end: number, pred: (() => boolean) | undefined): boolean {
    if (this.driving) throw new Error('VirtualClock: advance/runUntil/runAll called from inside a callback');
    this.driving = true;
    try {
      for (;;) {
        if (this.dHead < this.deferred.length) {
          const fn = this.deferred[this.dHead]!;
          this.deferred[this.dHead++] = undefined;
          this.compactDeferred();
          fn();
        } else {
          const top = this.heap.peek();
          if (top === undefined || top.at > end) return false;
          this.heap.pop();
          if (top.at > this.t) this.t = top.at;
          const fn = top.fn!;
          top.fn = null;
          fn();
        }
        if (pred !== undefined && pred()) return true;
      }
    } finally {
      this.driving = false;
    }
  }

  private compactDeferred(): void {
    if (this.dHead === this.deferred.length) {
      this.deferred.length = 0;
      this.dHead = 0;
    } else if (this.dHead >= 1024 && this.dHead * 2 >= this.deferred.length) {
      this.deferred = this.deferred.slice(this.dHead);
      this.dHead = 0;
    }
  }
}
