/**
 * Retransmission timeout estimator, RFC 6298 §2 (K = 4, alpha = 1/8, beta = 1/4),
 * with Linux's bounds as defaults (min 200 ms, max 120 s) and RFC 6298 §5.5 backoff.
 */
export class RtoEstimator {
  srtt = 0;
  rttvar = 0;
  /** the un-backed-off RTO */
  private base: number;
  /** number of consecutive backoffs applied (RFC 6298 §5.5) */
  backoff = 0;
  hasSample = false;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    initialMs: number,
  ) {
    this.base = initialMs;
  }

  /** The computed RTO bounded to [min, max] (§2.4, §2.5); backoff then doubles that value (§5.5). */
  private get bounded(): number {
    return Math.min(this.maxMs, Math.max(this.minMs, this.base));
  }

  /** Current timeout including backoff, never above max. */
  get rto(): number {
    return Math.min(this.maxMs, this.bounded * 2 ** this.backoff);
  }

  /** Feed one RTT measurement R (ms) taken per Karn's rule (§3: never from a retransmitted segment). */
  sample(r: number): void {
    if (!this.hasSample) {
      // §2.2 first measurement
      this.srtt = r;
      this.rttvar = r / 2;
      this.hasSample = true;
    } else {
      // §2.3 subsequent measurements: RTTVAR first, with the old SRTT
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    // clock granularity G = 1 ms
    this.base = this.srtt + Math.max(1, 4 * this.rttvar);
    this.backoff = 0;
  }

  /** §5.5: double the timer on expiry. */
  backOff(): void {
    if (this.bounded * 2 ** this.backoff < this.maxMs) this.backoff++;
  }

  /**
   * A new ACK of new data ends the backoff (as 4.4BSD does). RFC 6298 §5 keeps the backed-off value
   * until a new RTT sample collapses it; the two differ only for an ACK that yields no sample.
   */
  resetBackoff(): void {
    this.backoff = 0;
  }
}
