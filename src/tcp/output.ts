/**
 * The send path: building segments (window, options), deciding what data may go now
 * (Nagle, sender silly-window avoidance, the congestion and receive windows), and the timers that
 * send on expiry: retransmission (RFC 6298), zero-window persist (RFC 9293 §3.8.6.1), keepalive
 * (RFC 1122 §4.2.3.6) and delayed ACK (RFC 1122 §4.2.3.2).
 */
import { ACK, FIN, PSH, RST, SYN, type Segment, type TcpOptions } from '../wire/segment.js';
import type { RetransmitKind } from './loss-counters.js';
import { armLossTimer, inFastRecovery, onProbeTimer, onReorderTimer, onSackTimeout, sackSendBudget, sendLost } from './recovery.js';
import { seqAdd, seqDiff, seqGt, seqLt, seqMax } from './seq.js';
import { DELACK_MS, type Tcb } from './tcb.js';
import { challengeAllowed, mayBeRetransmission, oowRateLimited } from './ack-throttle.js';

const EMPTY = new Uint8Array(0);
const TS_OPTION_BYTES = 12;

// ===================== building and emitting segments =====================

/**
 * What could be offered now: the free receive buffer, but no more than the offer has grown to
 * (rcvSsthresh), rounded up to the window field's `unit` as Linux's __tcp_select_window aligns it
 * (a SYN's 65535 becomes 512 << 7 after it).
 */
function offerable(tcb: Tcb, unit: number): number {
  const grown = Math.ceil(tcb.rcvSsthresh / unit) * unit;
  return Math.min(grown, Math.max(0, tcb.rcvBuf - tcb.readQueue.length - tcb.reassemblyBytes));
}

/** The window we advertise, applying receiver SWS avoidance and never moving the right edge left. */
function advertisedWindow(tcb: Tcb, syn: boolean): number {
  // 2^shift as an integer (the shift is at most 14, RFC 7323 §2.3), without a call to Math.pow
  const unit = 1 << tcb.rcvWscale;
  const free = offerable(tcb, syn ? 1 : unit);
  const current = Math.max(0, seqDiff(tcb.rcvAdvEdge, tcb.rcvNxt));
  // RFC 1122 §4.2.3.3: open the window only by at least min(RCV.BUFF/2, MSS)
  const step = Math.min(tcb.rcvBuf >> 1, tcb.advMss);
  const wanted = free >= current + step ? free : current;
  if (syn) {
    const w = Math.min(0xffff, wanted);
    // a SYN's window is never scaled (RFC 7323 §2.2): a resent SYN-ACK cannot repeat a larger offer
    // a scaled ACK already made, and that offer stands (the right edge never moves left)
    if (seqDiff(seqAdd(tcb.rcvNxt, w), tcb.rcvAdvEdge) > 0) tcb.rcvAdvEdge = seqAdd(tcb.rcvNxt, w);
    return w;
  }
  // round the unshrinkable part up, the new offer down
  const field = Math.min(0xffff, Math.max(Math.ceil(current / unit), Math.floor(wanted / unit)));
  tcb.rcvAdvEdge = seqAdd(tcb.rcvNxt, field * unit);
  return field;
}

/**
 * The one Segment (and options object) every TCB's output is built in: a segment handed to
 * `hooks.send` is valid during that call only (TcbHooks), and the stack encodes it at once, so the
 * send path allocates nothing per segment. Nothing else in the process holds it.
 */
const out: Segment = { srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, urgent: 0, options: {}, payload: EMPTY };
const outOptions: TcpOptions = { mss: undefined, wscale: undefined, sackPermitted: undefined, sack: undefined, tsVal: undefined, tsEcr: undefined };
const NO_OPTIONS: TcpOptions = Object.freeze({});

