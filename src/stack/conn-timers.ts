/**
 * Every connection's timers from one clock timer. Each connection is an entry in one binary heap
 * ordered by its TCB's `nextDeadline()`; exactly one clock timer is armed for the earliest entry
 * (or TIME_WAIT record). After any call into a TCB the stack refiles it (`touch`); when the clock
 * fires, every due TCB gets `onTimer(now)` and expired TIME_WAIT records are closed.
 */
import type { TimerHandle } from '../time/clock.js';
import { TimerHeap } from '../time/heap.js';
import type { Conn } from './conn.js';
import type { Stack } from './stack.js';
import { retireTimeWait } from './time-wait-process.js';

export class ConnTimers {
  private readonly heap = new TimerHeap<Conn>();
  private clockTimer: TimerHandle | null = null;
  private clockTimerAt = Infinity;
  /** the clock timer's callback, made once (the timer is re-armed whenever the earliest deadline moves) */
  private readonly fire = (): void => this.onClock();

  constructor(private readonly stack: Stack) {}

  /** After any call into a TCB: file it under its next deadline. */
  touch(conn: Conn): void {
    if (conn.gone) return;
    if (conn.refd || conn.held) this.stack.liveness.update(conn);
    const d = conn.tcb.nextDeadline();
    if (this.heap.has(conn)) {
      // A deadline that moved later (the RTO restarted by an ACK, the usual case) keeps its heap
      // entry: it fires early and is refiled then, which saves a heap update per segment.
      if (d >= conn.at) return;
      // earlier (a delayed ACK under the RTO): refiled in place, in the order remove + push gives
      this.heap.moveEarlier(conn, d);
      return;
    }
    conn.at = d;
    if (d !== Infinity) this.heap.push(conn);
  }

  /** Whether the connection has a heap entry (test/property's timer invariant checks this). */
  has(conn: Conn): boolean {
    return this.heap.has(conn);
  }

  /** A connection forgotten by the stack leaves the heap. */
  remove(conn: Conn): void {
    this.heap.remove(conn);
  }

  /** Keep one clock timer armed for the earliest deadline of all connections. */
  arm(): void {
    const clock = this.stack.clock;
    const next = Math.min(this.heap.peek()?.at ?? Infinity, this.stack.timeWait.nextExpiry());
    if (next === this.clockTimerAt) return;
    if (this.clockTimer) clock.cancel(this.clockTimer);
    this.clockTimer = null;
    this.clockTimerAt = next;
    if (next !== Infinity) this.clockTimer = clock.schedule(next, this.fire);
  }

  /** Cancel the clock timer (the stack is destroyed). */
  stop(): void {
    if (this.clockTimer) this.stack.clock.cancel(this.clockTimer);
    this.clockTimer = null;
  }

  private onClock(): void {
    this.clockTimer = null;
    this.clockTimerAt = Infinity;
    const now = this.stack.clock.now();
    for (let guard = 0; guard < 1_000_000; guard++) {
      const c = this.heap.peek();
      if (!c || c.at > now) break;
      this.heap.pop();
      const due = c.tcb.nextDeadline();
      c.at = due;
      if (due > now) {
        // an early entry (see touch): refile at the real deadline
        if (due !== Infinity) this.heap.push(c);
        continue;
      }
      c.at = Infinity;
      c.tcb.onTimer(now);
      this.touch(c);
    }
    this.stack.timeWait.expire(now, (slot) => retireTimeWait(this.stack, slot, now));
    this.stack.flush();
  }
}
