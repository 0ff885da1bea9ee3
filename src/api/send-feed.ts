/**
 * The write path into the send buffer: a write is taken into the TCB's send buffer as far as it
 * has room (tcp_wmem), as the kernel takes a large write() a piece at a time; the rest waits for
 * ACKs to free space, and the write's callback (so the stream's next write) runs only once all of
 * it is in. Writes made while connecting are held here until 'connect', as node:net holds them.
 */
import type { Buffer } from '#platform/buffer';
import { sysError } from '../errors.js';
import type { Conn } from '../stack/conn.js';
import type { Stack } from '../stack/stack.js';

type Callback = (err?: Error | null) => void;

/** what takeHeld() gives when nothing is held (shared: callers only walk it) */
const NONE_HELD: readonly { chunk: Buffer; cb: Callback }[] = Object.freeze([]);

/** One socket's write in progress and the count of bytes it has handed to the send buffer. */
export class SendFeed {
  /** bytes taken into the send buffer so far */
  written = 0;
  /** bytes of the write in progress already in the send buffer (counted in written, still in writableLength) */
  taken = 0;
  /** the part of the write not yet taken into the send buffer */
  private chunk: Buffer | null = null;
  /** the write's callback, called once all of it is in */
  private cb: Callback | null = null;
  private feeding = false;
  /** writes made while connecting, written on 'connect' */
  private held: { chunk: Buffer; cb: Callback }[] | null = null;
  /** end() while connecting: _final's callback, run once connected (the FIN follows the handshake) */
  heldFinal: Callback | null = null;

  /**
   * `owner` is the socket: every piece taken counts as activity for its setTimeout() timer (held
   * as the socket, so a socket that writes without a timeout makes no timer).
   */
  constructor(
    private readonly stack: Stack,
    private readonly owner: { touchIdle(): void },
  ) {}

  /** Whether a write waits for room in the send buffer. */
  get waiting(): boolean {
    return this.cb !== null;
  }

  /** Hold a write made while connecting; true for the first, on which the socket awaits 'connect'. */
  hold(chunk: Buffer, cb: Callback): boolean {
    const first = this.held === null;
    (this.held ??= []).push({ chunk, cb });
    return first;
  }

  /** The writes held while connecting, handed over once (written on 'connect', failed on destroy). */
  takeHeld(): readonly { chunk: Buffer; cb: Callback }[] {
    const held = this.held ?? NONE_HELD;
    this.held = null;
    return held;
  }

  /** Start feeding one write (the stream hands over one at a time). */
  start(c: Conn, chunk: Buffer, cb: Callback, endCalled: boolean): void {
    this.chunk = chunk;
    this.cb = cb;
    this.feed(c, endCalled);
  }

  /**
   * Move the pending write into the send buffer as far as it has room. `endCalled`: end() was
   * called, so the last piece of the last write is held for _final and leaves with the FIN.
   */
  feed(c: Conn, endCalled: boolean): void {
    if (this.feeding) return; // an ACK delivered while feeding: the loop below takes the room
    this.feeding = true;
    const tcb = c.tcb;
    try {
      for (let guard = 0; guard < 1_000_000 && this.chunk !== null && !c.gone; guard++) {
        const chunk = this.chunk;
        const room = tcb.sendSpace;
        if (room === 0 && chunk.length > 0) break;
        const take = chunk.length <= room ? chunk : chunk.subarray(0, room);
        this.chunk = take === chunk ? null : chunk.subarray(room);
        // the last write of end(data): hold it for _final, which follows at once, so the data and
        // the FIN leave in one segment (unless the send buffer is full: then send now, or deadlock)
        const hold = endCalled && this.chunk === null && tcb.sendSpace > take.length;
        tcb.send(take, this.stack.clock.now(), hold);
        this.written += take.length;
        this.taken += take.length;
        this.owner.touchIdle();
        this.stack.settle(c);
      }
    } finally {
      this.feeding = false;
    }
    const cb = this.cb;
    if (cb && this.chunk === null && tcb.sendSpace > 0) {
      this.cb = null;
      this.taken = 0;
      cb();
    }
  }

  /** The connection closed under the write in progress: its callback gets EPIPE. */
  closed(): void {
    const cb = this.cb;
    if (!cb) return;
    this.cb = null;
    this.chunk = null;
    this.taken = 0;
    cb(sysError('EPIPE', 'write'));
  }

  /** The socket was destroyed: the bytes not yet taken go, even while the application holds the socket. */
  dropData(): void {
    this.chunk = null;
  }

  /** Start afresh for another connect() of the same socket. */
  reset(): void {
    this.written = 0;
    this.taken = 0;
    this.chunk = null;
    this.cb = null;
    this.held = null;
    this.heldFinal = null;
  }
}
