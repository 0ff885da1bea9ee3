/**
 * Event-loop liveness as Node's handles give it. In Node a listening server, a socket that is
 * connecting, and a socket that is reading or has writes queued are active libuv handles and keep
 * the process alive; an idle, ended, destroyed or unref()'d one does not. The stack counts the
 * connections and listeners that would be such handles and asks its clock to hold the process
 * while the count is above zero; timers that serve nothing else (TIME_WAIT, an orphan's FIN_WAIT_2,
 * keepalive on an idle socket) then run only while something else keeps the process alive.
 */
import type { Conn } from './conn.js';

/** Whether a connection is, in Node's terms, an active and ref'd handle. */
export function connHolds(c: Conn): boolean {
  if (c.gone || !c.refd) return false;
  const t = c.tcb;
  switch (t.state) {
    case 'SYN_SENT':
    case 'SYN_RCVD':
      return true; // connecting (uv_connect pending)
    case 'FIN_WAIT_1':
    case 'CLOSING':
    case 'LAST_ACK':
      return true; // our FIN is not yet acknowledged: a write (the shutdown) is still queued
    case 'ESTABLISHED':
    case 'CLOSE_WAIT':
    case 'FIN_WAIT_2':
      // writes queued (the kernel would send them after exit; here the process must stay), or reading
      return t.sendQueued > 0 || (c.reading && !t.rcvClosed);
    default:
      return false; // TIME_WAIT, CLOSED, LISTEN
  }
}

/** What the counter needs of a clock: hold the process while asked to (a RealClock does; a virtual one need not). */
export interface ProcessHolder {
  hold?(): void;
  release?(): void;
}

/** Counts ref'd, active handles of one stack and holds the process through its clock while any exist. */
export class Liveness {
  private count = 0;

  constructor(private readonly clock: ProcessHolder) {}

  get active(): number {
    return this.count;
  }

  /** Refresh a connection's share after anything that may have changed it. */
  update(c: Conn): void {
    const holds = connHolds(c);
    if (holds !== c.held) {
      c.held = holds;
      this.add(holds ? 1 : -1);
    }
  }

  add(delta: 1 | -1): void {
    this.count += delta;
    if (delta > 0 && this.count === 1) this.clock.hold?.();
    else if (delta < 0 && this.count === 0) this.clock.release?.();
  }
}
