/**
 * SEGMENT ARRIVES, RFC 9293 §3.10.7, in the RFC's order, with RFC 5961 (blind in-window attacks),
 * RFC 7323 (timestamps, PAWS, window scale) and RFC 1337 (TIME_WAIT assassination) applied where
 * they amend it. Each step is marked with the RFC's own words for it.
 */
import { ACK, FIN, RST, SYN, type Segment } from '../wire/segment.js';
import { initialWindow } from './cc/types.js';
import { ackInvalid, challengeAck, emit, growRcvWindow, scheduleAck, sendAck, sendSyn, trySend } from './output.js';
import { newRenoAck, onDuplicateAck } from './newreno.js';
import { ackScoreboard, armLossTimer, onSackAck } from './recovery.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt } from './seq.js';
import { reassemblyBudget } from './reassembly.js';
import { DEFAULT_MSS, TIME_WAIT_MS, type Tcb } from './tcb.js';

const EMPTY = new Uint8Array(0);
/** in-order payloads at least this large are kept as views into a packet handed over (tcb.inputOwned) */
const KEEP_VIEW_BYTES = 16 * 1024;
const TS_OPTION_BYTES = 12;
/** RFC 7323 §5.5: a TS.Recent older than 24 days is no longer valid for PAWS. */
const PAWS_IDLE_MS = 24 * 24 * 3600 * 1000;

export function segmentArrives(tcb: Tcb, seg: Segment): void {
  tcb.nSegsIn++;
  switch (tcb.state) {
    case 'CLOSED':
      // §3.10.7.1: handled by the stack, which answers for connections that do not exist.
      return;
    case 'LISTEN':
      return inListen(tcb, seg);
    case 'SYN_SENT':
      return inSynSent(tcb, seg);
    default:
      return inSynchronized(tcb, seg);
  }
}

// ===================== §3.10.7.2 LISTEN =====================

function inListen(tcb: Tcb, seg: Segment): void {
  // first, check for a RST: an incoming RST should be ignored
  if (seg.flags & RST) return;
  // second, check for an ACK: <SEQ=SEG.ACK><CTL=RST>
  if (seg.flags & ACK) {
    resetFor(tcb, seg);
    return;
  }
  // third, check for a SYN
  if (!(seg.flags & SYN)) return;
  takeSyn(tcb, seg);
  sendSyn(tcb, true);
  tcb.armRetransmit();
  // Data carried on the SYN is not acknowledged here; the peer sends it again (no TCP Fast Open).
}

/**
 * LISTEN's third step without the reply: record the peer's SYN (RCV.NXT = SEG.SEQ + 1, IRS,
 * options, window) and enter SYN_RCVD. The stack also uses it to rebuild a connection from a
 * SYN cookie, whose SYN-ACK went out statelessly.
 */
export function takeSyn(tcb: Tcb, seg: Segment): void {
  tcb.irs = seg.seq;
  tcb.rcvNxt = seqAdd(seg.seq, 1);
  tcb.rcvAdvEdge = tcb.rcvNxt;
  negotiateOptions(tcb, seg);
  tcb.sndWnd = seg.window; // never scaled in a SYN (RFC 7323 §2.2)
  tcb.maxSndWnd = tcb.sndWnd;
  tcb.sndWl1 = seg.seq;
  tcb.lastRcvTime = tcb.now;
  tcb.sndNxt = seqAdd(tcb.iss, 1);
  tcb.sndUna = tcb.iss;
  tcb.setState('SYN_RCVD');
}

// ===================== §3.10.7.3 SYN-SENT =====================

