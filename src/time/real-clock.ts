/**
 * Wall-clock implementation of Clock. All timers live in one heap; a single
 * setTimeout is armed for the earliest entry. Deferred calls are batched and run by
 * one setImmediate per batch (a MessageChannel message where setImmediate is absent, as in
 * browsers; see platform/defer.ts), with what they defer in turn (up to DEFER_ROUNDS batches),
 * and are flushed first if a timer fires before it.
 */
import { cancelSoon, runSoon, type ImmediateHandle } from '../platform/defer.js';
import type { Clock, TimerHandle } from './clock.js';
import { TimerEntry, TimerHeap } from './heap.js';

/**
 * The wall clock, kept by reference: Node's global `performance` is a lazy getter on globalThis,
 * run again on every read of the name (several readings per packet)
 */
const perf: { now(): number } = globalThis.performance;

export interface RealClockOptions {
  /** Unref the underlying Node timer/immediate so they don't keep the process alive. */
  unref?: boolean;
}

/** A Clock on the wall clock (the default for a Stack): one Node timer armed for the earliest of its timers. */
export class RealClock implements Clock {
  private readonly heap = new TimerHeap<TimerEntry>();
  private readonly unref: boolean;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedAt = Infinity;
  /** deferred calls, and timers that were already due when scheduled */
  private batch: (BatchItem | undefined)[] = [];
  /** entries of `batch` in use: the array keeps its storage from batch to batch */
  private batchLen = 0;
  /** the array of the batch before, emptied: the next batch takes it instead of growing a new one */
  private spare: (BatchItem | undefined)[] | null = null;
  private immediate: ImmediateHandle | undefined;
  private nextId = 1;
  private firing = false;
  /** inside flushDeferred: what is deferred meanwhile runs in its next round (or a new immediate after the last) */
  private draining = false;
  /** rounds run in this turn's drain */
  private round = 0;
  private closed = false;
  /** hold() calls not yet released, and the ref'd handle that keeps the process alive meanwhile */
  private holders = 0;
  private keeper: ReturnType<typeof setInterval> | undefined;

  constructor(opts: RealClockOptions = {}) {
    this.unref = opts.unref ?? false;
  }

  /**
   * Inside a batch of deferred calls or timers the time is read once and reused for a few dozen
   * calls: a batch that delivers packets asks for the time several times per packet, and a stack's
   * clock needs milliseconds (Linux works in jiffies), not a fresh reading for every question.
   */
  now(): number {
    if (this.cachedUses > 0) {
      this.cachedUses--;
      return this.cached;
    }
    return (this.seen = perf.now());
  }

  /** a time already read from the wall clock (so no later than the present) */
  private seen = 0;

  private cached = 0;
  private cachedUses = 0;

  private cacheTime(): void {
    this.cached = this.seen = perf.now();
    this.cachedUses = 32;
  }

  schedule(at: number, fn: () => void): TimerHandle {
    if (Number.isNaN(at)) throw new RangeError('RealClock.schedule: time is NaN');
    const e = new TimerEntry(this.nextId++, at, fn);
    if (this.closed) return e; // never fires
    if (at <= this.seen || at <= (this.seen = perf.now())) {
      // already due: run with the next deferred batch (setImmediate) instead of a setTimeout,
      // which Node clamps to 1 ms — zero-delay packet delivery must not cost a millisecond
      this.enqueue(e);
      return e;
    }
    this.heap.push(e);
    if (!this.firing && this.heap.peek() === e) this.arm();
    return e;
  }

  /** Clock.lastRead: the wall clock as last read (by now(), schedule() or a batch), without reading it */
  lastRead(): number {
    return this.seen;
  }

  /** schedule() of a time already due (Clock.scheduleDue): the same place in the deferred batch, no entry */
  scheduleDue(at: number, fn: () => void): void {
    if (!(at <= this.seen)) {
      this.schedule(at, fn);
      return;
    }
    this.enqueue(fn);
  }

  cancel(handle: TimerHandle): void {
    if (!(handle instanceof TimerEntry)) return;
    handle.fn = null; // also stops a due timer waiting in the deferred batch
    if (!this.heap.remove(handle)) return;
    // An early-armed timer for a later top just fires and re-arms; only an empty heap disarms.
    if (this.heap.size === 0) this.disarm();
  }

  defer(fn: () => void): void {
    this.enqueue(fn);
  }

  private enqueue(item: (() => void) | TimerEntry): void {
    if (this.closed) return;
    this.batch[this.batchLen++] = item;
    if (this.immediate === undefined && !this.draining) {
      // never unref'd: an unref'd immediate does not stop the event loop from blocking in poll until
      // the next timer, which would delay every deferred call (and every packet) by up to that long
      this.immediate = runSoon(this.flushDeferred);
    }
  }

