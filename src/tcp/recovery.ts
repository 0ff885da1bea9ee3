/**
 * Loss recovery on the ACK path of a connection that negotiated SACK: the RFC 6675 scoreboard fed
 * by every ACK, loss detected by RACK (RFC 8985, Linux's default) or by RFC 6675's DupAck/IsLost
 * rules (tcp_recovery = 0), recovery sending paced by PRR (RFC 6937), the tail loss probe, and the
 * timers that stand in for the retransmission timer (the probe timeout, RACK's reordering timer).
 * Without SACK the sender keeps RFC 6582 NewReno with Limited Transmit (input.ts).
 */
import type { Segment } from '../wire/segment.js';
import { DUP_THRESH, type AckResult, type TxSegment } from './scoreboard.js';
import { Tlp } from './rack.js';
import type { AckSample } from './cc/types.js';
import { retransmitRange, sendNewSegment, trySend } from './output.js';
import { seqAdd, seqDiff, seqGe, seqMax } from './seq.js';
import type { Tcb } from './tcb.js';

/** tcp_recovery bits (Linux's TCP_RACK_LOSS_DETECTION, TCP_RACK_STATIC_REO_WND) */
const RACK_LOSS_DETECTION = 0x1;
const RACK_STATIC_REO_WND = 0x2;
const RACK_NO_DUPTHRESH = 0x4;

export function rackEnabled(tcb: Tcb): boolean {
  return tcb.sackOk && (tcb.sysctl.tcp_recovery & RACK_LOSS_DETECTION) !== 0;
}

function highData(tcb: Tcb): number {
  return seqMax(tcb.sndNxt, tcb.sndMax);
}

function flightSize(tcb: Tcb): number {
  return Math.max(0, seqDiff(highData(tcb), tcb.sndUna));
}

/**
 * The FlightSize a multiplicative decrease starts from: what is outstanding, but never more than
 * cwnd. With SACK, SND.NXT − SND.UNA also spans data the receiver already holds; recoveries back to
 * back would otherwise raise ssthresh with every loss (Linux's CUBIC and Reno use cwnd itself,
 * RFC 9438 §4.6 allows it).
 */
function reductionBase(tcb: Tcb): number {
  return Math.min(flightSize(tcb), tcb.cc.cwnd);
}

/** In fast recovery (not after a timeout): PRR paces what is sent. */
export function inFastRecovery(tcb: Tcb): boolean {
  return tcb.recover >= 0 && !tcb.inLoss;
}

/** the sample onSackAck hands the congestion control, refilled for every ACK (cc/ reads it during the call only) */
const ACK_SAMPLE: AckSample = { now: 0, mss: 0, acked: 0, rtt: 0, srtt: 0, ack: 0, sndNxt: 0 };

/** onSackAck's record of what the scoreboard's walk found, refilled for every ACK (nothing keeps it) */
const ACK_RESULT: AckResult = { delivered: 0, newlySacked: 0, dsack: false, dsackSpurious: false, reneged: false };

/** what the walk of an empty scoreboard finds for an ACK without SACK blocks (read only) */
const NOTHING_ACKED: AckResult = Object.freeze({ delivered: 0, newlySacked: 0, dsack: false, dsackSpurious: false, reneged: false });

/**
 * An acceptable ACK on a SACK connection (after SND.UNA has moved to `ack`, when it did).
 * `advanced` says whether it acknowledged new data; `rtt` is its RTT sample in ms or -1.
 */
export function onSackAck(tcb: Tcb, seg: Segment, ack: number, acked: number, rtt: number): void {
  const now = tcb.now;
  const advanced = acked > 0;
  newestRtt = -1;
  const blocks = seg.options.sack;
  // a scoreboard not made yet is empty: without SACK blocks its walk would find nothing (the
  // handshake's ACK, an idle connection's keepalive), so none is made for it
  const res =
    tcb.boardIfAny === null && (blocks === undefined || blocks.length < 2)
      ? NOTHING_ACKED
      : tcb.board.onAck(ack, blocks, deliveredSack, tcb, ACK_RESULT);
  const segRtt = newestRtt;
  if (rtt >= 0) tcb.rack.rttSample(rtt);
  // without timestamps every ACK still times the newest segment it delivers (Karn: never a
  // retransmitted one), as Linux's skb timestamps do: HyStart++ needs a sample per ACK
  if (rtt < 0) rtt = segRtt;
  // a probe's state exists once a probe was sent; before that none is outstanding
  const tlp = tcb.tlpIfAny;
  if (res.dsack) {
    tcb.loss.dsacksReceived++;
    if (res.dsackSpurious) tcb.loss.spuriousRetransmits++;
    tcb.rack.onDsack(tcb.sndUna, highData(tcb));
    tlp?.onDsack();
  }
  if (res.reneged) tcb.loss.renegings++;
  // RFC 8985 §7.4: a probe that repaired a loss gets the response any loss gets
  if (tlp !== null && tlp.onAck(ack) && tcb.recover < 0) {
    tcb.cc.onCongestion(now, reductionBase(tcb), tcb.sndMss);
    tcb.cc.onRecoveryEnd(now, tcb.sndMss);
  }
  // RFC 6675 §2 DupAck: an ACK carrying SACK information for new data counts, whatever its window;
  // a cumulative ACK resets the count (§5)
  if (advanced) tcb.dupAcks = 0;
  else if (res.newlySacked > 0) tcb.dupAcks++;

  // end of recovery: the cumulative ACK reached the recovery point (RFC 6675 §5 (A), RFC 6582)
  const ended = tcb.recover >= 0 && seqGe(ack, tcb.recover);
  if (ended) endRecovery(tcb);

  detectLosses(tcb);
  if (tcb.recover < 0 && lossDetected(tcb)) enterRecovery(tcb);

  if (inFastRecovery(tcb)) {
    // RFC 6937: cwnd = pipe + sndcnt
    const pipe = tcb.board.pipe();
    tcb.cc.cwnd = pipe + tcb.prr.onAck(res.delivered, pipe, tcb.cc.ssthresh, tcb.sndMss);
  } else if (advanced && !ended) {
    // slow start and congestion avoidance, also after a timeout (slow start back to ssthresh)
    const sample = ACK_SAMPLE;
    sample.now = now;
    sample.mss = tcb.sndMss;
    sample.acked = acked;
    sample.rtt = rtt;
    sample.srtt = tcb.rto.srtt;
    sample.ack = ack;
    sample.sndNxt = highData(tcb);
    tcb.cc.onAck(sample);
  }
}

