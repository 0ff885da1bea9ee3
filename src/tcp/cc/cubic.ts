/**
 * CUBIC (RFC 9438), Linux's default: after a loss the window follows
 *   W_cubic(t) = C·(t − K)³ + W_max,   K = ∛((W_max − cwnd_epoch) / C)
 * in segments and seconds since the congestion-avoidance epoch began: concave up to W_max (the
 * window where the last loss happened), convex beyond it; never slower than the Reno-friendly
 * estimate W_est, which grows by α_cubic = 3(1 − β)/(1 + β) segments per RTT. β = 0.7, C = 0.4,
 * with fast convergence (§4.7). Slow start uses HyStart++ (RFC 9406) until the first loss.
 */
import { HyStartPlusPlus } from './hystart.js';
import { type AckSample, type CongestionControl, restartWindow, slowStartIncrease } from './types.js';

export const CUBIC_C = 0.4;
export const CUBIC_BETA = 0.7;
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/** RFC 9438 §4.2 Figure 2: K in seconds, windows in segments. */
export function cubicK(wMax: number, cwndEpoch: number): number {
  return Math.cbrt(Math.max(0, wMax - cwndEpoch) / CUBIC_C);
}

/** RFC 9438 §4.2 Figure 1: W_cubic(t) in segments, t in seconds since the epoch began. */
export function cubicWindow(t: number, k: number, wMax: number): number {
  return CUBIC_C * (t - k) ** 3 + wMax;
}

/**
 * CUBIC's epoch state: until the first ACK in congestion avoidance or the first congestion event
 * every field holds its initial value, so a connection that never left slow start (an idle one, a
 * short exchange) carries none of it; Cubic reads "not made yet" as those values.
 */
class CubicEpoch {
  wMax = 0;
  cwndPrior = 0;
  k = 0;
  epochStart = -1;
  wEst = 0;
  afterRto = false;
  carry = 0;
}

export class Cubic implements CongestionControl {
  /** on the prototype, not in every instance */
  get name(): 'cubic' {
    return 'cubic';
  }
  cwnd = 0;
  ssthresh = 0x7fffffff;
  /** HyStart++'s state, made at the first ACK in slow start (or the first loss, which ends it) */
  private hystart_: HyStartPlusPlus | null = null;
  get hystart(): HyStartPlusPlus {
    return (this.hystart_ ??= new HyStartPlusPlus());
  }
  /** the epoch's state below, made at the first congestion-avoidance ACK or congestion event */
  private e: CubicEpoch | null = null;
  /** segments: the window at the last congestion event, after fast convergence (§4.7) */
  get wMax(): number {
    return this.e === null ? 0 : this.e.wMax;
  }
  set wMax(v: number) {
    (this.e ??= new CubicEpoch()).wMax = v;
  }
  /** segments: cwnd just before the last reduction (§4.6 cwnd_prior) */
  get cwndPrior(): number {
    return this.e === null ? 0 : this.e.cwndPrior;
  }
  set cwndPrior(v: number) {
    (this.e ??= new CubicEpoch()).cwndPrior = v;
  }
  /** seconds */
  get k(): number {
    return this.e === null ? 0 : this.e.k;
  }
  set k(v: number) {
    (this.e ??= new CubicEpoch()).k = v;
  }
  /** ms: when the current congestion-avoidance epoch began, -1 = at the next ACK */
  get epochStart(): number {
    return this.e === null ? -1 : this.e.epochStart;
  }
  set epochStart(v: number) {
    (this.e ??= new CubicEpoch()).epochStart = v;
  }
  /** segments: the Reno-friendly estimate (§4.3) */
  get wEst(): number {
    return this.e === null ? 0 : this.e.wEst;
  }
  set wEst(v: number) {
    (this.e ??= new CubicEpoch()).wEst = v;
  }
  /** the epoch follows a timeout: K = 0 and W_max = the window it starts with (§4.8) */
  private get afterRto(): boolean {
    return this.e === null ? false : this.e.afterRto;
  }
  private set afterRto(v: boolean) {
    (this.e ??= new CubicEpoch()).afterRto = v;
  }
  /** growth owed below one byte, carried to the next ACK */
  private get carry(): number {
    return this.e === null ? 0 : this.e.carry;
  }
  private set carry(v: number) {
    (this.e ??= new CubicEpoch()).carry = v;
  }