  /**
   * Keep the process alive while held (a listening server, a connecting or reading socket): one
   * ref'd interval that never fires, ref'd and unref'd as the count crosses zero. The clock's own
   * timer stays unref'd, so timers that serve nothing held (TIME_WAIT) never keep a process alive.
   */
  hold(): void {
    if (this.closed || this.holders++ > 0) return;
    if (this.keeper === undefined) this.keeper = setInterval(noop, 2 ** 30);
    else this.keeper.ref?.();
  }

  /** Undo one hold(); at zero the keeper is unref'd and lets the process exit. */
  release(): void {
    if (this.holders === 0 || --this.holders > 0) return;
    this.keeper?.unref?.();
  }

  /** Number of timers and deferred calls waiting. */
  pending(): number {
    return this.heap.size + this.batchLen;
  }

  /** Cancel every timer and deferred call; later schedule/defer calls are ignored. */
  close(): void {
    this.closed = true;
    this.holders = 0;
    if (this.keeper !== undefined) clearInterval(this.keeper);
    this.keeper = undefined;
    this.disarm();
    if (this.immediate !== undefined) cancelSoon(this.immediate);
    this.immediate = undefined;
    this.batch = [];
    this.batchLen = 0;
    this.heap.clear();
  }

  private arm(): void {
    const top = this.heap.peek();
    if (top === undefined) return this.disarm();
    if (this.timer !== undefined && this.armedAt <= top.at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const delay = Math.max(0, Math.ceil(top.at - perf.now()));
    this.timer = setTimeout(this.onTimer, delay);
    // Node's timers can be unref'd; a browser's setTimeout returns a number
    if (this.unref && typeof this.timer === 'object') this.timer.unref?.();
    this.armedAt = top.at;
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    if (this.batchLen > 0) this.flushDeferred();
    const limit = perf.now();
    this.firing = true;
    try {
      for (let top = this.heap.peek(); top !== undefined && top.at <= limit; top = this.heap.peek()) {
        this.heap.pop();
        const fn = top.fn!;
        top.fn = null;
        fn();
        if (this.closed) return;
      }
    } finally {
      this.firing = false;
      if (!this.closed) this.arm();
    }
  };

  /**
   * Run the deferred batch, then what it deferred in turn, up to DEFER_ROUNDS batches in this turn
   * (a deferred call that defers again — an accepted connection's first notifications, a reply to
   * them — is done within the turn, as VirtualClock drains its queue before any timer). Each later
   * round is a microtask, so it follows the process.nextTick calls and promise reactions of the
   * round before, as a read callback's events follow those of the callback that accepted (node:net
   * emits an accepted socket's 'resume' before its first 'data'). What is still deferred after the
   * last round waits for the next immediate, so a call that keeps deferring itself never keeps I/O
   * waiting.
   */
  private readonly flushDeferred = (): void => {
    if (this.immediate !== undefined) cancelSoon(this.immediate);
    this.immediate = undefined;
    this.round = 0;
    this.drainRound();
  };

  private readonly drainRound = (): void => {
    this.draining = true;
    let more = false;
    try {
      this.runBatch();
      more = this.batchLen > 0 && !this.closed && ++this.round < DEFER_ROUNDS;
    } finally {
      if (more) {
        queueMicrotask(this.drainRound);
      } else {
        this.draining = false;
        if (this.batchLen > 0 && this.immediate === undefined && !this.closed) this.immediate = runSoon(this.flushDeferred);
      }
    }
  };

  private runBatch(): void {
    const batch = this.batch;
    const n = this.batchLen;
    this.batch = this.spare ?? [];
    this.batchLen = 0;
    this.spare = null;
    let i = 0;
    try {
      while (i < n && !this.closed) {
        if (this.cachedUses === 0) this.cacheTime();
        const item = batch[i++]!;
        if (typeof item === 'function') item();
        else if (item.fn) {
          // a due timer: run it unless it was cancelled meanwhile
          const fn = item.fn;
          item.fn = null;
          fn();
        }
      }
    } finally {
      this.cachedUses = 0;
      if (i < n && !this.closed) {
        // A call threw: keep the rest for the next batch, ahead of anything deferred since.
        const rest = batch.slice(i, n);
        for (let j = 0; j < this.batchLen; j++) rest.push(this.batch[j]);
        this.batch = [];
        this.batchLen = 0;
        for (const fn of rest) this.enqueue(fn!);
      } else if (batch.length <= 4096) {
        // emptied in place (length = 0 would drop its storage) for the next batch to take
        batch.fill(undefined, 0, n);
        this.spare = batch;
      }
    }
  }
}

/** Deferred batches run in one turn: the batch, and what it and its successors deferred. */
const DEFER_ROUNDS = 4;

function noop(): void {}

type BatchItem = (() => void) | TimerEntry;