/**
 * Without SACK the scoreboard only follows the cumulative ACK (and times segments as above).
 * Returns the RTT of the newest never-retransmitted segment it acknowledges, or -1.
 */
export function ackScoreboard(tcb: Tcb, ack: number): number {
  newestRtt = -1;
  // an empty scoreboard (never made: no data sent yet) has nothing to acknowledge
  tcb.boardIfAny?.onAck(ack, undefined, delivered, tcb);
  return newestRtt;
}

/**
 * What the scoreboard's walk of one ACK found: the RTT of the newest never-retransmitted segment it
 * delivered (Karn), or -1. Module state rather than a closure per ACK; the walk calls nothing else.
 */
let newestRtt = -1;

function delivered(s: TxSegment, tcb: Tcb): void {
  if (s.retrans === 0) newestRtt = tcb.now - s.xmit;
}

/** On a SACK connection RACK also sees each segment delivered (RFC 8985 §6.2 step 2). */
function deliveredSack(s: TxSegment, tcb: Tcb): void {
  tcb.rack.onDelivered(s, tcb.now);
  if (s.retrans === 0) newestRtt = tcb.now - s.xmit;
}

/** RACK (RFC 8985 §6.2 step 5) or, with RACK off, RFC 6675's DupThresh/IsLost rule. */
function detectLosses(tcb: Tcb): void {
  tcb.rackTimeout = 0;
  if (tcb.boardLength === 0) return;
  if (rackEnabled(tcb)) {
    const bits = tcb.sysctl.tcp_recovery;
    // nothing delivered yet: RACK has no reference segment and deems nothing lost
    const rack = tcb.rackIfAny;
    if (rack === null) return;
    const reo = rack.reoWnd(tcb.recover >= 0, tcb.board.sackedSegs, tcb.rto.srtt, (bits & RACK_STATIC_REO_WND) !== 0, (bits & RACK_NO_DUPTHRESH) !== 0);
    tcb.rackTimeout = rack.detectLoss(tcb.board, tcb.now, reo);
    return;
  }
  // RFC 6675 §5: recovery starts at DupThresh DupAcks, or when IsLost(HighACK + 1); once in it,
  // every segment IsLost says is lost is retransmitted (NextSeg rule 1)
  if (tcb.recover >= 0 || tcb.dupAcks >= DUP_THRESH || tcb.board.isLost(tcb.sndUna, tcb.sndMss)) {
    tcb.board.markLostByDupThresh(tcb.sndMss);
  }
}

/** A segment awaits retransmission because of congestion (not because the path MTU fell). */
function lossDetected(tcb: Tcb): boolean {
  // an empty scoreboard (not made yet) holds nothing lost
  const seg = tcb.boardIfAny?.nextLost();
  return seg !== undefined && seg.lostBy !== 'mtu';
}

/** RFC 6675 §5 (4) / RFC 6937: RecoveryPoint = HighData, the multiplicative decrease, PRR begins. */
function enterRecovery(tcb: Tcb): void {
  tcb.recover = highData(tcb);
  tcb.inLoss = false;
  tcb.recoveryStart = tcb.now;
  tcb.loss.recoveries++;
  tcb.cc.onCongestion(tcb.now, reductionBase(tcb), tcb.sndMss);
  // RFC 6937: RecoverFS = snd.nxt − snd.una, the FlightSize at the start of recovery
  tcb.prr.start(flightSize(tcb));
  const tlp = tcb.tlpIfAny;
  if (tlp !== null) tlp.endSeq = -1;
}