function inSynSent(tcb: Tcb, seg: Segment): void {
  const f = seg.flags;
  // first, check the ACK bit: unacceptable if SEG.ACK =< ISS or SEG.ACK > SND.NXT
  let ackOk = false;
  if (f & ACK) {
    if (seqLe(seg.ack, tcb.iss) || seqGt(seg.ack, tcb.sndNxt)) {
      if (!(f & RST)) emit(tcb, RST, seg.ack, EMPTY);
      tcb.nDropped++;
      return;
    }
    ackOk = seqLt(tcb.sndUna, seg.ack) && seqLe(seg.ack, tcb.sndNxt);
  }
  // second, check the RST bit: with an acceptable ACK the connection is refused (RFC 5961 §3.2 agrees)
  if (f & RST) {
    if (ackOk) tcb.fail('ECONNREFUSED');
    return;
  }
  // fourth, check the SYN bit
  if (!(f & SYN)) return;
  tcb.irs = seg.seq;
  tcb.rcvNxt = seqAdd(seg.seq, 1);
  tcb.rcvAdvEdge = tcb.rcvNxt;
  tcb.lastRcvTime = tcb.now;
  negotiateOptions(tcb, seg);
  if (ackOk) {
    tcb.sndUna = seg.ack;
    tcb.retransmits = 0;
    tcb.tRetransmit = Infinity;
    sampleHandshakeRtt(tcb, seg);
  }
  if (seqGt(tcb.sndUna, tcb.iss)) {
    // our SYN has been ACKed: ESTABLISHED, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    tcb.sndWnd = seg.window; // the SYN-ACK's window is not scaled either
    tcb.maxSndWnd = tcb.sndWnd;
    tcb.sndWl1 = seg.seq;
    tcb.sndWl2 = seg.ack;
    becomeEstablished(tcb);
    const payload = seg.payload;
    if (payload.length > 0 || f & FIN) {
      // continue processing at the sixth step (text and FIN ride on the SYN-ACK); the ACK that
      // covers the text stands in for the one above, but is sent now, not delayed: it is the
      // handshake's third segment
      processText(tcb, seqAdd(seg.seq, 1), payload, (f & FIN) !== 0);
      if (tcb.tDelack !== Infinity) sendAck(tcb);
    } else {
      sendAck(tcb);
    }
    trySend(tcb);
    return;
  }
  // simultaneous open: SYN_SENT → SYN_RCVD, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
  tcb.sndWnd = seg.window;
  tcb.maxSndWnd = tcb.sndWnd;
  tcb.sndWl1 = seg.seq;
  tcb.setState('SYN_RCVD');
  sendSyn(tcb, true);
  tcb.armRetransmit();
}

// ===================== §3.10.7.4 Other states =====================

