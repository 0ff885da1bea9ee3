/**
 * The idle timer behind `socket.setTimeout(ms)`: 'timeout' once per idle period, as Node's
 * refreshed timer, and a new period once the socket is active again. The connection stays open.
 */
import type { Clock, TimerHandle } from '../time/clock.js';

/** The socket a timer serves: its clock, whether it is still alive, and where 'timeout' goes. */
export interface IdleOwner {
  readonly clock: Clock;
  readonly destroyed: boolean;
  emit(event: 'timeout'): boolean;
}

export class IdleTimer {
  /** the socket's `timeout` property: the last value given to setTimeout(), or assigned */
  value: number | undefined = undefined;
  private ms = 0;
  private timer: TimerHandle | null = null;
  private lastActivity = 0;

  /**
   * 'timeout' is emitted on `owner` when a period passes without activity, and nothing once it is
   * destroyed. The owner is held rather than closures over it: a socket that never calls
   * setTimeout() pays for no function objects.
   */
  constructor(private readonly owner: IdleOwner) {}

  /** Watch for `ms` of inactivity from now (0 stops watching). */
  set(ms: number): void {
    this.ms = ms;
    this.clear();
    if (ms > 0) {
      this.lastActivity = this.owner.clock.now();
      this.arm();
    }
  }

  /** The socket was active: the idle period starts again (re-armed after a 'timeout'). */
  touch(): void {
    if (this.ms === 0) return;
    this.lastActivity = this.owner.clock.now();
    if (!this.timer && !this.owner.destroyed) this.arm();
  }

  clear(): void {
    if (this.timer) this.owner.clock.cancel(this.timer);
    this.timer = null;
  }

  /**
   * The deadline is compared exactly as it was scheduled (lastActivity + ms), never as a
   * difference, which fractional times can round one unit short and re-arm at the same instant.
   */
  private arm(): void {
    const clock = this.owner.clock;
    this.timer = clock.schedule(this.lastActivity + this.ms, () => {
      this.timer = null;
      if (this.owner.destroyed || this.ms === 0) return;
      if (clock.now() >= this.lastActivity + this.ms) this.owner.emit('timeout');
      else this.arm();
    });
  }
}
