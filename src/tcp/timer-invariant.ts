/**
 * The rule that keeps a connection from being stuck with nothing scheduled: a TCB with anything
 * outstanding — a SYN, data or a FIN sent and not acknowledged, or data or a FIN queued and not
 * yet sent — always has a timer that will act on it (retransmission or persist), and a TCB that
 * only waits for time to pass (TIME_WAIT, an orphan in FIN_WAIT_2) has that timer.
 *
 * "Sent" is measured against SND.MAX, the highest sequence number ever sent, not SND.NXT: after a
 * go-back-N retransmission (RTO, or a PMTU drop) SND.NXT lies below SND.MAX while those bytes are
 * still unacknowledged. Two hangs came from measuring against SND.NXT (issue 10: a simultaneous
 * close with data queued, and an orphan whose SYN-ACK a PMTU message pulled SND.NXT back over).
 *
 * The TCB keeps the rule by construction; this check states it in one place for the property
 * tests and fuzzers, which call it after every step.
 */
import { seqAdd, seqDiff, seqLt } from './seq.js';
import type { Tcb } from './tcb.js';

/** Why `tcb` breaks the rule, or null when it keeps it. */
export function missingTimer(tcb: Tcb): string | null {
  const s = tcb.state;
  switch (s) {
    case 'CLOSED':
    case 'LISTEN':
      return null;
    case 'TIME_WAIT':
      return tcb.tTimeWait === Infinity ? 'TIME_WAIT without its 2MSL timer' : null;
    case 'SYN_SENT':
    case 'SYN_RCVD':
      return tcb.tRetransmit === Infinity ? `${s} without a retransmission timer for its SYN` : null;
    default:
      break;
  }
  const sending = tcb.tRetransmit !== Infinity || tcb.tPersist !== Infinity;
  if (!sending) {
    const what = outstandingWork(tcb);
    if (what !== null) return `${s} with ${what} and neither a retransmission nor a persist timer`;
  }
  if (s === 'FIN_WAIT_2' && tcb.orphan && tcb.tFinWait2 === Infinity) {
    return 'an orphan in FIN_WAIT_2 without its tcp_fin_timeout timer';
  }
  return null;
}

/** What the connection still has to get acknowledged, in words, or null if nothing. */
export function outstandingWork(tcb: Tcb): string | null {
  if (seqLt(tcb.sndUna, tcb.sndBufSeq)) return 'its SYN unacknowledged';
  const inFlight = seqDiff(tcb.sndMax, tcb.sndUna);
  if (inFlight > 0) return `${inFlight} sequence numbers unacknowledged (SND.UNA to SND.MAX)`;
  const queuedEnd = seqAdd(tcb.sndBufSeq, tcb.sendQueued);
  const unsent = seqDiff(queuedEnd, tcb.sndMax);
  if (unsent > 0) return `${unsent} bytes queued and unsent`;
  if (tcb.finQueued && !seqLt(tcb.finSeq, tcb.sndMax)) return 'its FIN queued and unsent';
  return null;
}