function inSynchronized(tcb: Tcb, seg: Segment): void {
  let flags = seg.flags;
  let seq = seg.seq;
  let payload = seg.payload;

  // Simultaneous open: in SYN_RCVD the peer's SYN-ACK repeats its SYN; take it as the ACK it
  // carries (as Linux does), which is what RFC 9293 Figure 7 shows.
  if (
    tcb.state === 'SYN_RCVD' &&
    !tcb.passive &&
    (flags & (SYN | ACK | RST)) === (SYN | ACK) &&
    seq === tcb.irs &&
    seg.ack === tcb.sndNxt
  ) {
    flags &= ~SYN;
    seq = seqAdd(seq, 1);
  }

  const rcvWnd = Math.max(0, seqDiff(tcb.rcvAdvEdge, tcb.rcvNxt));
  const segLen = payload.length + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);

  // TIME_WAIT: a retransmission of the peer's FIN is acknowledged again and restarts 2MSL
  if (tcb.state === 'TIME_WAIT' && flags & FIN && !(flags & (RST | SYN)) && seqAdd(seq, segLen) === tcb.rcvNxt) {
    tcb.tTimeWait = tcb.now + TIME_WAIT_MS;
    sendAck(tcb);
    return;
  }

  // RFC 7323 §5.3 PAWS: a segment whose TSval is older than TS.Recent is a stale duplicate
  if (
    tcb.tsOk &&
    seg.options.tsVal !== undefined &&
    !(flags & RST) &&
    tcb.tsRecentAge >= 0 &&
    seqLt(seg.options.tsVal, tcb.tsRecent) &&
    tcb.now - tcb.tsRecentAge < PAWS_IDLE_MS
  ) {
    tcb.nDropped++;
    ackInvalid(tcb, seq, payload.length, 'TCPACKSkippedPAWS');
    return;
  }

  // first, check sequence number: the four-case acceptability test
  let acceptable: boolean;
  if (segLen === 0) {
    acceptable = rcvWnd === 0 ? seq === tcb.rcvNxt : seqInRange(seq, tcb.rcvNxt, seqAdd(tcb.rcvNxt, rcvWnd));
  } else if (rcvWnd === 0) {
    acceptable = false;
  } else {
    const end = seqAdd(tcb.rcvAdvEdge, 0);
    acceptable = seqInRange(seq, tcb.rcvNxt, end) || seqInRange(seqAdd(seq, segLen - 1), tcb.rcvNxt, end);
  }
  // text refused by a zero window still gets the ACK an unacceptable segment gets: it is how a
  // zero-window probe carrying a byte at RCV.NXT (BSD's form) learns the window
  let ackRefusedText = false;
  if (!acceptable) {
    // "special allowance should be made to accept valid ACKs, URGs, and RSTs" when RCV.WND is zero
    if (rcvWnd === 0 && seq === tcb.rcvNxt && flags & (ACK | RST)) {
      ackRefusedText = (flags & RST) === 0;
      payload = EMPTY;
      flags &= ~(FIN | SYN);
    } else {
      tcb.nDropped++;
      if (flags & RST) return;
      if (tcb.state === 'SYN_RCVD' && flags & SYN && seq === tcb.irs) {
        // the peer did not hear our SYN-ACK and sent its SYN again: answer, but (as Linux) only our
        // own timer counts toward tcp_synack_retries, or a flood of duplicate SYNs would end it early
        sendSyn(tcb, true);
        return;
      }
      // a SYN outside the window is challenged like one inside it (RFC 5961 §4.2; Linux's
      // tcp_validate_incoming goes to syn_challenge for both); anything else draws the ACK of
      // §3.10.7.4, throttled (RFC 5961 §7)
      if (flags & SYN) challengeAck(tcb, true);
      else {
        // RFC 2883: report data received twice (all of it before RCV.NXT) in a D-SACK block
        if (payload.length > 0 && seqLe(seqAdd(seq, payload.length), tcb.rcvNxt)) noteDuplicate(tcb, seq, payload.length);
        ackInvalid(tcb, seq, payload.length, 'TCPACKSkippedSeq');
      }
      return;
    }
  }
  // trim to the window: bytes before RCV.NXT are old, bytes past the right edge cannot be taken
  if (seqLt(seq, tcb.rcvNxt)) {
    if (flags & SYN) {
      flags &= ~SYN;
      seq = seqAdd(seq, 1);
    }
    const old = Math.min(payload.length, seqDiff(tcb.rcvNxt, seq));
    if (old > 0) {
      noteDuplicate(tcb, seq, old);
      payload = payload.subarray(old);
      seq = seqAdd(seq, old);
    }
  }
  const room = seqDiff(tcb.rcvAdvEdge, seq);
  if (payload.length > room) {
    payload = payload.subarray(0, Math.max(0, room));
    flags &= ~FIN;
  }

  tcb.lastRcvTime = tcb.now;
  tcb.probesOut = 0;
  updateTsRecent(tcb, seg, seq);

  // second, check the RST bit (RFC 5961 §3.2: only an exact match resets; in-window → challenge ACK)
  if (flags & RST) {
    if (seq !== tcb.rcvNxt) {
      challengeAck(tcb);
      return;
    }
    onReset(tcb);
    return;
  }

  // fourth, check the SYN bit (RFC 5961 §4.2: challenge ACK in every synchronized state)
  if (flags & SYN) {
    if (tcb.state === 'SYN_RCVD' && tcb.passive) {
      // §3.10.7.4 fourth: a passive connection returns to LISTEN
      tcb.returnToListen();
      return;
    }
    challengeAck(tcb, true);
    return;
  }

  // fifth, check the ACK field
  if (!(flags & ACK)) return;
  if (!processAck(tcb, seg)) return;
  if (ackRefusedText) sendAck(tcb);

  if (tcb.state === 'TIME_WAIT') return;

  // seventh and eighth: segment text and FIN
  if (payload.length > 0 || flags & FIN) {
    processText(tcb, seq, payload, (flags & FIN) !== 0);
  }
  if (tcb.state === 'FIN_WAIT_1' && ourFinAcked(tcb)) {
    tcb.setState('FIN_WAIT_2');
    if (tcb.orphan) tcb.tFinWait2 = tcb.now + tcb.sysctl.tcp_fin_timeout * 1000;
  }
  trySend(tcb);
  tcb.armKeepalive();
}