function optionsFor(tcb: Tcb, flags: number): TcpOptions {
  const opts = outOptions;
  opts.mss = undefined;
  opts.wscale = undefined;
  opts.sackPermitted = undefined;
  opts.sack = undefined;
  opts.tsVal = undefined;
  opts.tsEcr = undefined;
  if (flags & SYN) {
    opts.mss = tcb.advMss;
    const synAck = (flags & ACK) !== 0;
    // on a SYN-ACK, offer only what the peer's SYN offered (RFC 7323 §2.2, §3.2; RFC 2018 §2)
    if (tcb.sysctl.tcp_sack && (!synAck || tcb.sackOk)) opts.sackPermitted = true;
    if (tcb.sysctl.tcp_timestamps && (!synAck || tcb.tsOk)) {
      opts.tsVal = tcb.tsNow();
      opts.tsEcr = synAck ? tcb.tsRecent : 0;
    }
    if (tcb.wantWscale >= 0) opts.wscale = tcb.wantWscale;
    return opts;
  }
  if (tcb.tsOk) {
    opts.tsVal = tcb.tsNow();
    opts.tsEcr = tcb.tsRecent;
  }
  if (tcb.sackOk && flags & ACK && (!tcb.reassemblyEmpty || tcb.dsack !== null)) {
    const max = tcb.tsOk ? 3 : 4;
    // RFC 2883 §4: a D-SACK block goes first, once
    const dsack = tcb.dsack ?? [];
    tcb.dsack = null;
    opts.sack = tcb.reassemblyEmpty ? dsack : [...dsack, ...tcb.reassembly.sackBlocks(max - dsack.length / 2)];
  }
  return opts;
}

/** Build and hand one segment to the stack. Every segment carrying ACK also satisfies a pending delayed ACK. */
export function emit(tcb: Tcb, flags: number, seq: number, payload: Uint8Array): void {
  const syn = (flags & SYN) !== 0;
  const seg = out;
  seg.srcPort = tcb.localPort;
  seg.dstPort = tcb.remotePort;
  seg.seq = seq >>> 0;
  seg.ack = flags & ACK ? tcb.rcvNxt : 0;
  seg.flags = flags;
  seg.window = flags & RST ? 0 : advertisedWindow(tcb, syn);
  seg.options = flags & RST ? NO_OPTIONS : optionsFor(tcb, flags);
  seg.payload = payload;
  if (flags & ACK) {
    tcb.lastAckSent = tcb.rcvNxt;
    tcb.tDelack = Infinity;
    tcb.unackedSegs = 0;
  }
  tcb.nSegsOut++;
  tcb.nBytesOut += payload.length;
  tcb.hooks.send(tcb, seg);
  seg.payload = EMPTY;
  seg.options = NO_OPTIONS;
}

export function sendSyn(tcb: Tcb, synAck: boolean): void {
  emit(tcb, synAck ? SYN | ACK : SYN, tcb.iss, EMPTY);
}

/**
 * SND.NXT as RFC 9293 means it: the next new sequence number. After a go-back-N retransmission
 * tcb.sndNxt lies below what was already sent (SND.MAX); a segment stamped with it may fall before
 * the peer's RCV.NXT and be dropped as unacceptable, ACK field and all (§3.10.7.4 first step).
 */
function nextNewSeq(tcb: Tcb): number {
  return seqMax(tcb.sndNxt, tcb.sndMax);
}

/** <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
export function sendAck(tcb: Tcb): void {
  emit(tcb, ACK, nextNewSeq(tcb), EMPTY);
}

/**
 * RFC 5961 §3.2/§4.2/§5: the challenge ACK is an ordinary ACK, counted separately and throttled
 * (§7) per connection and per stack as Linux's tcp_send_challenge_ack (ack-throttle.ts).
 */
export function challengeAck(tcb: Tcb, forSyn = false): void {
  if (forSyn) tcb.netns.mib.TCPSYNChallenge++;
  if (!challengeAllowed(tcb)) return;
  tcb.nChallengeAcks++;
  tcb.netns.mib.TCPChallengeACK++;
  sendAck(tcb);
}

