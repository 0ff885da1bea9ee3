/**
 * HyStart++ (RFC 9406): leave slow start before it overshoots, when the round trip time starts to
 * rise. Rounds are counted by sequence number: a round ends when an ACK covers what was the
 * highest sequence sent when it began. In each round the minimum of the first N_RTT_SAMPLE RTT
 * samples is compared with the previous round's; a rise of more than RttThresh enters
 * Conservative Slow Start (CSS: the window grows a quarter as fast), and CSS_ROUNDS rounds of CSS
 * end slow start (ssthresh = cwnd). An RTT that falls back below the baseline during CSS returns
 * to slow start: the rise was spurious.
 */
import { seqGe } from '../seq.js';

/** RFC 9406 §4.3 constants (ms where a time). */
export const MIN_RTT_THRESH = 4;
export const MAX_RTT_THRESH = 16;
export const MIN_RTT_DIVISOR = 8;
export const N_RTT_SAMPLE = 8;
export const CSS_GROWTH_DIVISOR = 4;
export const CSS_ROUNDS = 5;

export type HyStartPhase = 'slow-start' | 'css' | 'done';

export class HyStartPlusPlus {
  phase: HyStartPhase = 'slow-start';
  private windowEnd = 0;
  private started = false;
  lastRoundMinRtt = Infinity;
  currentRoundMinRtt = Infinity;
  private rttSampleCount = 0;
  cssBaselineMinRtt = Infinity;
  private cssRounds = 0;

  /**
   * One ACK in slow start. Returns the divisor of this ACK's slow-start increase (1 in slow start,
   * CSS_GROWTH_DIVISOR in CSS), or 0 when slow start is over and the caller sets ssthresh = cwnd.
   */
  onAck(ack: number, sndNxt: number, rtt: number): number {
    if (this.phase === 'done') return 1; // standard slow start from here on
    if (!this.started || seqGe(ack, this.windowEnd)) {
      // a new round begins
      this.started = true;
      this.windowEnd = sndNxt;
      this.lastRoundMinRtt = this.currentRoundMinRtt;
      this.currentRoundMinRtt = Infinity;
      this.rttSampleCount = 0;
      if (this.phase === 'css' && ++this.cssRounds >= CSS_ROUNDS) {
        this.phase = 'done';
        return 0;
      }
    }
    if (rtt >= 0) {
      this.currentRoundMinRtt = Math.min(this.currentRoundMinRtt, rtt);
      this.rttSampleCount++;
    }
    const enough = this.rttSampleCount >= N_RTT_SAMPLE;
    if (this.phase === 'slow-start') {
      if (enough && this.currentRoundMinRtt !== Infinity && this.lastRoundMinRtt !== Infinity) {
        const thresh = Math.max(MIN_RTT_THRESH, Math.min(this.lastRoundMinRtt / MIN_RTT_DIVISOR, MAX_RTT_THRESH));
        if (this.currentRoundMinRtt >= this.lastRoundMinRtt + thresh) {
          this.cssBaselineMinRtt = this.currentRoundMinRtt;
          this.phase = 'css';
          this.cssRounds = 0;
        }
      }
    } else if (enough && this.currentRoundMinRtt < this.cssBaselineMinRtt) {
      // §4.2: the RTT increase was spurious: back to slow start
      this.cssBaselineMinRtt = Infinity;
      this.phase = 'slow-start';
    }
    return this.phase === 'css' ? CSS_GROWTH_DIVISOR : 1;
  }

  /** A loss or timeout ends slow start; HyStart++ applies to the initial slow start only. */
  stop(): void {
    this.phase = 'done';
  }
}