function endRecovery(tcb: Tcb): void {
  // after a fast recovery the window is ssthresh (RFC 6675 §5, RFC 6937 §3); after a timeout slow
  // start simply continues
  if (!tcb.inLoss) tcb.cc.onRecoveryEnd(tcb.now, tcb.sndMss);
  tcb.loss.recoveryMs += tcb.now - tcb.recoveryStart;
  tcb.recover = -1;
  tcb.inLoss = false;
  tcb.rackIfAny?.onRecoveryEnd();
}

/**
 * The retransmission timer fired on a SACK connection (RFC 6675 §5.1, RFC 8985 §6.3): every
 * segment not SACKed is deemed lost and resent in order as the window allows; SACKed segments are
 * not sent again (the scoreboard forgot them if the receiver reneged).
 */
export function onSackTimeout(tcb: Tcb, first: boolean): void {
  tcb.cc.onRto(tcb.now, reductionBase(tcb), tcb.sndMss, first);
  tcb.board.markAllLost();
  if (tcb.recover < 0) tcb.recoveryStart = tcb.now;
  tcb.recover = highData(tcb);
  tcb.inLoss = true;
  tcb.dupAcks = 0;
  const tlp = tcb.tlpIfAny;
  if (tlp !== null) tlp.endSeq = -1;
}

/** Retransmit what the scoreboard deems lost, as far as the window allows (RFC 6675 NextSeg (1)). */
export function sendLost(tcb: Tcb): void {
  const board = tcb.board;
  for (let guard = 0; guard < 10_000; guard++) {
    const seg = board.nextLost();
    if (seg === undefined) return;
    const len = Math.min(seqDiff(seg.end, seg.start), tcb.sndMss);
    if (tcb.cc.cwnd - board.pipe() < len) return;
    const kind = seg.lostBy;
    retransmitRange(tcb, seg.start, len, kind === 'mtu' ? undefined : kind);
  }
}

/** Bytes the congestion window leaves for new data on a SACK connection: cwnd − pipe. */
export function sackSendBudget(tcb: Tcb): number {
  return tcb.cc.cwnd - tcb.boardPipe();
}

/**
 * After an ACK or after sending: put the right timer on tRetransmit. RACK's reordering timer
 * when a segment awaits its reordering window; else the tail loss probe when RFC 8985 §7.2
 * allows one (SACK and RACK on, tcp_early_retrans ≥ 3, nothing SACKed, not recovering, no probe
 * outstanding); else the retransmission timer as armed.
 */
export function armLossTimer(tcb: Tcb): void {
  if (!tcb.sackOk || tcb.tRetransmit === Infinity || tcb.sndUna === highData(tcb)) return;
  if (tcb.rackTimeout > 0) {
    tcb.tRetransmit = tcb.now + tcb.rackTimeout;
    tcb.xmitTimer = 'rack';
    return;
  }
  if (
    rackEnabled(tcb) &&
    tcb.sysctl.tcp_early_retrans >= 3 &&
    tcb.recover < 0 &&
    !(tcb.tlpIfAny?.outstanding ?? false) &&
    tcb.boardSackedSegs === 0 &&
    tcb.retransmits === 0
  ) {
    const oneSegment = flightSize(tcb) <= tcb.sndMss;
    tcb.tRetransmit = tcb.now + Tlp.pto(tcb.rto.srtt, tcb.rto.hasSample, oneSegment, tcb.rto.rto);
    tcb.xmitTimer = 'tlp';
    return;
  }
  // a probe or reordering timer that no longer applies gives way to the retransmission timer
  if (tcb.xmitTimer !== 'rto') tcb.armRetransmit();
}

/**
 * RFC 8985 §7.3: the probe timeout fired. Send one segment of new data if the windows allow,
 * else retransmit the last segment sent; then the retransmission timer takes over.
 */
export function onProbeTimer(tcb: Tcb): void {
  const isRetrans = !sendNewSegment(tcb);
  if (isRetrans) {
    const last = tcb.board.lastUnsacked();
    if (last === undefined) {
      tcb.armRetransmit();
      return;
    }
    const len = Math.min(seqDiff(last.end, last.start), tcb.sndMss);
    retransmitRange(tcb, seqAdd(last.end, -len), len, 'tlp');
  }
  tcb.loss.tlpProbes++;
  tcb.tlp.sent(highData(tcb), isRetrans);
  tcb.armRetransmit();
}

/** RFC 8985 §6.3: RACK's reordering timer fired: detect again, and recover what is now lost. */
export function onReorderTimer(tcb: Tcb): void {
  tcb.armRetransmit();
  detectLosses(tcb);
  if (tcb.recover < 0 && lossDetected(tcb)) {
    enterRecovery(tcb);
    // the first ACK-less step of PRR: the fast retransmit goes at once
    const pipe = tcb.board.pipe();
    tcb.cc.cwnd = pipe + tcb.prr.onAck(0, pipe, tcb.cc.ssthresh, tcb.sndMss);
  }
  trySend(tcb);
  armLossTimer(tcb);
}