/** §3.10.7.4 second step: what a RST does in each state. */
function onReset(tcb: Tcb): void {
  switch (tcb.state) {
    case 'SYN_RCVD':
      if (tcb.passive) {
        // "If this connection was initiated with a passive OPEN, then return this connection to the LISTEN state"
        tcb.returnToListen();
      } else {
        tcb.fail('ECONNREFUSED');
      }
      return;
    case 'ESTABLISHED':
    case 'FIN_WAIT_1':
    case 'FIN_WAIT_2':
    case 'CLOSE_WAIT':
      tcb.fail('ECONNRESET');
      return;
    case 'TIME_WAIT':
      // RFC 1337: ignore RSTs in TIME_WAIT rather than cut the 2MSL wait short
      if (tcb.sysctl.tcp_rfc1337) return;
      tcb.toClosed();
      return;
    default:
      // CLOSING, LAST_ACK: enter CLOSED
      tcb.toClosed();
  }
}

/** Fifth step. Returns false when the segment is to be dropped. */
function processAck(tcb: Tcb, seg: Segment): boolean {
  const ack = seg.ack;
  // RFC 7323 §2.2: the window of a segment with SYN set is never scaled (here: the peer's SYN-ACK
  // taken as the ACK of a simultaneous open)
  const window = seg.flags & SYN ? seg.window : seg.window << tcb.sndWscale;
  // our SYN is not yet acknowledged: SYN_RCVD, or FIN_WAIT_1 after a CLOSE in SYN_RCVD (§3.10.4)
  if (tcb.state === 'SYN_RCVD' || seqLt(tcb.sndUna, tcb.sndBufSeq)) {
    // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state" (SND.NXT before any go-back-N)
    if (!(seqLt(tcb.sndUna, ack) && seqLe(ack, tcb.sndMax))) {
      emit(tcb, RST, ack, EMPTY);
      return false;
    }
    tcb.sndWnd = window;
    tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd);
    tcb.sndWl1 = seg.seq;
    tcb.sndWl2 = ack;
    sampleHandshakeRtt(tcb, seg);
    tcb.sndUna = seqAdd(tcb.iss, 1);
    tcb.retransmits = 0;
    // stop the timer, or keep it running for a FIN already sent from SYN_RCVD (measured against
    // SND.MAX: a go-back-N may have pulled SND.NXT back over a FIN that is still unacknowledged)
    if (tcb.sndUna === tcb.sndMax) tcb.tRetransmit = Infinity;
    else tcb.armRetransmit();
    if (tcb.state === 'SYN_RCVD' && !tcb.finQueued) {
      becomeEstablished(tcb);
    } else {
      // CLOSE came in SYN_RCVD: the handshake completes in FIN_WAIT_1, and queued data may now go
      tcb.cwnd = initialWindow(tcb.sndMss);
      tcb.setState('FIN_WAIT_1');
    }
    // the ACK may cover more than the SYN (a FIN sent from SYN_RCVD): process it as below
  }
  // RFC 5961 §5: an ACK for data never sent is answered and dropped; one too old is dropped
  if (seqGt(ack, tcb.sndNxt)) {
    if (seqLe(ack, tcb.sndMax)) {
      // acknowledges data we sent before going back N: accept it
      tcb.sndNxt = ack;
    } else {
      challengeAck(tcb);
      return false;
    }
  }
  if (seqLt(ack, seqAdd(tcb.sndUna, -tcb.maxSndWnd))) {
    challengeAck(tcb);
    return false;
  }
  const prevUna = tcb.sndUna;
  const rtt = seqLt(tcb.sndUna, ack) ? onNewAck(tcb, ack, seg) : -1;
  const acked = seqDiff(tcb.sndUna, prevUna);
  if (tcb.sackOk) {
    // RFC 6675 / RFC 8985: the scoreboard sees every acceptable ACK, its SACK blocks, its DupAck-ness
    onSackAck(tcb, seg, ack, acked, rtt);
    armLossTimer(tcb);
  } else if (acked > 0) {
    const segRtt = ackScoreboard(tcb, ack);
    newRenoAck(tcb, ack, acked, rtt >= 0 ? rtt : segRtt);
  } else if (
    // RFC 5681 §2 DUPLICATE ACKNOWLEDGMENT: data outstanding, no data, SYN and FIN off, same ACK and window
    ack === tcb.sndUna &&
    seg.payload.length === 0 &&
    !(seg.flags & (SYN | FIN)) &&
    window === tcb.sndWnd &&
    tcb.sndNxt !== tcb.sndUna
  ) {
    onDuplicateAck(tcb);
  }
  // update the send window: if SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)
  if (seqLt(tcb.sndWl1, seg.seq) || (tcb.sndWl1 === seg.seq && seqLe(tcb.sndWl2, ack))) {
    const opened = tcb.sndWnd === 0 && window > 0;
    tcb.sndWnd = window;
    tcb.maxSndWnd = Math.max(tcb.maxSndWnd, window);
    tcb.sndWl1 = seg.seq;
    tcb.sndWl2 = ack;
    if (opened) {
      tcb.tPersist = Infinity;
      tcb.persistBackoff = 0;
      tcb.persistSince = -1;
    }
  }
  switch (tcb.state) {
    case 'CLOSING':
      // "In addition to the processing for the ESTABLISHED state, if the ACK acknowledges our FIN,
      // then enter the TIME-WAIT state; otherwise, ignore the segment." The ESTABLISHED processing
      // includes sending what the ACK let through: the peer's FIN can arrive while our FIN still
      // waits behind queued data (close() with a full send queue), and only these ACKs clock that
      // data out. Returning before trySend left the rest of the queue, and the FIN, unsent forever.
      if (ourFinAcked(tcb)) tcb.enterTimeWait();
      else trySend(tcb);
      return false;
    case 'LAST_ACK':
      if (ourFinAcked(tcb)) {
        tcb.toClosed();
        return false;
      }
      return true;
    case 'TIME_WAIT':
      // "The only thing that can arrive in this state is a retransmission of the remote FIN"
      sendAck(tcb);
      tcb.tTimeWait = tcb.now + TIME_WAIT_MS;
      return false;
    default:
      return true;
  }
}

