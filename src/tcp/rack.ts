/**
 * RACK-TLP (RFC 8985), Linux's default loss detection (net.ipv4.tcp_recovery bit 1, and
 * tcp_early_retrans = 3 for the tail loss probe).
 *
 * RACK deems a segment lost by time, not by counting duplicate ACKs: once a segment sent later
 * has been delivered, an earlier one still missing after RACK.rtt plus a reordering window is
 * lost. TLP sends a probe when the tail of a flight goes unanswered for about two round trips, so
 * that the loss of the last segments is repaired by fast recovery rather than by a timeout.
 * Both are sans-IO: they read the scoreboard and say when they want to be called again.
 */
import { DUP_THRESH, type Scoreboard, type TxSegment } from './scoreboard.js';
import { seqGt } from './seq.js';

/** RFC 8985 §7.2 WCDelAckT: the worst-case delayed-ACK time a single-segment flight may wait. */
export const WC_DEL_ACK_MS = 200;
/** RFC 8985 §6.2 step 4: recoveries a widened reordering window persists for */
const REO_WND_PERSIST = 16;

/** RFC 8985 §6.2: t1/seq1 was sent after t2/seq2. */
export function sentAfter(t1: number, seq1: number, t2: number, seq2: number): boolean {
  return t1 > t2 || (t1 === t2 && seqGt(seq1, seq2));
}

export class Rack {
  /** RACK.xmit_ts / RACK.end_seq: the most recently sent segment known delivered (-1: none yet) */
  xmitTs = -1;
  endSeq = 0;
  /** RACK.rtt: the RTT of that segment */
  rtt = 0;
  minRtt = Infinity;
  /** RACK.fack: the highest sequence delivered */
  private fack = -1;
  reorderingSeen = false;
  reoWndMult = 1;
  private dsackRound = -1;
  private reoWndPersist = 0;

  /** A smoothed-RTT-independent sample from the ACK (timestamps): keeps min_RTT current. */
  rttSample(rtt: number): void {
    if (rtt >= 0) this.minRtt = Math.min(this.minRtt, rtt);
  }

  /** §6.2 steps 2 and 3 for one newly delivered (ACKed or SACKed) segment. */
  onDelivered(seg: TxSegment, now: number): void {
    const rtt = now - seg.xmit;
    // the ACK of a retransmitted segment may be for the original: a sample shorter than min_RTT is
    if (seg.retrans > 0 && rtt < this.minRtt) return;
    if (seg.retrans === 0) this.minRtt = Math.min(this.minRtt, rtt);
    if (this.xmitTs < 0 || sentAfter(seg.xmit, seg.end, this.xmitTs, this.endSeq)) {
      this.rtt = rtt;
      this.xmitTs = seg.xmit;
      this.endSeq = seg.end;
    }
    // step 3: a segment delivered below the highest delivered, and never retransmitted, arrived out of order
    if (this.fack < 0 || seqGt(seg.end, this.fack)) this.fack = seg.end;
    else if (seg.retrans === 0) this.reorderingSeen = true;
  }

  /** §6.2 step 4: a D-SACK widens the reordering window, at most once per round trip. */
  onDsack(sndUna: number, sndNxt: number): void {
    if (this.dsackRound < 0 || !seqGt(this.dsackRound, sndUna)) {
      this.reoWndMult++;
      this.dsackRound = sndNxt;
      this.reoWndPersist = REO_WND_PERSIST;
    }
  }

  /** After REO_WND_PERSIST recoveries without a D-SACK the window returns to its base. */
  onRecoveryEnd(): void {
    if (this.reoWndPersist > 0 && --this.reoWndPersist === 0) this.reoWndMult = 1;
  }

  /**
   * §6.2 step 4 RACK.reo_wnd: min_RTT/4 times the multiplier, at most SRTT; zero when no
   * reordering has been seen and the sender is in recovery or has DupThresh segments SACKed
   * (unless `staticReoWnd`, Linux's tcp_recovery bit 2; `noDupThresh`, bit 4, drops the SACK count test).
   */
  reoWnd(inRecovery: boolean, sackedSegs: number, srtt: number, staticReoWnd: boolean, noDupThresh = false): number {
    if (!this.reorderingSeen && !staticReoWnd && (inRecovery || (sackedSegs >= DUP_THRESH && !noDupThresh))) return 0;
    if (this.minRtt === Infinity) return 0;
    return Math.min((this.reoWndMult * this.minRtt) / 4, srtt > 0 ? srtt : Infinity);
  }

  /**
   * §6.2 step 5: mark lost every outstanding segment sent before RACK's segment and older than
   * RACK.rtt + reo_wnd. Returns ms until the next one would be due (the reordering timer), or 0.
   */
  detectLoss(board: Scoreboard, now: number, reoWnd: number): number {
    if (this.xmitTs < 0) return 0;
    let timeout = 0;
    for (let i = 0; i < board.length; i++) {
      const seg = board.at(i);
      if (seg.sacked || (seg.lost && !seg.rxOut)) continue;
      if (!sentAfter(this.xmitTs, this.endSeq, seg.xmit, seg.end)) continue;
      const remaining = seg.xmit + this.rtt + reoWnd - now;
      if (remaining <= 0) board.markLost(seg, 'rack');
      else timeout = Math.max(timeout, remaining);
    }
    return timeout;
  }
}

/** The tail loss probe's state (RFC 8985 §7). */
export class Tlp {
  /** TLP.end_seq: SND.NXT when the probe went; -1 when no probe is outstanding */
  endSeq = -1;
  /** TLP.is_retrans: the probe was a retransmission */
  isRetrans = false;
  /** a D-SACK since the probe said both the original and the probe arrived */
  private dsacked = false;

  /**
   * §7.2 the probe timeout: 2·SRTT, plus the worst-case delayed ACK when a single segment is in
   * flight; 1 s before any RTT sample; never later than the retransmission timeout.
   */
  static pto(srtt: number, hasSrtt: boolean, oneSegment: boolean, rto: number): number {
    let pto = hasSrtt ? 2 * srtt + (oneSegment ? WC_DEL_ACK_MS : 0) : 1000;
    return Math.min(pto, rto);
  }

  sent(sndNxt: number, isRetrans: boolean): void {
    this.endSeq = sndNxt;
    this.isRetrans = isRetrans;
    this.dsacked = false;
  }

  onDsack(): void {
    if (this.endSeq >= 0) this.dsacked = true;
  }

  /**
   * §7.4 on an ACK: true when the episode ends with the probe having repaired a loss (the ACK
   * covers the probe and no D-SACK said the original arrived too) — the sender then reduces its
   * window as for any loss.
   */
  onAck(ack: number): boolean {
    if (this.endSeq < 0 || seqGt(this.endSeq, ack)) return false;
    const repaired = this.isRetrans && !this.dsacked;
    this.endSeq = -1;
    return repaired;
  }

  get outstanding(): boolean {
    return this.endSeq >= 0;
  }
}
