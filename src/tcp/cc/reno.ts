/**
 * NewReno's window (RFC 5681 §3.1, RFC 6582): slow start and congestion avoidance with appropriate
 * byte counting (RFC 3465, L = 2), ssthresh = max(FlightSize / 2, 2·SMSS) on loss. The NewReno
 * recovery itself (partial ACKs, one hole per round trip) is the sender's, in input.ts; this is the
 * window it runs with.
 */
import { type AckSample, type CongestionControl, restartWindow, slowStartIncrease } from './types.js';

export class Reno implements CongestionControl {
  /** on the prototype, not in every instance */
  get name(): 'reno' {
    return 'reno';
  }
  cwnd = 0;
  ssthresh = 0x7fffffff;
  /** RFC 3465 §2.1: bytes acknowledged since cwnd last grew in congestion avoidance */
  private bytesAcked = 0;

  onAck(s: AckSample): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd += slowStartIncrease(s.acked, s.mss);
      return;
    }
    // one SMSS per cwnd of bytes acknowledged: an RTT's worth of ACKs, however many there are
    this.bytesAcked += s.acked;
    if (this.bytesAcked >= this.cwnd) {
      this.bytesAcked -= this.cwnd;
      this.cwnd += s.mss;
    }
  }

  onCongestion(_now: number, flightSize: number, mss: number): void {
    // RFC 5681 §3.2 (2): ssthresh = max(FlightSize / 2, 2·SMSS)
    this.ssthresh = Math.max(flightSize >> 1, 2 * mss);
    this.bytesAcked = 0;
  }

  onRecoveryEnd(_now: number, mss: number): void {
    this.cwnd = Math.max(this.ssthresh, mss);
  }

  onRto(_now: number, flightSize: number, mss: number, first: boolean): void {
    // RFC 5681 §3.1 (4): ssthresh from the first timeout only ("held constant" on later ones)
    if (first) this.ssthresh = Math.max(flightSize >> 1, 2 * mss);
    this.cwnd = mss;
    this.bytesAcked = 0;
  }

  onIdleRestart(_now: number, idleMs: number, rto: number, mss: number): void {
    restartWindow(this, idleMs, rto, mss);
  }
}
