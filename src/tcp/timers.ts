/**
 * A TCB's timers (RFC 9293 §3.10.8), sans-IO: each is an absolute deadline on the TCB (`tRetransmit`,
 * `tPersist`, `tKeepalive`, `tDelack`, `tTimeWait`, `tFinWait2`; Infinity when off). The host asks
 * `nextDeadline()` and calls `onTimer(now)` then; these functions arm, stop and run them.
 */
import { onKeepaliveTimer, onPersistTimer, onRetransmitTimer, sendAck } from './output.js';
import type { Tcb, TimerName } from './tcb.js';

/** TIMEOUTS (§3.10.8): run every timer that is due. */
export function runTimers(tcb: Tcb, now: number): void {
  tcb.now = now;
  if (tcb.tTimeWait <= now) {
    tcb.cause = 'timewait';
    tcb.tTimeWait = Infinity;
    tcb.toClosed();
    return;
  }
  if (tcb.tFinWait2 <= now) {
    tcb.cause = 'finwait2';
    tcb.tFinWait2 = Infinity;
    tcb.toClosed();
    return;
  }
  if (tcb.tDelack <= now) {
    tcb.tDelack = Infinity;
    sendAck(tcb);
  }
  if (tcb.tRetransmit <= now) {
    tcb.cause = 'retransmit';
    tcb.tRetransmit = Infinity;
    onRetransmitTimer(tcb);
    if (tcb.state === 'CLOSED') return;
  }
  if (tcb.tPersist <= now) {
    tcb.cause = 'persist';
    tcb.tPersist = Infinity;
    onPersistTimer(tcb);
  }
  if (tcb.tKeepalive <= now) {
    tcb.cause = 'keepalive';
    tcb.tKeepalive = Infinity;
    onKeepaliveTimer(tcb);
  }
}

/** The timer `ss -o` would show: the most significant one running. */
export function activeTimer(tcb: Tcb): [TimerName, number] | null {
  if (tcb.tTimeWait < Infinity) return ['timewait', tcb.tTimeWait];
  if (tcb.tRetransmit < Infinity) return ['retransmit', tcb.tRetransmit];
  if (tcb.tPersist < Infinity) return ['persist', tcb.tPersist];
  if (tcb.tFinWait2 < Infinity) return ['finwait2', tcb.tFinWait2];
  if (tcb.tKeepalive < Infinity) return ['keepalive', tcb.tKeepalive];
  if (tcb.tDelack < Infinity) return ['delack', tcb.tDelack];
  return null;
}

/** Turn every timer off. */
export function stopTimers(tcb: Tcb): void {
  tcb.tRetransmit = Infinity;
  tcb.tPersist = Infinity;
  tcb.tKeepalive = Infinity;
  tcb.tDelack = Infinity;
  tcb.tTimeWait = Infinity;
  tcb.tFinWait2 = Infinity;
}

/** (Re)start the retransmission timer at one RTO (RFC 6298 §5), capped by TCP_USER_TIMEOUT. */
export function armRetransmit(tcb: Tcb): void {
  tcb.xmitTimer = 'rto';
  tcb.tRetransmit = tcb.now + tcb.rto.rto;
  // TCP_USER_TIMEOUT caps the wait, as Linux does: give up on time, not one backed-off RTO late
  if (tcb.userTimeoutMs > 0 && tcb.stallSince >= 0) {
    tcb.tRetransmit = Math.min(tcb.tRetransmit, Math.max(tcb.now, tcb.stallSince + tcb.userTimeoutMs));
  }
}

/** The keepalive timer (RFC 1122 §4.2.3.6): idle time after the last segment received, then the probe interval. */
export function armKeepalive(tcb: Tcb): void {
  const s = tcb.state;
  if (!tcb.keepAlive || s === 'CLOSED' || s === 'LISTEN' || s === 'SYN_SENT' || s === 'SYN_RCVD' || s === 'TIME_WAIT') {
    tcb.tKeepalive = Infinity;
    return;
  }
  tcb.tKeepalive = tcb.lastRcvTime + (tcb.probesOut > 0 ? tcb.keepIntvlMs : tcb.keepIdleMs);
  if (tcb.probesOut > 0) tcb.tKeepalive = tcb.now + tcb.keepIntvlMs;
}
