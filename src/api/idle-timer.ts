/**
 * The idle timer behind `socket.setTimeout(ms)`: 'timeout' once per idle period, as Node's
 * refreshed timer, and a new period once the socket is active again. The connection stays open.
 */
import type { Clock, TimerHandle } from '../time/clock.js';

export class IdleTimer {
  private ms = 0;
  private timer: TimerHandle | null = null;
  private lastActivity = 0;

  /** `onIdle` runs when a period passes without activity; nothing runs once `alive()` is false. */
  constructor(
    private readonly clock: Clock,
    private readonly onIdle: () => void,
    private readonly alive: () => boolean,
  ) {}

  /** Watch for `ms` of inactivity from now (0 stops watching). */
  set(ms: number): void {
    this.ms = ms;
    this.clear();
    if (ms > 0) {
      this.lastActivity = this.clock.now();
      this.arm();
    }
  }

  /** The socket was active: the idle period starts again (re-armed after a 'timeout'). */
  touch(): void {
    if (this.ms === 0) return;
    this.lastActivity = this.clock.now();
    if (!this.timer && this.alive()) this.arm();
  }

  clear(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = null;
  }

  /**
   * The deadline is compared exactly as it was scheduled (lastActivity + ms), never as a
   * difference, which fractional times can round one unit short and re-arm at the same instant.
   */
  private arm(): void {
    this.timer = this.clock.schedule(this.lastActivity + this.ms, () => {
      this.timer = null;
      if (!this.alive() || this.ms === 0) return;
      if (this.clock.now() >= this.lastActivity + this.ms) this.onIdle();
      else this.arm();
    });
  }
}