/**
 * RFC 9293 §3.10.7.4: an unacceptable segment is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>,
 * at most once per tcp_invalid_ratelimit unless it is data a sender may be retransmitting
 * (ack-throttle.ts).
 */
export function ackInvalid(tcb: Tcb, seq: number, dataLen: number, counter: 'TCPACKSkippedSeq' | 'TCPACKSkippedPAWS'): void {
  if (mayBeRetransmission(tcb, seq, dataLen) || !oowRateLimited(tcb, counter)) sendAck(tcb);
}

/** <SEQ=SND.NXT><CTL=RST> from a synchronized connection (§3.10.5 ABORT). */
export function sendReset(tcb: Tcb): void {
  emit(tcb, RST | ACK, nextNewSeq(tcb), EMPTY);
}

/**
 * Acknowledge received in-order data: at once for every second full-sized segment (RFC 5681 §4.2;
 * a super-segment counts as the full segments it holds, as Linux's GRO'd skb does), else after
 * DELACK_MS. Inside an input batch the ACK due waits for the batch's end (`endAckBatch`).
 */
export function scheduleAck(tcb: Tcb, fullSegments: number): void {
  tcb.unackedSegs += fullSegments;
  if (tcb.unackedSegs >= 2) {
    if (!tcb.inputBatch) sendAck(tcb);
    else if (tcb.tDelack === Infinity) tcb.tDelack = tcb.now + DELACK_MS;
    return;
  }
  if (tcb.tDelack === Infinity) tcb.tDelack = tcb.now + DELACK_MS;
}

/** The end of an input batch: the ACK in-order data made due (one for the whole batch). */
export function endAckBatch(tcb: Tcb): void {
  const s = tcb.state;
  if (tcb.unackedSegs >= 2 && (s === 'ESTABLISHED' || s === 'FIN_WAIT_1' || s === 'FIN_WAIT_2')) sendAck(tcb);
}

/**
 * The window offered grows as data arrives, not all at once after the handshake (Linux's
 * tcp_grow_window, from tcp_event_data_recv and, with SACK, the out-of-order queue): each segment of at least
 * 128 bytes adds 2·MSS, or twice its length if more, up to the receive buffer. A payload here is
 * its own bytes (no skb overhead), so every such segment counts as Linux's well-filled ones do.
 * Small exchanges then leave the offer where the SYN put it, and reading a request does not make
 * the window "double" and cost an ACK of its own (tcp_cleanup_rbuf compares against this offer).
 */
export function growRcvWindow(tcb: Tcb, len: number): void {
  if (len < 128) return;
  const room = tcb.rcvBuf - tcb.rcvSsthresh;
  if (room > 0) tcb.rcvSsthresh += Math.min(room, Math.max(2 * tcb.advMss, 2 * len));
}

/** After the user reads: tell the peer when the window has at least doubled (as Linux's tcp_cleanup_rbuf). */
export function windowUpdateIfUseful(tcb: Tcb): void {
  const s = tcb.state;
  if (s !== 'ESTABLISHED' && s !== 'FIN_WAIT_1' && s !== 'FIN_WAIT_2') return;
  const current = Math.max(0, seqDiff(tcb.rcvAdvEdge, tcb.rcvNxt));
  if (2 * current > tcb.rcvBuf) return;
  // what the window field can carry: without window scaling no more than 65535 can be offered
  const unit = 1 << tcb.rcvWscale;
  const free = Math.min(0xffff * unit, offerable(tcb, unit));
  const step = Math.min(tcb.rcvBuf >> 1, tcb.advMss);
  if (free >= current + step && free >= 2 * current) sendAck(tcb);
}

// ===================== the data path =====================

/** Bytes sent and not yet acknowledged (the flight size). */
export function flightSize(tcb: Tcb): number {
  return Math.max(0, seqDiff(tcb.sndNxt, tcb.sndUna));
}

function finSent(tcb: Tcb): boolean {
  return tcb.finQueued && seqGt(tcb.sndNxt, tcb.finSeq);
}

