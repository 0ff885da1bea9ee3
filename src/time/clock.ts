/**
 * One clock interface for the whole project, real or virtual. Times are milliseconds
 * (fractional allowed) on a monotonic scale whose origin is the clock's own.
 */
export interface TimerHandle {
  /** opaque */
  readonly id: number;
}

/** The one clock interface, real or virtual: milliseconds on a monotonic scale, timers, and deferred calls. */
export interface Clock {
  /** Current time in ms. */
  now(): number;
  /** Call `fn` once at (or just after) time `at` (absolute ms on this clock). */
  schedule(at: number, fn: () => void): TimerHandle;
  /** Cancel a scheduled call; cancelling a fired or cancelled handle is a no-op. */
  cancel(handle: TimerHandle): void;
  /** Run `fn` soon, asynchronously, before any later-scheduled timer (a microtask-like hop). */
  defer(fn: () => void): void;
  /**
   * `schedule(at, fn)` for an `at` no later than a time this clock's now() has returned (so due
   * already), without a handle: the call cannot be cancelled, which lets a clock skip the timer
   * entry. Runs in the same order schedule() would. Optional: callers fall back to schedule().
   */
  scheduleDue?(at: number, fn: () => void): void;
  /**
   * The latest time this clock has read from its source: no later than the present and no
   * earlier than anything now() has returned, so a time scheduleDue() takes — for a caller that
   * needs only that (a packet due at once) and would rather not read the wall clock again.
   * Optional: callers fall back to now().
   */
  lastRead?(): number;
  /**
   * Keep the process alive until the matching release() (calls nest), as a ref'd Node handle does.
   * A real clock implements it; a virtual clock runs only when driven and has nothing to hold.
   */
  hold?(): void;
  /** Undo one hold(); the process may exit once every hold is released. */
  release?(): void;
}
