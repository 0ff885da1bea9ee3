/**
 * Segments that arrive for a 4-tuple in the TIME_WAIT table, as Linux's
 * tcp_timewait_state_process handles them:
 *  - RST: ignored (RFC 1337, tcp_rfc1337 = 1) or, when in window (SEG.SEQ = RCV.NXT, not
 *    PAWS-rejected), ends TIME_WAIT (tcp_rfc1337 = 0); an out-of-window RST is always ignored;
 *  - the peer's FIN again (our last ACK was lost): ACK it again and restart 2MSL;
 *  - a new SYN that PAWS does not reject and whose sequence number or timestamp lies beyond the
 *    old connection's (RFC 6191): end TIME_WAIT early and let the listener take it, the new ISN
 *    continuing past the old SND.NXT; any other SYN, or one with no listener to take it (Linux
 *    tcp_v4_rcv: TCP_TW_SYN falls through to the ACK), is answered with an ACK;
 *  - anything else out of window: an ACK (RFC 9293 §3.10.7.4, first step).
 */
import type { TransitionCause } from '../observe/events.js';
import { TIME_WAIT_MS, type TcbCause } from '../tcp/tcb.js';
import { seqAdd, seqDiff, seqGt, seqLt } from '../tcp/seq.js';
import { ACK, FIN, RST, SYN, type Segment, type TcpOptions } from '../wire/segment.js';
import { NOTIFY_CLOSED, type Conn } from './conn.js';
import { ipV4, type IpAddr } from './ip-addr.js';
import type { TimeWaitInit } from './time-wait.js';
import { FOREIGN_BASE } from './time-wait-foreign.js';
import type { Stack } from './stack.js';
import { wantsTransitions } from './publish.js';
import type { ListenerTable } from './listener.js';

const EMPTY = new Uint8Array(0);

export type TimeWaitVerdict = { done: true } | { done: false; issHint: number | undefined };

const DONE: TimeWaitVerdict = { done: true };
const TW_OVERFLOW: TransitionCause = { kind: 'stack', reason: 'tcp_max_tw_buckets overflow' };

const NO_RECORD: TimeWaitVerdict = { done: false, issHint: undefined };

/**
 * A segment no connection took: the TIME_WAIT record of its 4-tuple answers it, if there is one.
 * A new SYN takes the 4-tuple over when someone would take it: a listener on our own address, or
 * for a foreign one the forwarder (RFC 6191; Linux tcp_timewait_state_process).
 */
export function timeWaitInput(stack: Stack, listeners: ListenerTable, own: boolean, local: IpAddr, remote: IpAddr, seg: Segment, src4: number, src6: Uint8Array | null, now: number): TimeWaitVerdict {
  const index = own ? stack.addresses.indexOf(local) : stack.twForeign.find(local);
  const slot = index < 0 ? -1 : stack.timeWait.lookup(index, seg.dstPort, src4, src6, seg.srcPort);
  if (slot < 0) return NO_RECORD;
  const taker = own ? listeners.find(local, seg.dstPort) !== null : stack.fwd.tcp !== null;
  return timeWaitSegment(stack, slot, local, remote, seg, now, taker);
}

/** A TIME_WAIT record's local address: one of ours, or a forwarded connection's foreign one. */
export function timeWaitLocal(stack: Stack, slot: number): IpAddr {
  const i = stack.timeWait.localIndex(slot);
  return i >= FOREIGN_BASE ? stack.twForeign.address(i) : stack.addresses[i]!;
}

