/**
 * socket.setTimeout(): 'timeout' once per idle period, as Node's refreshed timer. Activity moves
 * the deadline (the timer, armed for the old one, checks and re-arms); after a 'timeout' the next
 * activity starts a new period. The deadline is compared exactly as it was scheduled
 * (lastActivity + ms), never as a difference, which fractional times can round one unit short and
 * re-arm at the same instant forever.
 */
import type { Clock, TimerHandle } from '../time/clock.js';

export class IdleTimer {
  private timer: TimerHandle | null = null;
  private last = 0;

  constructor(
    private readonly clock: Clock,
    /** the idle period in ms (> 0) */
    readonly ms: number,
    private readonly fire: () => void,
  ) {
    this.last = clock.now();
    this.arm();
  }

  /** Activity: the idle period starts again (a new one after a 'timeout'). */
  touch(): void {
    this.last = this.clock.now();
    if (!this.timer) this.arm();
  }

  stop(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.timer = this.clock.schedule(this.last + this.ms, () => {
      this.timer = null;
      if (this.clock.now() >= this.last + this.ms) this.fire();
      else this.arm();
    });
  }
}