/**
 * Send whatever the windows, Nagle and SWS avoidance allow, then the FIN once all data is out.
 * RFC 9293 §3.8.6.2.1 (sender SWS), RFC 896 / RFC 1122 §4.2.3.4 (Nagle), RFC 5681 (cwnd).
 */
export function trySend(tcb: Tcb, override = false): void {
  const s = tcb.state;
  if (s !== 'ESTABLISHED' && s !== 'CLOSE_WAIT' && s !== 'FIN_WAIT_1' && s !== 'LAST_ACK' && s !== 'CLOSING') {
    // SYN_RCVD with a queued close: the FIN may go right after the SYN-ACK (§3.10.4)
    if (!(s === 'SYN_RCVD' && tcb.finQueued)) return;
  }
  const sack = tcb.sackOk;
  // RFC 6675 NextSeg (1): what the scoreboard deems lost goes before new data
  if (sack && tcb.boardLength > 0) sendLost(tcb);
  if (tcb.sndUna === tcb.sndMax || seqGt(tcb.sndUna, tcb.sndMax)) restartAfterIdle(tcb);
  const before = tcb.sndMax;
  sendData(tcb, sack, override);
  if (sack && tcb.sndMax !== before) armLossTimer(tcb);
}

/** The window new data may use now: the peer's window and cwnd (less the pipe with SACK, RFC 6675 §5). */
function congestionUsable(tcb: Tcb, sack: boolean): number {
  const rwndUsable = seqDiff(seqAdd(tcb.sndUna, tcb.sndWnd), tcb.sndNxt);
  if (sack) return Math.min(rwndUsable, sackSendBudget(tcb));
  // RFC 3042 Limited Transmit: each of the first two duplicate ACKs lets one new segment go
  const limited = tcb.recover < 0 && tcb.dupAcks > 0 && tcb.dupAcks < 3 ? tcb.dupAcks * tcb.sndMss : 0;
  return Math.min(rwndUsable, seqDiff(seqAdd(tcb.sndUna, tcb.cwnd + limited), tcb.sndNxt));
}

/** Linux's tcp_minshall_check: a sub-MSS segment sent earlier is still unacknowledged. */
function smallInFlight(tcb: Tcb): boolean {
  return tcb.sndSml >= 0 && seqGt(tcb.sndSml, tcb.sndUna) && !seqGt(tcb.sndSml, tcb.sndNxt);
}