/** `listening`: a listener would take a new SYN for this 4-tuple. */
export function timeWaitSegment(
  stack: Stack,
  slot: number,
  local: IpAddr,
  remote: IpAddr,
  seg: Segment,
  now: number,
  listening: boolean,
): TimeWaitVerdict {
  const tw = stack.timeWait;
  const rcvNxt = tw.rcvNxt(slot);
  const f = seg.flags;
  // PAWS (RFC 7323 §5): a timestamp older than the last one seen marks an old duplicate
  const ts = tw.tsOk(slot) ? seg.options.tsVal : undefined;
  const pawsReject = ts !== undefined && seqLt(ts, tw.tsRecent(slot));
  if (f & RST) {
    if (!stack.sysctl.tcp_rfc1337 && !pawsReject && seg.seq === rcvNxt) stack.endTimeWait(slot, seg);
    return DONE;
  }
  if ((f & (SYN | ACK)) === SYN) {
    // Linux: newer by sequence number, or by timestamp (which also covers an equal TSval with a
    // higher sequence number, RFC 6191 §2)
    const newer = !pawsReject && (seqGt(seg.seq, rcvNxt) || (ts !== undefined && seqGt(ts, tw.tsRecent(slot))));
    if (newer && listening) {
      const issHint = seqAdd(tw.sndNxt(slot), 65535 + 2);
      stack.counters.timeWaitRecycled++;
      stack.endTimeWait(slot, seg);
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

/**
 * The compact record a connection leaves behind in TIME_WAIT, written into `into` (by default one
 * record for every hand-over: the table copies what it keeps, so none is made per connection).
 */
export function timeWaitRecord(c: Conn, localIdx: number, into: TimeWaitInit = { ...RECORD }): TimeWaitInit {
  const t = c.tcb;
  into.localIdx = localIdx;
  into.local = c.local;
  into.localPort = c.localPort;
  into.remote = c.remote;
  into.remotePort = c.remotePort;
  into.sndNxt = t.sndNxt;
  into.rcvNxt = t.rcvNxt;
  into.tsOk = t.tsOk;
  into.tsRecent = t.tsRecent;
  into.tsRecentAge = t.tsRecentAge;
  into.tsOffset = t.tsOffset;
  into.window = Math.min(0xffff, Math.max(0, seqDiff(t.rcvAdvEdge, t.rcvNxt)) >> t.rcvWscale);
  return into;
}

/** settleTimeWait's record, refilled for each connection it hands over (TimeWaitTable.insert keeps none of it) */
const RECORD: TimeWaitInit = {
  localIdx: 0,
  local: ipV4(0),
  localPort: 0,
  remote: ipV4(0),
  remotePort: 0,
  sndNxt: 0,
  rcvNxt: 0,
  tsOk: false,
  tsRecent: 0,
  tsRecentAge: 0,
  tsOffset: 0,
  window: 0,
};

/**
 * Move connections that reached TIME_WAIT into the compact table (Linux's timewait sock). One whose
 * application still has unread data keeps its full TCB, which runs TIME_WAIT itself. Past
 * tcp_max_tw_buckets a connection skips TIME_WAIT ("TCP: time wait bucket table overflow").
 */
export function settleTimeWait(stack: Stack, pending: Conn[]): void {
  // by index, and emptied at the end: the array is the stack's, kept from call to call
  for (let i = 0; i < pending.length; i++) {
    const c = pending[i]!;
    const t = c.tcb;
    if (c.gone || t.state !== 'TIME_WAIT' || t.readable > 0) continue;
    stack.forget(c);
    stack.queueNotify(c, NOTIFY_CLOSED);
    if (stack.timeWait.size >= stack.sysctl.tcp_max_tw_buckets) {
      stack.counters.timeWaitOverflow++;
      stack.emitTransition(t.now, c.local.text, c.localPort, c.remote.text, c.remotePort, 'TIME_WAIT', 'CLOSED', TW_OVERFLOW);
      continue;
    }
    // a forwarded connection's foreign local address (forwarder.ts) is named by an index of its own
    const own = stack.addresses.indexOf(c.local);
    const localIndex = own >= 0 ? own : stack.twForeign.acquire(c.local);
    stack.timeWait.insert(timeWaitRecord(c, localIndex, RECORD), t.tTimeWait);
  }
  pending.length = 0;
}

/**
 * A record is about to leave the table (expiry, or a 4-tuple taken over): its TIME_WAIT → CLOSED
 * transition is told, and a foreign local address it used is counted out (time-wait-foreign.ts).
 */
export function retireTimeWait(stack: Stack, slot: number, now: number, cause: TcbCause = 'timewait'): void {
  const i = stack.timeWait.localIndex(slot);
  emitTimeWaitClosed(stack, slot, now, cause);
  if (i >= FOREIGN_BASE) stack.twForeign.release(i);
}

function emitTimeWaitClosed(stack: Stack, slot: number, now: number, cause: TcbCause): void {
  if (!wantsTransitions(stack)) return; // nobody listens: no addresses formatted
  const tw = stack.timeWait;
  const local = timeWaitLocal(stack, slot);
  const r = tw.remote(slot);
  const remote = typeof r === 'number' ? ipV4(r).text : r.text;
  stack.emitTransition(now, local.text, tw.localPort(slot), remote, tw.remotePort(slot), 'TIME_WAIT', 'CLOSED', cause);
}
