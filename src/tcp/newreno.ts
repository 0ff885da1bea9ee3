/**
 * Loss recovery without SACK: RFC 5681 §3.2 fast retransmit on the third duplicate ACK, RFC 6582
 * NewReno fast recovery (one hole per partial ACK), RFC 3042 Limited Transmit for the first two
 * (its window lives in output.ts). The window itself is the congestion control's (cc/).
 */
import { retransmitFirst } from './output.js';
import { seqDiff, seqGe } from './seq.js';
import type { Tcb } from './tcb.js';

/** Without SACK: NewReno recovery (RFC 6582), slow start and congestion avoidance (RFC 5681, cc/). */
export function newRenoAck(tcb: Tcb, ack: number, acked: number, rtt: number): void {
  tcb.dupAcks = 0;
  if (tcb.recover >= 0) {
    if (seqGe(ack, tcb.recover)) {
      tcb.cc.onRecoveryEnd(tcb.now, tcb.sndMss);
      tcb.loss.recoveryMs += tcb.now - tcb.recoveryStart;
      tcb.recover = -1;
    } else {
      // partial ACK: retransmit the next hole, deflate by what was acknowledged, adding back
      // SMSS only "if the partial ACK acknowledges at least one SMSS of new data" (RFC 6582 §3.2)
      retransmitFirst(tcb, 'fast');
      tcb.cwnd = Math.max(tcb.cwnd - acked + (acked >= tcb.sndMss ? tcb.sndMss : 0), tcb.sndMss);
    }
    return;
  }
  tcb.cc.onAck({ now: tcb.now, mss: tcb.sndMss, acked, rtt, srtt: tcb.rto.srtt, ack, sndNxt: tcb.sndMax });
}

/**
 * RFC 5681 §3.2: the third duplicate ACK triggers fast retransmit and fast recovery; the first
 * two let one new segment each go (RFC 3042 Limited Transmit, in output.ts's window).
 */
export function onDuplicateAck(tcb: Tcb): void {
  tcb.dupAcks++;
  if (tcb.recover >= 0) {
    tcb.cwnd += tcb.sndMss;
    return;
  }
  if (tcb.dupAcks === 3) {
    // RFC 5681 §3.2 (2): "data sent in limited transmit MUST NOT be included" in the FlightSize
    // halved — what went beyond cwnd went by Limited Transmit
    tcb.cc.onCongestion(tcb.now, Math.min(seqDiff(tcb.sndNxt, tcb.sndUna), tcb.cwnd), tcb.sndMss);
    tcb.recover = tcb.sndNxt;
    tcb.recoveryStart = tcb.now;
    tcb.loss.recoveries++;
    retransmitFirst(tcb, 'fast');
    tcb.cwnd = tcb.ssthresh + 3 * tcb.sndMss;
    tcb.armRetransmit();
  }
}