function sendData(tcb: Tcb, sack: boolean, override: boolean): void {
  const s = tcb.state;
  const mss = tcb.sndMss;
  // with segmentation offload one segment may carry many MSS worth (TSO/GSO), cut by the link
  const most = tcb.gsoMax > mss ? tcb.gsoMax - (tcb.gsoMax % mss) : mss;
  for (let guard = 0; guard < 10_000; guard++) {
    const offset = seqDiff(tcb.sndNxt, tcb.sndBufSeq);
    const unsent = tcb.sendQueued - Math.max(0, offset);
    const usable = congestionUsable(tcb, sack);
    if (unsent > 0 && s !== 'SYN_RCVD') {
      let len = Math.min(unsent, most, usable);
      if (len <= 0) {
        armPersistIfStuck(tcb);
        return;
      }
      const inFlight = tcb.sndNxt !== tcb.sndUna;
      if (len > mss) {
        // a super-segment: its full-sized pieces always go; a short last piece goes only where it
        // would go alone, after the full ones (in flight by then) — Nagle and sender SWS as below
        const tail = len % mss;
        const nagleOk = tcb.noDelay || !smallInFlight(tcb);
        if (tail > 0 && !override && !((len === unsent && nagleOk) || (tcb.noDelay && tail >= tcb.maxSndWnd / 2))) len -= tail;
      } else if (len < mss) {
        const all = len === unsent;
        // Nagle as Linux has it (tcp_nagle_check, Minshall's variant): a small final piece waits
        // only while an earlier small segment is unacknowledged, not behind full-sized ones.
        // RFC 896's "any data in flight" would hold a transfer's short tail until the receiver's
        // delayed ACK (40 ms) whenever an odd number of full segments is outstanding.
        const nagleOk = tcb.noDelay || !smallInFlight(tcb);
        // sender SWS: send a window-limited piece only if it is at least half the largest window
        // seen, and then only with nothing in flight: rule (3) carries Nagle's bracket too
        const swsOk = (tcb.noDelay || !inFlight) && len >= tcb.maxSndWnd / 2;
        if (!((all && nagleOk) || swsOk || override)) {
          // nothing in flight to clock us: the override timeout (§3.8.6.2.1) will send it
          if (!inFlight) armPersistIfStuck(tcb);
          return;
        }
      }
      override = false;
      const last = len === unsent;
      let flags = ACK | (last ? PSH : 0);
      if (last && tcb.finQueued && usable > len) flags |= FIN;
      const payload = tcb.sendBuf.peek(offset, len);
      transmit(tcb, flags, tcb.sndNxt, payload);
      // tcp_minshall_update: a segment (or a super-segment's last piece) shorter than the MSS
      if (len % mss !== 0) tcb.sndSml = seqAdd(tcb.sndNxt, len);
      len += flags & FIN ? 1 : 0;
      tcb.sndNxt = seqAdd(tcb.sndNxt, len);
      continue;
    }
    if (tcb.finQueued && !finSent(tcb) && tcb.sndNxt === tcb.finSeq) {
      // the FIN takes a sequence number of the peer's window, as data does: into a shut window it
      // would be dropped (§3.8.6), so the window is probed until it opens (§3.8.6.1, as Linux)
      if (seqDiff(seqAdd(tcb.sndUna, tcb.sndWnd), tcb.sndNxt) <= 0) {
        armPersistIfStuck(tcb);
        return;
      }
      transmit(tcb, FIN | ACK, tcb.sndNxt, EMPTY);
      tcb.sndNxt = seqAdd(tcb.sndNxt, 1);
    }
    return;
  }
}

/**
 * Restart after idle (tcp_slow_start_after_idle, RFC 5681 §4.1): nothing in flight and no data
 * sent for longer than an RTO, the window no longer reflects the path.
 */
function restartAfterIdle(tcb: Tcb): void {
  if (!tcb.sysctl.tcp_slow_start_after_idle || tcb.lastSendTime < 0 || tcb.recover >= 0) return;
  const idle = tcb.now - tcb.lastSendTime;
  if (idle > tcb.rto.rto && tcb.sendQueued > 0) {
    tcb.cc.onIdleRestart(tcb.now, idle, tcb.rto.rto, tcb.sndMss);
    tcb.lastSendTime = tcb.now;
  }
}

/**
 * One segment of new data, if there is some and the peer's window takes it, whatever cwnd says
 * (the tail loss probe's first choice, RFC 8985 §7.3). Returns whether one went.
 */
export function sendNewSegment(tcb: Tcb): boolean {
  const offset = seqDiff(tcb.sndNxt, tcb.sndBufSeq);
  const unsent = tcb.sendQueued - Math.max(0, offset);
  const len = Math.min(unsent, tcb.sndMss);
  if (len <= 0 || seqDiff(seqAdd(tcb.sndUna, tcb.sndWnd), seqAdd(tcb.sndNxt, len)) < 0) return false;
  let flags = ACK | (len === unsent ? PSH : 0);
  if (len === unsent && tcb.finQueued) flags |= FIN;
  transmit(tcb, flags, tcb.sndNxt, tcb.sendBuf.peek(offset, len));
  tcb.sndNxt = seqAdd(tcb.sndNxt, len + (flags & FIN ? 1 : 0));
  return true;
}

