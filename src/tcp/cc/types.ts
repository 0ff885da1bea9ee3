/**
 * The congestion-control interface: the one place the send path asks "how much may be in flight".
 * Sans-IO like the rest of tcp/: every call is given `now` (ms) and the sender's MSS; windows are
 * in bytes. Loss detection (RFC 6675 scoreboard, RACK-TLP) and the sending during recovery (PRR,
 * RFC 6937) live outside; an algorithm only grows the window on ACKs, sets ssthresh when a loss
 * is detected or the retransmission timer fires, and restores the window when recovery ends.
 */

/** Algorithms offered, by Linux's names (net.ipv4.tcp_congestion_control, TCP_CONGESTION). */
export const CC_NAMES = ['cubic', 'reno'] as const;
export type CcName = (typeof CC_NAMES)[number];

/** What one ACK of new data tells the algorithm outside loss recovery. */
export interface AckSample {
  now: number;
  mss: number;
  /** bytes newly acknowledged (cumulatively) */
  acked: number;
  /** this ACK's RTT sample in ms, or -1 when it gave none */
  rtt: number;
  /** smoothed RTT in ms (0 before the first sample) */
  srtt: number;
  /** SEG.ACK and SND.NXT (SND.MAX): the round-trip boundaries HyStart++ counts rounds by */
  ack: number;
  sndNxt: number;
}

export interface CongestionControl {
  readonly name: CcName;
  /** congestion window in bytes */
  cwnd: number;
  /** slow-start threshold in bytes */
  ssthresh: number;
  /** New data acknowledged outside recovery: slow start or congestion avoidance. */
  onAck(s: AckSample): void;
  /**
   * A loss was detected (fast retransmit, RACK, a loss a tail probe repaired): the multiplicative
   * decrease sets ssthresh. The window then follows PRR until `onRecoveryEnd`.
   */
  onCongestion(now: number, flightSize: number, mss: number): void;
  /** Recovery is complete (RFC 6675 §5 / RFC 6937: cwnd = ssthresh). */
  onRecoveryEnd(now: number, mss: number): void;
  /** The retransmission timer fired: ssthresh on the first timeout of a loss, cwnd = 1 MSS (RFC 5681 §3.1). */
  onRto(now: number, flightSize: number, mss: number, first: boolean): void;
  /** Sending resumes after `idleMs` without anything in flight (tcp_slow_start_after_idle, RFC 5681 §4.1). */
  onIdleRestart(now: number, idleMs: number, rto: number, mss: number): void;
}

/** RFC 6928 initial window: min(10·MSS, max(2·MSS, 14600)). */
export function initialWindow(mss: number): number {
  return Math.min(10 * mss, Math.max(2 * mss, 14600));
}

/** RFC 3465 §2.2 appropriate byte counting in slow start: at most L·SMSS per ACK, L = 2. */
export const ABC_L = 2;

export function slowStartIncrease(acked: number, mss: number): number {
  return Math.min(acked, ABC_L * mss);
}

/**
 * Restart after idle, as Linux's tcp_cwnd_restart (RFC 5681 §4.1 says cwnd = min(IW, cwnd) after an
 * RTO of silence; Linux halves the window once per RTO idle, down to that restart window, and
 * first remembers three quarters of it in ssthresh so slow start climbs back quickly).
 */
export function restartWindow(cc: CongestionControl, idleMs: number, rto: number, mss: number): void {
  const restart = Math.min(initialWindow(mss), cc.cwnd);
  cc.ssthresh = Math.max(cc.ssthresh, (cc.cwnd >> 1) + (cc.cwnd >> 2));
  let cwnd = cc.cwnd;
  for (let left = idleMs - rto; left > 0 && cwnd > restart; left -= rto) cwnd >>= 1;
  cc.cwnd = Math.max(cwnd, restart);
}
