/**
 * RFC 9293 §3.10.7.1, SEGMENT ARRIVES in the CLOSED state (no connection exists): everything is
 * discarded, and anything but a RST is answered with a RST that the sender will accept.
 */
import { ACK, FIN, RST, SYN, type Segment } from '../wire/segment.js';

const EMPTY = new Uint8Array(0);

/** The reset to send for `seg`, or null (an incoming RST is never answered). */
export function resetForClosed(seg: Segment): Segment | null {
  if (seg.flags & RST) return null;
  const base = { srcPort: seg.dstPort, dstPort: seg.srcPort, window: 0, urgent: 0, options: {}, payload: EMPTY };
  if (seg.flags & ACK) {
    // <SEQ=SEG.ACK><CTL=RST>
    return { ...base, seq: seg.ack, ack: 0, flags: RST };
  }
  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
  const len = seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
  return { ...base, seq: 0, ack: (seg.seq + len) >>> 0, flags: RST | ACK };
}

/**
 * The stack's budget of RSTs for segments to connections that do not exist, a token bucket of
 * `tcp_rst_msgs_per_sec` refilled continuously up to `tcp_rst_msgs_burst` (the shape of Linux's
 * host-wide ICMP limiter, icmp_global_allow). Linux itself sends every such RST; this bound keeps
 * a flood of stray segments from turning the stack into a reflector at the flood's own rate.
 */
export class ResetLimiter {
  private tokens = -1;
  private last = 0;

  /** Whether one more RST may go at `now` (ms); 0 per second means no limit. */
  allow(now: number, perSec: number, burst: number): boolean {
    if (perSec === 0) return true;
    if (this.tokens < 0) {
      this.tokens = burst;
      this.last = now;
    }
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(burst, this.tokens + (elapsed * perSec) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