/** Retransmit `len` bytes of data from `start` (the FIN with them if they reach it). */
export function retransmitRange(tcb: Tcb, start: number, len: number, kind: RetransmitKind | undefined): void {
  const offset = seqDiff(start, tcb.sndBufSeq);
  const avail = Math.max(0, tcb.sendQueued - offset);
  const dataLen = Math.min(len, avail);
  let flags = ACK | (dataLen > 0 && dataLen === avail ? PSH : 0);
  if (tcb.finQueued && seqAdd(start, dataLen) === tcb.finSeq && dataLen < len) flags |= FIN;
  if (dataLen === 0 && !(flags & FIN)) return;
  transmit(tcb, flags, start, tcb.sendBuf.peek(offset, dataLen), kind);
}

/**
 * Send new or retransmitted data/FIN: keeps the RTO timer, the RTT sample, the scoreboard and the
 * retransmission counters going. `kind` names why a retransmission goes; a resend without one is
 * go-back-N after a timeout (no SACK) or after the path MTU fell.
 */
function transmit(tcb: Tcb, flags: number, seq: number, payload: Uint8Array, kind?: RetransmitKind): void {
  const len = payload.length + (flags & FIN ? 1 : 0);
  const retransmission = seqLt(seq, tcb.sndMax);
  if (retransmission) {
    tcb.nRetransSegs++;
    const k = kind ?? (tcb.sackOk ? (tcb.inLoss ? 'rto' : undefined) : 'rto');
    if (k !== undefined) tcb.loss.retransmits[k]++;
  }
  tcb.board.onSend(seq, seqAdd(seq, len), tcb.now);
  if (inFastRecovery(tcb)) tcb.prr.onSend(len);
  tcb.lastSendTime = tcb.now;
  if (!retransmission && tcb.rttStart < 0 && !tcb.tsOk) {
    tcb.rttSeq = seqAdd(seq, len);
    tcb.rttStart = tcb.now;
  }
  if (tcb.stallSince < 0) tcb.stallSince = tcb.now;
  if (tcb.tRetransmit === Infinity) tcb.armRetransmit();
  tcb.tPersist = Infinity;
  tcb.persistSince = -1;
  emit(tcb, flags, seq, payload);
  const end = seqAdd(seq, len);
  if (seqGt(end, tcb.sndMax)) tcb.sndMax = end;
}

/** Zero window, or a window too small to use (sender SWS) with nothing in flight: start the persist timer. */
function armPersistIfStuck(tcb: Tcb): void {
  if (tcb.sndNxt === tcb.sndUna && tcb.tPersist === Infinity) {
    tcb.tRetransmit = Infinity;
    tcb.tPersist = tcb.now + persistInterval(tcb);
  }
}

function persistInterval(tcb: Tcb): number {
  const base = Math.max(tcb.rto.rto, 200);
  return Math.min(tcb.sysctl.tcp_rto_max_ms, base * 2 ** tcb.persistBackoff);
}

/** Retransmit the first unacknowledged segment (or the SYN / SYN-ACK before the handshake completes). */
export function retransmitFirst(tcb: Tcb, kind: RetransmitKind = 'rto'): void {
  tcb.nRetransSegs++;
  tcb.loss.retransmits[kind]++;
  // Karn's rule (RFC 6298 §3): a retransmission makes the ACK of the timed segment ambiguous (or,
  // for a later segment, late by the repair), so the measurement in progress is abandoned
  tcb.rttStart = -1;
  if (tcb.state === 'SYN_SENT') return sendSyn(tcb, false);
  if (seqLt(tcb.sndUna, tcb.sndBufSeq)) {
    // our SYN is unacknowledged (SYN_RCVD, or FIN_WAIT_1 after a CLOSE in SYN_RCVD): the SYN-ACK
    // heads the queue; after going back N, SND.NXT is again past it
    sendSyn(tcb, true);
    if (seqLt(tcb.sndNxt, tcb.sndBufSeq)) tcb.sndNxt = tcb.sndBufSeq;
    return;
  }
  const offset = seqDiff(tcb.sndUna, tcb.sndBufSeq);
  const avail = tcb.sendQueued - offset;
  const len = Math.max(0, Math.min(avail, tcb.sndMss));
  let flags = ACK | (len > 0 && len === avail ? PSH : 0);
  if (tcb.finQueued && seqAdd(tcb.sndUna, len) === tcb.finSeq) flags |= FIN;
  if (len === 0 && !(flags & FIN)) return;
  emit(tcb, flags, tcb.sndUna, tcb.sendBuf.peek(offset, len));
  const end = seqAdd(tcb.sndUna, len + (flags & FIN ? 1 : 0));
  tcb.board.onSend(tcb.sndUna, end, tcb.now);
  tcb.lastSendTime = tcb.now;
  if (seqLt(tcb.sndNxt, end)) tcb.sndNxt = end;
  // the piece may reach past anything sent before (a small write Nagle held back, a FIN not yet sent)
  if (seqGt(end, tcb.sndMax)) tcb.sndMax = end;
}