function ourFinAcked(tcb: Tcb): boolean {
  return tcb.finQueued && seqGt(tcb.sndUna, tcb.finSeq);
}

/** SND.UNA < SEG.ACK =< SND.NXT: new data acknowledged. Returns the ACK's RTT sample in ms, or -1. */
function onNewAck(tcb: Tcb, ack: number, seg: Segment): number {
  const dataAcked = Math.max(0, Math.min(tcb.sendQueued, seqDiff(ack, tcb.sndBufSeq)));
  if (dataAcked > 0) {
    tcb.sendBuf.consume(dataAcked);
    tcb.sndBufSeq = seqAdd(tcb.sndBufSeq, dataAcked);
  }
  tcb.sndUna = ack;
  // RTT: from the echoed timestamp (RFC 7323 §4.1) or the one timed segment (Karn's rule).
  // After a timeout Karn's rule holds for timestamps too (RFC 7323 permits a sample, it does not
  // require one): the echo may be of the first transmission, whose ACK was lost, and would count
  // the backed-off RTO as path delay.
  let rtt = -1;
  if (tcb.tsOk && seg.options.tsEcr !== undefined && seg.options.tsEcr !== 0) {
    const r = seqDiff(tcb.tsNow(), seg.options.tsEcr);
    if (r >= 0 && r < 3_600_000 && tcb.retransmits === 0) rtt = Math.max(r, 1);
  } else if (tcb.rttStart >= 0 && seqGe(ack, tcb.rttSeq)) {
    rtt = Math.max(tcb.now - tcb.rttStart, 1);
    tcb.rttStart = -1;
  }
  if (rtt >= 0) tcb.rto.sample(rtt);
  tcb.retransmits = 0;
  tcb.rto.resetBackoff();
  // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it. "All" is
  // everything ever sent, SND.MAX: after a go-back-N retransmission SND.NXT lies below it, and an
  // ACK reaching SND.NXT still leaves data (or a FIN) in the network that only this timer repairs.
  const allAcked = tcb.sndUna === tcb.sndMax;
  tcb.stallSince = allAcked ? -1 : tcb.now;
  if (allAcked) tcb.tRetransmit = Infinity;
  else tcb.armRetransmit();
  if (dataAcked > 0) tcb.hooks.writable(tcb);
  return rtt;
}

