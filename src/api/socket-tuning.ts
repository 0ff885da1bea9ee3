/**
 * The TCP options a socket was asked for (setNoDelay, setKeepAlive, setUserTimeout, or connect()'s
 * noDelay/keepAlive), kept for a connection that does not exist yet and applied to each TCB the
 * socket takes on: the accepted one, or every attempt of connect().
 */
import type { Conn } from '../stack/conn.js';
import type { Stack } from '../stack/stack.js';

/** What a socket asked of its connection's TCB. */
export class SocketTuning {
  /** TCP_NODELAY */
  noDelay = false;
  /** SO_KEEPALIVE with its initial delay (ms, undefined: tcp_keepalive_time), once asked */
  keepAlive: [boolean, number | undefined] | null = null;
  /** TCP_USER_TIMEOUT (ms, 0 = off) */
  userTimeout = 0;

  /**
   * setNoDelay(): kept for later connections and set on the current one; turning Nagle off sends
   * what it held back at once (an empty send() lets the TCB push it).
   */
  setNoDelay(stack: Stack, c: Conn | null, noDelay: boolean): void {
    this.noDelay = noDelay;
    if (!c) return;
    c.tcb.noDelay = noDelay;
    if (noDelay && !c.gone) {
      c.tcb.send(new Uint8Array(0), stack.clock.now());
      stack.settle(c);
    }
  }

  /** Set what was asked on the connection's TCB. */
  apply(stack: Stack, c: Conn): void {
    const t = c.tcb;
    if (this.noDelay) t.noDelay = true;
    if (this.userTimeout) t.userTimeoutMs = this.userTimeout;
    if (this.keepAlive) {
      t.setKeepAlive(this.keepAlive[0], this.keepAlive[1], stack.clock.now());
      stack.settle(c);
    }
  }
}