// ===================== timers =====================

/** The retransmission limit for the current state (tcp_syn_retries, tcp_synack_retries, ...). */
function retryLimit(tcb: Tcb): number {
  const sc = tcb.sysctl;
  if (tcb.state === 'SYN_SENT') return sc.tcp_syn_retries;
  if (tcb.state === 'SYN_RCVD') return tcb.passive ? sc.tcp_synack_retries : sc.tcp_syn_retries;
  if (tcb.orphan) return sc.tcp_orphan_retries === 0 ? 8 : sc.tcp_orphan_retries;
  return sc.tcp_retries2;
}

/** RFC 6298 §5.4–5.6 and RFC 5681 §3.1: retransmit, back off, collapse cwnd; give up past the limit. */
export function onRetransmitTimer(tcb: Tcb): void {
  // the timer slot may hold RACK's reordering timer or a tail loss probe (RFC 8985 §6.3, §7.3)
  if (tcb.xmitTimer === 'tlp') return onProbeTimer(tcb);
  if (tcb.xmitTimer === 'rack') return onReorderTimer(tcb);
  // Outstanding is measured against SND.MAX: after a go-back-N (an earlier timeout, a PMTU drop)
  // SND.NXT may equal SND.UNA while data, a FIN or our SYN sent before are still unacknowledged;
  // returning here then left the connection with nothing scheduled (see timer-invariant.ts).
  // SND.MAX starts at ISS + 1, so an unacknowledged SYN always counts.
  if (tcb.sndUna === tcb.sndMax && tcb.state !== 'SYN_SENT' && tcb.state !== 'SYN_RCVD') {
    // nothing in flight: whatever is queued goes out now, or waits on the persist timer
    trySend(tcb);
    return;
  }
  const userTimedOut = tcb.userTimeoutMs > 0 && tcb.stallSince >= 0 && tcb.now - tcb.stallSince >= tcb.userTimeoutMs;
  if (tcb.retransmits >= retryLimit(tcb) || userTimedOut) {
    if (userTimedOut) tcb.cause = 'usertimeout';
    // a passive OPEN's half-open connection is dropped quietly: the OPEN waits for another SYN
    if (tcb.state === 'SYN_RCVD' && tcb.passive) return tcb.returnToListen();
    tcb.fail('ETIMEDOUT');
    return;
  }
  tcb.retransmits++;
  tcb.loss.rtoTimeouts++;
  tcb.rto.backOff();
  tcb.rttStart = -1; // Karn's rule: no sample from a retransmitted segment
  if (tcb.sackOk && tcb.state !== 'SYN_SENT' && tcb.state !== 'SYN_RCVD' && tcb.boardLength > 0) {
    // RFC 6675 §5.1: no go-back-N over what the receiver has SACKed
    onSackTimeout(tcb, tcb.retransmits === 1);
    sendLost(tcb);
    tcb.armRetransmit();
    return;
  }
  if (tcb.state !== 'SYN_SENT' && tcb.state !== 'SYN_RCVD') {
    // RFC 5681 §3.1 (4): ssthresh = max(FlightSize / 2, 2*SMSS); when the segment has already been
    // retransmitted by the timer, "the value of ssthresh is held constant"
    tcb.cc.onRto(tcb.now, flightSize(tcb), tcb.sndMss, tcb.retransmits === 1);
    tcb.dupAcks = 0;
    tcb.recover = -1;
    tcb.sndNxt = tcb.sndUna; // go back N: resend from SND.UNA as the window reopens
  }
  retransmitFirst(tcb);
  tcb.armRetransmit();
}