/**
 * The bytes of `payload` in an array of their own. Not `slice()`: a Uint8Array's looks up its
 * species constructor, and a Node Buffer's (a packet handed in as a Buffer) is a view of the same
 * memory; a new array of up to 64 bytes lives inside its object (V8), without an ArrayBuffer.
 */
function copyOf(payload: Uint8Array): Uint8Array {
  const c = new Uint8Array(payload.length);
  c.set(payload);
  return c;
}

/** Seventh (segment text) and eighth (FIN) steps for a segment already trimmed to the window. */
function processText(tcb: Tcb, seq: number, payload: Uint8Array, fin: boolean): void {
  const s = tcb.state;
  const takesText = s === 'ESTABLISHED' || s === 'FIN_WAIT_1' || s === 'FIN_WAIT_2';
  if (fin && tcb.peerFinSeq < 0) tcb.peerFinSeq = seqAdd(seq, payload.length);
  if (takesText && payload.length > 0) {
    tcb.nBytesIn += payload.length;
    if (seq === tcb.rcvNxt) {
      // kept as a view only when the link handed the packet over and the view pins little more
      // than itself; anything else is copied out of the packet (valid during this call only)
      tcb.readQueueToFill.push(tcb.inputOwned && payload.length >= KEEP_VIEW_BYTES ? payload : copyOf(payload));
      tcb.rcvNxt = seqAdd(tcb.rcvNxt, payload.length);
      growRcvWindow(tcb, payload.length);
      const filledHole = !tcb.reassemblyEmpty;
      // (an empty queue has nothing to give: one that was never made is not made here)
      if (filledHole) {
        for (const piece of tcb.reassembly.pull(tcb.rcvNxt)) {
          tcb.readQueueToFill.push(piece);
          tcb.rcvNxt = seqAdd(tcb.rcvNxt, piece.length);
        }
      }
      tcb.hooks.readable(tcb);
      // when the text reaches a FIN already seen, the FIN's ACK (eighth step) covers it
      if (tcb.peerFinSeq < 0 || tcb.rcvNxt !== tcb.peerFinSeq) {
        if (filledHole) sendAck(tcb); // RFC 5681 §4.2: ACK at once when a hole fills
        else scheduleAck(tcb, Math.floor(payload.length / (tcb.advMss - (tcb.tsOk ? TS_OPTION_BYTES : 0))));
      }
    } else {
      // out of order: keep it and send an immediate duplicate ACK (RFC 5681 §4.2). Its heap is
      // bounded by the window (reassembly.ts); past the budget it is dropped and counted, as
      // Linux's TCPOFODrop, and the duplicate ACK still goes out
      if (tcb.reassembly.insert(seq, payload, reassemblyBudget(tcb.rcvBuf)) < 0) {
        tcb.nOfoDropped++;
        tcb.netns.mib.TCPOFODrop++;
      } else {
        tcb.netns.mib.TCPOFOQueue++;
        // only with SACK (Linux's tcp_data_queue_ofo since 2021, "grow window for OOO packets
        // only for SACK flows"): a peer without it needs three duplicate ACKs, and an ACK whose
        // window moved is not one (RFC 5681 §2's definition, Linux's FLAG_WIN_UPDATE), so growing
        // here would leave its losses to the RTO
        if (tcb.sackOk) growRcvWindow(tcb, payload.length);
      }
      sendAck(tcb);
      return;
    }
  }
  // eighth, check the FIN bit: only once everything before it has arrived
  if (tcb.peerFinSeq >= 0 && !tcb.rcvClosed && tcb.rcvNxt === tcb.peerFinSeq) {
    tcb.rcvClosed = true;
    tcb.rcvNxt = seqAdd(tcb.rcvNxt, 1); // the FIN occupies one sequence number
    sendAck(tcb);
    tcb.hooks.readable(tcb);
    switch (tcb.state) {
      case 'SYN_RCVD':
      case 'ESTABLISHED':
        tcb.setState('CLOSE_WAIT');
        break;
      case 'FIN_WAIT_1':
        // "If our FIN has been ACKed (perhaps in this segment), then enter TIME-WAIT"
        if (ourFinAcked(tcb)) tcb.enterTimeWait();
        else tcb.setState('CLOSING');
        break;
      case 'FIN_WAIT_2':
        tcb.enterTimeWait();
        break;
      default:
        break;
    }
  } else if (fin && !tcb.rcvClosed) {
    // a FIN beyond a gap is held until the gap fills; like any out-of-order segment it is
    // answered at once with a duplicate ACK (RFC 5681 §4.2)
    sendAck(tcb);
  }
}

