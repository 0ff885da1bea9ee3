/**
 * How a stack hands what happened to its users without ever re-entering a TCB mid-segment.
 *
 * - A TCB's hooks only *queue* notifications; they are delivered (`flush`) after the TCB call
 *   returns, so an application reacting to 'connect' or 'data' by writing, reading or closing never
 *   finds a TCB half way through a segment.
 * - User code that runs *inside* a TCB call (a 'packet' or 'transition' listener, between
 *   `enter()` and `leave()`) may call anything: input() on the same stack, or any socket call. Those
 *   wait in `later` and run, in order, once the call in progress has returned.
 * - A connection may complete its whole handshake before it has a user (synchronous wiring: the
 *   SYN-ACK arrives while connect() is still sending the SYN). Its notifications wait on the
 *   connection until `attach` gives it one, and are then delivered asynchronously, as Node's
 *   'connect' always is.
 */
import { NOTIFY_CLOSED, NOTIFY_ERROR, NOTIFY_ESTABLISHED, NOTIFY_READABLE, NOTIFY_WRITABLE, type Conn, type ConnUser } from './conn.js';

/** What the dispatcher needs of its stack. */
export interface DispatchHost {
  /** work the stack keeps for after a TCB call (TIME_WAIT records to settle); true if there was some */
  settlePending(): boolean;
  /** refile a connection's timers after its user reacted */
  touch(c: Conn): void;
  /** after a flush: re-arm the clock */
  afterFlush(): void;
  defer(fn: () => void): void;
}

export class Dispatcher {
  /**
   * connections with notifications to deliver: the first `queued` entries. The array keeps its
   * storage from flush to flush (emptying it by its length would free it, to be grown again at the
   * next notification, several times per connection)
   */
  private readonly queue: (Conn | undefined)[] = [];
  private queued = 0;
  private readonly later: (() => void)[] = [];
  private laterHead = 0;
  /** > 0 while user code runs from inside a TCB call */
  private depth = 0;
  private flushing = false;

  constructor(private readonly host: DispatchHost) {}

  /** Whether user code is running from inside a TCB call right now. */
  get busy(): boolean {
    return this.depth > 0;
  }

  /** Around user code called from inside a TCB call ('packet', 'transition'). */
  enter(): void {
    this.depth++;
  }

  leave(): void {
    this.depth--;
  }

  /** Run `fn` after the TCB call in progress when called from inside one; false (caller runs it now) otherwise. */
  whenIdle(fn: () => void): boolean {
    if (this.depth === 0) return false;
    this.later.push(fn);
    return true;
  }

  /** Queue a notification for the connection's user (kept on the connection until it has one). */
  notify(c: Conn, bit: number): void {
    if (c.notify === 0 && c.user) this.queue[this.queued++] = c;
    c.notify |= bit;
  }

  /** Deliver everything queued, then whatever waited in `later`, until nothing is left. */
  flush(): void {
    if (this.flushing || this.depth > 0) return;
    this.flushing = true;
    try {
      for (let guard = 0; guard < 10_000_000; guard++) {
        if (this.host.settlePending()) continue;
        if (this.queued > 0) this.deliver();
        else if (this.laterHead < this.later.length) this.runLater();
        else break;
      }
    } finally {
      this.flushing = false;
    }
    this.host.afterFlush();
  }

  /** Give a connection its user; notifications it gathered without one follow asynchronously. */
  attach(c: Conn, user: ConnUser): void {
    c.user = user;
    if (c.notify === 0) return;
    const bits = c.notify;
    c.notify = 0;
    this.host.defer(() => {
      if (c.user !== user) return;
      this.notify(c, bits);
      this.flush();
    });
  }

  private runLater(): void {
    const fn = this.later[this.laterHead]!;
    this.later[this.laterHead++] = undefined as unknown as () => void;
    if (this.laterHead === this.later.length) {
      this.later.length = 0;
      this.laterHead = 0;
    }
    fn();
  }

  private deliver(): void {
    const queue = this.queue;
    for (let i = 0; i < this.queued; i++) {
      const c = queue[i]!;
      const u = c.user;
      if (!u) continue; // let go meanwhile; the bits wait for a new user (attach)
      const bits = c.notify;
      c.notify = 0;
      // each call may let the connection go (destroy, a failed attempt moving on): stop then
      if (bits & NOTIFY_ESTABLISHED) u.onEstablished();
      if (bits & NOTIFY_READABLE && c.user === u) u.onReadable();
      if (bits & NOTIFY_WRITABLE && c.user === u) u.onWritable();
      if (bits & NOTIFY_ERROR && c.pendingError && c.user === u) u.onError(c.pendingError);
      if (bits & NOTIFY_CLOSED && c.user === u) u.onClosed();
      this.host.touch(c);
    }
    queue.fill(undefined, 0, this.queued);
    this.queued = 0;
  }
}