/** Zero-window probe: Linux's form, <SEQ=SND.UNA-1><ACK>, which any receiver answers with its window. */
export function onPersistTimer(tcb: Tcb): void {
  if (tcb.sndWnd > 0) {
    // the override timeout of sender SWS avoidance: send what the window allows now
    trySend(tcb, true);
    return;
  }
  // RFC 9293 §3.8.6.1 (RFC 1122 §4.2.2.17): the window may stay shut as long as the peer answers
  // the probes (any acceptable segment resets probesOut) — unless the user set TCP_USER_TIMEOUT:
  // then, as Linux's tcp_probe_timer, probing ends that long after its first probe, answered or not
  if (tcb.persistSince < 0) {
    tcb.persistSince = tcb.now;
  } else if (tcb.userTimeoutMs > 0 && tcb.now - tcb.persistSince >= tcb.userTimeoutMs) {
    tcb.fail('ETIMEDOUT');
    return;
  }
  // one that stops answering is given up after tcp_retries2 probes, as in Linux
  if (tcb.probesOut >= retryLimit(tcb)) {
    tcb.fail('ETIMEDOUT');
    return;
  }
  // an orphan is bounded even when answered: a peer that keeps its window shut would otherwise
  // hold it, and its unsent FIN, forever (Linux's tcp_probe_timer applies tcp_orphan_retries so)
  if (tcb.orphan && tcb.persistBackoff >= retryLimit(tcb)) {
    tcb.fail('ETIMEDOUT');
    return;
  }
  emit(tcb, ACK, seqAdd(tcb.sndUna, -1), EMPTY);
  tcb.probesOut++;
  tcb.persistBackoff++;
  tcb.tPersist = tcb.now + persistInterval(tcb);
  // the backed-off interval never carries past the user timeout (Linux's tcp_clamp_probe0_to_user_timeout)
  if (tcb.userTimeoutMs > 0) tcb.tPersist = Math.min(tcb.tPersist, Math.max(tcb.now + 1, tcb.persistSince + tcb.userTimeoutMs));
}

/** RFC 1122 §4.2.3.6 keepalive: probe <SEQ=SND.UNA-1>; after tcp_keepalive_probes unanswered, reset. */
export function onKeepaliveTimer(tcb: Tcb): void {
  if (!tcb.keepAlive) return;
  // compare the deadline, not the idle time: with fractional times `now - lastRcvTime < idle` can
  // hold while `lastRcvTime + idle` rounds to `now`, and the timer was re-armed at `now` forever
  const idleEnds = tcb.lastRcvTime + tcb.keepIdleMs;
  if (tcb.probesOut === 0 && idleEnds > tcb.now) {
    tcb.tKeepalive = idleEnds;
    return;
  }
  if (tcb.sndMax !== tcb.sndUna || tcb.sendQueued > seqDiff(tcb.sndMax, tcb.sndBufSeq)) {
    // data outstanding or queued: the retransmission or persist timer is in charge
    tcb.tKeepalive = tcb.now + tcb.keepIdleMs;
    return;
  }
  if (tcb.probesOut >= tcb.keepCnt) {
    sendReset(tcb);
    tcb.fail('ETIMEDOUT');
    return;
  }
  emit(tcb, ACK, seqAdd(tcb.sndUna, -1), EMPTY);
  tcb.probesOut++;
  tcb.tKeepalive = tcb.now + tcb.keepIntvlMs;
}

export { TS_OPTION_BYTES };