// ===================== handshake helpers =====================

function becomeEstablished(tcb: Tcb): void {
  tcb.cwnd = initialWindow(tcb.sndMss);
  tcb.setState('ESTABLISHED');
  tcb.hooks.established(tcb);
  tcb.armKeepalive();
}

/** Options from the peer's SYN: MSS (RFC 9293 §3.7.1), window scale and timestamps (RFC 7323), SACK (RFC 2018). */
function negotiateOptions(tcb: Tcb, seg: Segment): void {
  const o = seg.options;
  const sc = tcb.sysctl;
  tcb.tsOk = sc.tcp_timestamps === 1 && o.tsVal !== undefined;
  tcb.sackOk = sc.tcp_sack === 1 && o.sackPermitted === true;
  if (tcb.wantWscale >= 0 && o.wscale !== undefined) {
    tcb.sndWscale = Math.min(o.wscale, 14); // RFC 7323 §2.3: values above 14 are used as 14
    tcb.rcvWscale = tcb.wantWscale;
  } else {
    // scaling needs both SYNs to carry the option; our SYN-ACK then carries none either
    tcb.sndWscale = 0;
    tcb.rcvWscale = 0;
    tcb.wantWscale = -1;
  }
  if (tcb.tsOk) {
    tcb.tsRecent = o.tsVal!;
    tcb.tsRecentAge = tcb.now;
  }
  const peerMss = o.mss !== undefined && o.mss > 0 ? o.mss : DEFAULT_MSS;
  tcb.sndMss = Math.max(64, Math.min(peerMss, tcb.advMss) - (tcb.tsOk ? TS_OPTION_BYTES : 0));
}

function sampleHandshakeRtt(tcb: Tcb, seg: Segment): void {
  if (tcb.retransmits > 0) return; // Karn: the SYN was retransmitted, the sample is ambiguous
  if (tcb.tsOk && seg.options.tsEcr) {
    const rtt = seqDiff(tcb.tsNow(), seg.options.tsEcr);
    if (rtt >= 0) tcb.rto.sample(Math.max(rtt, 1));
  }
}

/** RFC 2883 §4: the next ACK's first SACK block names bytes received twice (tcp_dsack, as Linux). */
function noteDuplicate(tcb: Tcb, seq: number, len: number): void {
  if (tcb.sackOk && tcb.sysctl.tcp_dsack) tcb.dsack = [seq, seqAdd(seq, len)];
}

/** RFC 7323 §4.3: remember the peer's newest TSval from a segment that covers Last.ACK.sent. */
function updateTsRecent(tcb: Tcb, seg: Segment, seq: number): void {
  const ts = seg.options.tsVal;
  if (!tcb.tsOk || ts === undefined) return;
  // §5.5: a TS.Recent idle for more than 24 days is invalid; the next TSval replaces it
  const invalid = tcb.tsRecentAge < 0 || tcb.now - tcb.tsRecentAge >= PAWS_IDLE_MS;
  if (seqLe(seq, tcb.lastAckSent) && (invalid || seqGe(ts, tcb.tsRecent))) {
    tcb.tsRecent = ts;
    tcb.tsRecentAge = tcb.now;
  }
}

/** <SEQ=SEG.ACK><CTL=RST> from a connection that has no state for the segment (LISTEN). */
function resetFor(tcb: Tcb, seg: Segment): void {
  emit(tcb, RST, seg.ack, EMPTY);
}
