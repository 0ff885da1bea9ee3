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
