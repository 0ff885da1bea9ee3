/**
 * The one TcbHooks object a stack gives all its TCBs: segments out through the stack, transitions
 * published, and every change for the user only *queued* (dispatch.ts delivers them after the TCB
 * call returns). A passive connection that becomes ESTABLISHED joins its listener's accept queue.
 */
import type { TcbErrorCode, TcbHooks } from '../tcp/tcb.js';
import { NOTIFY_CLOSED, NOTIFY_ERROR, NOTIFY_ESTABLISHED, NOTIFY_READABLE, NOTIFY_WRITABLE, type Conn } from './conn.js';
import { scheduleAccept } from './listening.js';
import { HALF_OPEN_DELETED } from './publish.js';
import type { Stack } from './stack.js';

/** `twPending`: connections that entered TIME_WAIT during the call in progress (settled after it). */
export function makeHooks(stack: Stack, twPending: Conn[]): TcbHooks {
  return {
    send: (tcb, seg) => {
      const c = tcb.owner as Conn;
      // a segment carrying more than one MSS is a super-segment for the link to cut (offload.ts)
      stack.sendRaw(c.local, c.remote, seg, seg.payload.length > tcb.sndMss ? tcb.sndMss : 0);
    },
    transition: (tcb, from, to) => {
      const c = tcb.owner as Conn;
      stack.emitTransition(tcb.now, c.local.text, c.localPort, c.remote.text, c.remotePort, from, to, tcb.cause);
      if (to === 'TIME_WAIT') twPending.push(c);
      if (to === 'CLOSED' || (to === 'LISTEN' && from === 'SYN_RCVD')) {
        stack.forget(c);
        stack.queueNotify(c, NOTIFY_CLOSED);
        // the listener goes on listening; this half-open connection's TCB is deleted (LISTEN → CLOSED)
        if (to === 'LISTEN') stack.emitTransition(tcb.now, c.local.text, c.localPort, c.remote.text, c.remotePort, to, 'CLOSED', HALF_OPEN_DELETED);
      }
    },
    established: (tcb) => {
      const c = tcb.owner as Conn;
      const l = c.listener;
      if (l && tcb.passive) {
        l.synQueue = Math.max(0, l.synQueue - 1);
        l.acceptQueue.push(c);
        scheduleAccept(stack, l);
      }
      stack.queueNotify(c, NOTIFY_ESTABLISHED);
    },
    readable: (tcb) => stack.queueNotify(tcb.owner as Conn, NOTIFY_READABLE),
    writable: (tcb) => stack.queueNotify(tcb.owner as Conn, NOTIFY_WRITABLE),
    error: (tcb, code: TcbErrorCode) => {
      const c = tcb.owner as Conn;
      c.pendingError = code;
      stack.queueNotify(c, NOTIFY_ERROR);
    },
  };
}