  onAck(s: AckSample): void {
    const mss = s.mss;
    if (this.cwnd < this.ssthresh) {
      const divisor = this.hystart.onAck(s.ack, s.sndNxt, s.rtt);
      if (divisor === 0) {
        this.ssthresh = this.cwnd; // HyStart++: slow start ends here
      } else {
        this.cwnd += Math.floor(slowStartIncrease(s.acked, mss) / divisor);
        return;
      }
    }
    const cwndSegs = this.cwnd / mss;
    if (this.epochStart < 0) {
      this.epochStart = s.now;
      if (this.afterRto || this.wMax <= cwndSegs) {
        // §4.8 after a timeout, and whenever the window is already at or past W_max: the curve
        // starts at the current window
        this.k = 0;
        this.wMax = cwndSegs;
      } else {
        this.k = cubicK(this.wMax, cwndSegs);
      }
      this.afterRto = false;
      this.wEst = cwndSegs;
    }
    const t = (s.now - this.epochStart) / 1000;
    const segsAcked = s.acked / mss;
    // §4.3: W_est grows α_cubic per RTT, and 1 per RTT once it has reached cwnd_prior
    const alpha = this.wEst >= this.cwndPrior ? 1 : CUBIC_ALPHA;
    this.wEst += (alpha * segsAcked) / cwndSegs;
    const wCubic = cubicWindow(t, this.k, this.wMax);
    let next: number;
    if (wCubic < this.wEst) {
      // Reno-friendly region
      next = this.wEst;
    } else {
      // concave (§4.4) and convex (§4.5) regions: aim at W_cubic one RTT ahead, within [cwnd, 1.5·cwnd]
      const rtt = (s.srtt > 0 ? s.srtt : Math.max(0, s.rtt)) / 1000;
      const target = Math.min(Math.max(cubicWindow(t + rtt, this.k, this.wMax), cwndSegs), 1.5 * cwndSegs);
      next = cwndSegs + ((target - cwndSegs) / cwndSegs) * segsAcked;
    }
    const grow = Math.max(0, next * mss - this.cwnd) + this.carry;
    const whole = Math.floor(grow);
    this.carry = grow - whole;
    this.cwnd += whole;
  }

  onCongestion(_now: number, flightSize: number, mss: number): void {
    this.reduce(flightSize, mss);
  }

  private reduce(flightSize: number, mss: number): void {
    const cwndSegs = this.cwnd / mss;
    // §4.7 fast convergence: a loss below the previous W_max releases bandwidth to newer flows
    this.wMax = cwndSegs < this.wMax ? (cwndSegs * (1 + CUBIC_BETA)) / 2 : cwndSegs;
    this.cwndPrior = cwndSegs;
    // §4.6: ssthresh = flight_size · β_cubic, at least 2 segments
    this.ssthresh = Math.max(Math.floor(flightSize * CUBIC_BETA), 2 * mss);
    this.epochStart = -1;
    this.carry = 0;
    this.hystart.stop();
  }

  onRecoveryEnd(_now: number, mss: number): void {
    this.cwnd = Math.max(this.ssthresh, mss);
  }

  onRto(_now: number, flightSize: number, mss: number, first: boolean): void {
    // §4.8: reduce as Reno does (cwnd = 1 segment) with ssthresh set by β_cubic
    if (first) this.reduce(flightSize, mss);
    this.hystart.stop();
    this.cwnd = mss;
    this.epochStart = -1;
    this.afterRto = true;
  }

  onIdleRestart(now: number, idleMs: number, rto: number, mss: number): void {
    restartWindow(this, idleMs, rto, mss);
    // as Linux's bictcp_cwnd_event(CA_EVENT_TX_START): the idle time does not count toward t
    if (this.epochStart >= 0) this.epochStart = Math.min(now, this.epochStart + idleMs);
  }
}
