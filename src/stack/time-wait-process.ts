/**
 * Segments that arrive for a 4-tuple in the TIME_WAIT table, as Linux's
 * tcp_timewait_state_process handles them:
 *  - RST: ignored (RFC 1337, tcp_rfc1337 = 1) or ends TIME_WAIT (tcp_rfc1337 = 0);
 *  - the peer's FIN again (our last ACK was lost): ACK it again and restart 2MSL;
 *  - a new SYN whose sequence number (or timestamp) lies beyond the old connection's
 *    (RFC 6191): end TIME_WAIT early and let the listener take it, the new ISN continuing
 *    past the old SND.NXT; any other SYN is answered with an ACK;
 *  - anything else out of window: an ACK (RFC 9293 §3.10.7.4, first step).
 */
import { TIME_WAIT_MS } from '../tcp/tcb.js';
import { seqAdd, seqGt } from '../tcp/seq.js';
import { ACK, FIN, RST, SYN, type Segment, type TcpOptions } from '../wire/segment.js';
import type { IpAddr } from './ip-addr.js';
import type { Stack } from './stack.js';

const EMPTY = new Uint8Array(0);

export type TimeWaitVerdict = { done: true } | { done: false; issHint: number };

const DONE: TimeWaitVerdict = { done: true };

export function timeWaitSegment(stack: Stack, slot: number, local: IpAddr, remote: IpAddr, seg: Segment, now: number): TimeWaitVerdict {
  const tw = stack.timeWait;
  const rcvNxt = tw.rcvNxt(slot);
  const f = seg.flags;
  if (f & RST) {
    if (!stack.sysctl.tcp_rfc1337) stack.endTimeWait(slot);
    return DONE;
  }
  if ((f & (SYN | ACK)) === SYN) {
    const ts = seg.options.tsVal;
    const newer = tw.tsOk(slot) && ts !== undefined ? seqGt(ts, tw.tsRecent(slot)) : seqGt(seg.seq, rcvNxt);
    if (newer) {
      const issHint = seqAdd(tw.sndNxt(slot), 65535 + 2);
      stack.counters.timeWaitRecycled++;
      stack.endTimeWait(slot);
      return { done: false, issHint };
    }
    ackFromTimeWait(stack, slot, local, remote, now);
    return DONE;
  }
  const len = seg.payload.length + (f & FIN ? 1 : 0);
  if (f & FIN && seqAdd(seg.seq, len) === rcvNxt) {
    // the peer did not hear our last ACK and sent its FIN again
    tw.restart(slot, now + TIME_WAIT_MS);
    ackFromTimeWait(stack, slot, local, remote, now);
    return DONE;
  }
  if (len === 0 && seg.seq === rcvNxt) return DONE; // a duplicate of an ACK: nothing to say
  ackFromTimeWait(stack, slot, local, remote, now);
  return DONE;
}

/** <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> from the compact record. */
function ackFromTimeWait(stack: Stack, slot: number, local: IpAddr, remote: IpAddr, now: number): void {
  const tw = stack.timeWait;
  const options: TcpOptions = {};
  if (tw.tsOk(slot)) {
    options.tsVal = (Math.floor(now) + tw.tsOffset(slot)) >>> 0;
    options.tsEcr = tw.tsRecent(slot);
  }
  stack.sendRaw(local, remote, {
    srcPort: tw.localPort(slot),
    dstPort: tw.remotePort(slot),
    seq: tw.sndNxt(slot),
    ack: tw.rcvNxt(slot),
    flags: ACK,
    window: tw.window(slot),
    urgent: 0,
    options,
    payload: EMPTY,
  });
}
