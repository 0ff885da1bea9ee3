/**
 * The Transmission Control Block: one connection's state machine, RFC 9293 §3.3 and §3.10.
 *
 * Sans-IO: it never reads a clock, arms a timer or touches a socket. Every entry point is given
 * `now` (ms); what the connection wants done comes back through the `TcbHooks` it was built with
 * (segments to transmit, state transitions, data readable, errors), and `nextDeadline()` says when
 * it next wants `onTimer(now)` called. Segment arrival lives in input.ts, the send path in
 * output.ts, the timers (§3.10.8) in timers.ts, the parts made on first use in tcb-parts.ts; this
 * file holds the variables and the user calls (§3.10.1–§3.10.6).
 */
import type { Segment } from '../wire/segment.js';
import { createCongestionControl, type CcName, type CongestionControl } from './cc/index.js';
import { newLossCounters, type LossCounters } from './loss-counters.js';
import { RtoEstimator } from './rto.js';
import { TcpNetns } from './ack-throttle.js';
import { TcbParts } from './tcb-parts.js';
import { seqAdd, seqDiff, seqMax } from './seq.js';
import type { TcpState } from './state.js';
import type { TcbStatus } from './status.js';
import type { Sysctl } from './sysctl.js';
import { segmentArrives, takeSyn } from './input.js';
import { endAckBatch, sendReset, sendSyn, trySend, windowUpdateIfUseful } from './output.js';
import { activeTimer, armKeepalive, armRetransmit, runTimers, stopTimers } from './timers.js';

/** Linux's TCP_TIMEWAIT_LEN: 2MSL is fixed at 60 s. */
export const TIME_WAIT_MS = 60_000;
/** Delayed ACK timer (Linux's minimum ATO is 40 ms; RFC 1122 allows up to 500 ms, we stay under 200). */
export const DELACK_MS = 40;
/** RFC 6298 §2.1 initial RTO. */
export const INITIAL_RTO_MS = 1000;
/** RFC 9293 §3.7.1: the MSS assumed when the peer sends none. */
export const DEFAULT_MSS = 536;

export type TcbErrorCode =
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  // ICMP errors that abort a connection in SYN_SENT (ip/icmp-tcp.ts, as Linux maps them)
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'ENOPROTOOPT'
  | 'EPROTO'
  | 'EACCES'
  | 'EHOSTDOWN'
  | 'ENONET'
  | 'EOPNOTSUPP';

export interface TcbHooks {
  /** Transmit a segment. The segment object and its payload view are valid during the call only. */
  send(tcb: Tcb, seg: Segment): void;
  transition(tcb: Tcb, from: TcpState, to: TcpState): void;
  /** The three-way handshake completed (entered ESTABLISHED from SYN_SENT or SYN_RCVD). */
  established(tcb: Tcb): void;
  /** In-order data or the peer's FIN became available to read. */
  readable(tcb: Tcb): void;
  /** Acknowledged data freed space in the send buffer. */
  writable(tcb: Tcb): void;
  /** The connection failed; a transition to CLOSED (or LISTEN) follows. */
  error(tcb: Tcb, code: TcbErrorCode): void;
}

export interface TcbOptions {
  sysctl: Sysctl;
  localPort: number;
  remotePort: number;
  /** Initial send sequence number, chosen by the stack (RFC 6528). */
  iss: number;
  /** The MSS we advertise: link MTU minus IP and TCP headers. */
  mss: number;
  /** Added to our clock for timestamp values (RFC 7323 §5.4: random per connection). */
  tsOffset?: number;
  rcvBuf?: number;
  sndBuf?: number;
  noDelay?: boolean;
  /** Congestion control for this connection (TCP_CONGESTION); default the sysctl tcp_congestion_control. */
  congestionControl?: CcName;
  /** Loss-recovery counters shared with the stack; a fresh set when omitted. */
  lossCounters?: LossCounters;
  /** Free-form owner data (the stack's 4-tuple, the socket...). */
  owner?: unknown;
  /** What the stack's connections share (counters, the challenge ACK budget); a private one if omitted. */
  netns?: TcpNetns;
}

export type { TcbStatus } from './status.js';

export type TimerName = 'retransmit' | 'persist' | 'keepalive' | 'delack' | 'timewait' | 'finwait2';

/** The user calls of RFC 9293 §3.10 that can change a state (RELEASE is the kernel's close()). */
export type UserCall = 'open-active' | 'open-passive' | 'send' | 'close' | 'release' | 'abort';

/**
 * What the TCB is acting on, for observers of its transitions: the segment being processed (valid
 * during that call only), the timer that fired ('usertimeout' when TCP_USER_TIMEOUT ran out), the
 * user call, an ICMP error, or a reason the layer above gives (`{ kind, ... }`, e.g. the stack
 * aborting a listener's connections). Set at each entry point; costs nothing when nobody reads it.
 */
export type TcbCause = Segment | TimerName | 'usertimeout' | UserCall | 'icmp' | { readonly kind: string };

/** A TCB's counters (`tcb.stats`) */
export interface TcbStats {
  segsIn: number;
  segsOut: number;
  bytesIn: number;
  bytesOut: number;
  retransSegs: number;
  challengeAcks: number;
  dropped: number;
  ofoDropped: number;
}

/** the receive queue of every TCB that has received nothing yet: empty, and frozen so it stays so */
export class Tcb extends TcbParts {
  state: TcpState = 'CLOSED';
  readonly hooks: TcbHooks;
  readonly sysctl: Sysctl;
  readonly localPort: number;
  readonly remotePort: number;
  owner: unknown;
  /** the `now` of the call in progress */
  now = 0;
  /** what the call in progress is acting on (see TcbCause); null between calls, so no segment is held */
  cause: TcbCause | null = null;

  // --- send sequence variables (RFC 9293 §3.3.1; iss, sndUna, sndNxt, sndMax, sndWl1, sndWl2,
  // sndBufSeq are in TcbVars) ---
  /** peer's window, already scaled */
  sndWnd = 0;
  /** largest window the peer has offered (RFC 5961 §5 MAX.SND.WND, RFC 1122 SWS) */
  maxSndWnd = 0;
  /**
   * The end of the last sub-MSS segment sent (Linux's snd_sml), -1 before any: Nagle holds a small
   * piece only while that segment is unacknowledged (Minshall's variant, output.ts sendData).
   */
  sndSml = -1;
  sndBufLimit: number;

  // --- receive sequence variables (irs, rcvNxt, rcvAdvEdge in TcbVars) ---
  rcvBuf: number;
  /**
   * The most window we offer yet (Linux's rcv_ssthresh): the SYN's offer at first, grown as data
   * arrives (output.ts growRcvWindow) up to `rcvBuf`
   */
  rcvSsthresh: number;
  /** sequence number of the peer's FIN once seen (even out of order), else -1 */
  peerFinSeq = -1;

  // --- negotiated options ---
  /** the MSS we advertise */
  readonly advMss: number;
  /** effective payload per segment we send: min(peer MSS, ours) less option overhead */
  sndMss = DEFAULT_MSS;
  /**
   * Segmentation offload (link/offload.ts gsoMaxBytes): payload bytes one super-segment may carry,
   * which the link cuts into sndMss-sized segments; 0 when the link takes nothing above the MTU
   */
  gsoMax = 0;
  sndWscale = 0;
  rcvWscale = 0;
  wantWscale: number;
  /** when tsRecent was taken (tsOk, sackOk, tsOffset, tsRecent, lastAckSent are in TcbVars) */
  tsRecentAge = -1;
  // (dsack, a D-SACK block for the next ACK, is in TcbVars)

  // --- closing: finQueued, finSeq, passive, orphan (TcbVars) ---

  // --- congestion control (cc/: RFC 5681/6582 NewReno, RFC 9438 CUBIC) and loss recovery ---
  // recover: RFC 6582 recover / RFC 6675 RecoveryPoint (-1: none); inLoss: entered by the RTO (Linux's
  // Loss state); scoreboard, RACK-TLP, PRR for recovery.ts; rackTimeout: ms to RACK's reordering
  // timer; xmitTimer: what tRetransmit is; lastSendTime: for restart after idle (-1: never).
  // RACK, the tail loss probe and PRR are made on first use (rack(), tlp(), prr()): until data is
  // delivered, probed or lost they hold only their initial values, so a connection that has not
  // needed them yet behaves the same without them, and an idle one carries none
  cc: CongestionControl;
  dupAcks = 0;
  // (recover, recoveryStart and rackTimeout are in TcbVars: in the side object once recovery begins)
  xmitTimer: 'rto' | 'tlp' | 'rack' = 'rto';
  lastSendTime = -1;
  readonly loss: LossCounters;

  // --- retransmission (RFC 6298) ---
  rto: RtoEstimator;
  /** consecutive retransmission timeouts without progress */
  retransmits = 0;
  rttStart = -1;

  // --- keepalive (RFC 1122 §4.2.3.6), per connection, Linux's tunables as defaults ---
  /** idle time before the first probe: tcp_keepalive_time unless setKeepAlive gave one */
  get keepIdleMs(): number {
    const ms = this.keepIdleOverride;
    return ms < 0 ? this.sysctl.tcp_keepalive_time * 1000 : ms;
  }
  /** between probes and how many, always the sysctls (no per-socket setting in node:net) */
  get keepIntvlMs(): number {
    return this.sysctl.tcp_keepalive_intvl * 1000;
  }
  get keepCnt(): number {
    return this.sysctl.tcp_keepalive_probes;
  }
  // (probesOut, persistBackoff, persistSince, userTimeoutMs, lastOowAckTime are in TcbVars)
  lastRcvTime = 0;
  /** when the oldest unacknowledged data was first sent without progress since */
  stallSince = -1;
  /** full-sized segments received since our last ACK (ACK every second one, RFC 5681 §4.2) */
  unackedSegs = 0;
  /**
   * The stack is feeding this connection a batch of packets that arrived together: the ACK that
   * in-order data makes due waits for the batch's end (`endInputBatch`), one ACK per batch as
   * Linux's GRO gives it one segment for many
   */
  inputBatch = false;
  /**
   * The segment being processed came in a packet its link handed over for good (`inputBatch` with
   * `owned`): a large payload is kept as a view into it instead of being copied
   */
  inputOwned = false;

  // --- timers: absolute deadlines, Infinity when off ---
  // (tPersist, tKeepalive, tTimeWait, tFinWait2 are in TcbVars)
  tRetransmit = Infinity;
  tDelack = Infinity;

  /** the stack's shared counters and challenge ACK budget */
  readonly netns: TcpNetns;

  // --- counters, for STATUS and metrics (in the TCB itself rather than an object of their own) ---
  nSegsIn = 0;
  nSegsOut = 0;
  nBytesIn = 0;
  nBytesOut = 0;
  // (nRetransSegs, nChallengeAcks, nDropped, nOfoDropped are in TcbVars: rarely other than 0)

  /** the counters as one record (a copy, taken when read) */
  get stats(): TcbStats {
    return {
      segsIn: this.nSegsIn,
      segsOut: this.nSegsOut,
      bytesIn: this.nBytesIn,
      bytesOut: this.nBytesOut,
      retransSegs: this.nRetransSegs,
      challengeAcks: this.nChallengeAcks,
      dropped: this.nDropped,
      ofoDropped: this.nOfoDropped,
    };
  }

  constructor(hooks: TcbHooks, opts: TcbOptions) {
    super();
    this.hooks = hooks;
    this.sysctl = opts.sysctl;
    this.localPort = opts.localPort;
    this.remotePort = opts.remotePort;
    this.owner = opts.owner;
    this.netns = opts.netns ?? new TcpNetns();
    this.iss = opts.iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = seqAdd(this.iss, 1);
    this.sndBufSeq = seqAdd(this.iss, 1);
    this.advMss = opts.mss;
    this.tsOffset = (opts.tsOffset ?? 0) >>> 0;
    this.rcvBuf = opts.rcvBuf ?? opts.sysctl.tcp_rmem[1];
    // a SYN's window is never scaled (RFC 7323 §2.2): what it offers is where the offer starts
    this.rcvSsthresh = Math.min(this.rcvBuf, 0xffff);
    this.sndBufLimit = opts.sndBuf ?? opts.sysctl.tcp_wmem[1];
    if (opts.noDelay) this.noDelay = true;
    this.wantWscale = opts.sysctl.tcp_window_scaling ? windowScaleFor(opts.sysctl.tcp_rmem[2]) : -1;
    this.rto = new RtoEstimator(opts.sysctl.tcp_rto_min_us / 1000, opts.sysctl.tcp_rto_max_ms, INITIAL_RTO_MS);
    this.cc = createCongestionControl(opts.congestionControl ?? opts.sysctl.tcp_congestion_control);
    this.loss = opts.lossCounters ?? newLossCounters();
  }

  /** congestion window and slow-start threshold in bytes: the algorithm's */
  get cwnd(): number { return this.cc.cwnd; }
  set cwnd(v: number) { this.cc.cwnd = v; }
  get ssthresh(): number { return this.cc.ssthresh; }
  set ssthresh(v: number) { this.cc.ssthresh = v; }

  /** TCP_CONGESTION: switch algorithms; the window carries over, the algorithm's state starts afresh. */
  setCongestionControl(name: CcName): void {
    if (name === this.cc.name) return;
    const { cwnd, ssthresh } = this.cc;
    this.cc = Object.assign(createCongestionControl(name), { cwnd, ssthresh });
  }

  // ===================== user calls (RFC 9293 §3.10.1–§3.10.6) =====================

  /** OPEN, active (§3.10.1): send SYN, enter SYN_SENT. */
  openActive(now: number, cause: UserCall = 'open-active'): void {
    this.now = now;
    this.cause = cause;
    this.setState('SYN_SENT');
    this.sndNxt = seqAdd(this.iss, 1);
    sendSyn(this, false);
    this.armRetransmit();
  }

  /** OPEN, passive (§3.10.1): enter LISTEN and wait for a SYN. */
  openPassive(now: number): void {
    this.now = now;
    this.cause = 'open-passive';
    this.passive = true;
    this.setState('LISTEN');
  }

  /**
   * Rebuild a passive connection from a validated SYN cookie: the state a SYN and our stateless
   * SYN-ACK (which advertised `advertisedWindow`) would have left, i.e. LISTEN → SYN_RCVD. The
   * ACK that carried the cookie is then processed as usual.
   */
  restoreFromCookie(now: number, syn: Segment, advertisedWindow: number): void {
    this.openPassive(now);
    takeSyn(this, syn);
    this.rcvAdvEdge = seqAdd(this.rcvNxt, advertisedWindow);
  }

  /** SEND on a LISTEN connection with the remote now known (§3.10.2): LISTEN → SYN_SENT. */
  connectFromListen(now: number): void {
    this.passive = false;
    this.openActive(now, 'send');
  }

  /** Room left in the send buffer. */
  get sendSpace(): number {
    return Math.max(0, this.sndBufLimit - this.sendQueued);
  }

  /**
   * SEND (§3.10.2): queue bytes. Returns the number accepted (all of them: the send buffer is a
   * soft limit the caller watches through `sendSpace` and the writable hook). Throws nothing;
   * the caller checks `canSend` first.
   */
  send(data: Uint8Array, now: number, more = false): number {
    this.now = now;
    this.sendBuf.push(data);
    // `more`: the caller is about to CLOSE (or write again) at once; hold the bytes so the FIN can
    // ride on the last data segment, as Linux's corking does
    if (!more && this.state !== 'SYN_SENT' && this.state !== 'SYN_RCVD') trySend(this);
    return data.length;
  }

  /** Whether SEND is allowed in this state (§3.10.2: not after CLOSE). */
  get canSend(): boolean {
    return (
      !this.finQueued &&
      (this.state === 'SYN_SENT' ||
        this.state === 'SYN_RCVD' ||
        this.state === 'ESTABLISHED' ||
        this.state === 'CLOSE_WAIT')
    );
  }

  /** Bytes ready to read. */
  get readable(): number {
    return this.readQueue.length;
  }

  /** RECEIVE (§3.10.3): take up to `max` bytes; the freed space may open the window. */
  receive(max: number, now: number): Uint8Array[] {
    this.now = now;
    const chunks = this.readQueue.take(max);
    if (chunks.length > 0) windowUpdateIfUseful(this);
    return chunks;
  }

  /** CLOSE (§3.10.4): half-close our direction. A FIN follows everything already queued. */
  close(now: number, cause: UserCall = 'close'): void {
    this.now = now;
    this.cause = cause;
    switch (this.state) {
      case 'LISTEN':
      case 'SYN_SENT':
        this.toClosed();
        return;
      case 'SYN_RCVD':
      case 'ESTABLISHED':
      case 'CLOSE_WAIT':
        if (this.finQueued) return;
        this.finQueued = true;
        this.finSeq = seqAdd(this.sndBufSeq, this.sendQueued);
        this.setState(this.state === 'CLOSE_WAIT' ? 'LAST_ACK' : 'FIN_WAIT_1');
        trySend(this);
        return;
      default:
        // §3.10.4: "error: connection closing" — already closing; nothing more to do.
        return;
    }
  }

  /**
   * The owner lets go of the connection (the kernel's close() on a socket). With unread data the
   * connection is reset (RFC 2525 §2.17, as Linux does); otherwise it closes and lives on as an
   * orphan bounded by tcp_orphan_retries and tcp_fin_timeout.
   */
  release(now: number): void {
    this.now = now;
    this.cause = 'release';
    this.orphan = true;
    if (this.readQueue.length > 0 || this.reassemblyBytes > 0) {
      this.abort(now, 'release');
      return;
    }
    this.close(now, 'release');
    if (this.state === 'FIN_WAIT_2') this.tFinWait2 = now + this.sysctl.tcp_fin_timeout * 1000;
  }

  /** ABORT (§3.10.5): send RST (in synchronized states) and go to CLOSED. */
  abort(now: number, cause: TcbCause = 'abort'): void {
    this.now = now;
    this.cause = cause;
    switch (this.state) {
      case 'SYN_RCVD':
      case 'ESTABLISHED':
      case 'FIN_WAIT_1':
      case 'FIN_WAIT_2':
      case 'CLOSE_WAIT':
        sendReset(this);
        break;
      default:
        break;
    }
    this.toClosed();
  }

  /** STATUS (§3.10.6). */
  status(now: number): TcbStatus {
    const timer = this.activeTimer();
    return {
      state: this.state,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndWnd: this.sndWnd,
      rcvNxt: this.rcvNxt,
      rcvWnd: Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt)),
      sendQueue: this.sendQueued,
      recvQueue: this.readQueue.length,
      mss: this.sndMss,
      rto: this.rto.rto,
      srtt: this.rto.srtt,
      cwnd: this.cwnd,
      ssthresh: this.ssthresh,
      congestionControl: this.cc.name,
      retransmits: this.retransmits,
      timer: timer ? { name: timer[0], ms: Math.max(0, timer[1] - now) } : null,
    };
  }

  // ===================== keepalive and options =====================

  setKeepAlive(enable: boolean, idleMs: number | undefined, now: number): void {
    this.now = now;
    this.keepAlive = enable;
    if (idleMs !== undefined && idleMs > 0) this.keepIdleOverride = idleMs;
    this.probesOut = 0;
    this.armKeepalive();
  }

  /**
   * The path MTU fell (ICMP fragmentation needed, RFC 1191 §6.1; ICMPv6 packet too big, RFC 8201
   * §4): `mss` is the new MTU less the IP and TCP headers. Later segments fit it, and what is in
   * flight, which was dropped on the way, is sent again at once at the new size (Linux's
   * tcp_simple_retransmit), without a congestion response. Returns false if nothing changed.
   */
  reduceMss(mss: number, now: number): boolean {
    this.now = now;
    const eff = Math.max(64, mss - (this.tsOk ? 12 : 0));
    if (eff >= this.sndMss) return false;
    this.sndMss = eff;
    const s = this.state;
    const synchronized = s === 'ESTABLISHED' || s === 'CLOSE_WAIT' || s === 'FIN_WAIT_1' || s === 'CLOSING' || s === 'LAST_ACK';
    // only data can have been too big: go back to the first unacknowledged byte of data, never
    // over an unacknowledged SYN (a CLOSE in SYN_RCVD leaves FIN_WAIT_1 with the SYN-ACK still
    // unacknowledged; pulling SND.NXT back to SND.UNA there once left an orphan with no timer)
    const dataStart = seqMax(this.sndUna, this.sndBufSeq);
    const dataInFlight = Math.min(this.sendQueued, seqDiff(this.sndNxt, this.sndBufSeq));
    if (synchronized && dataInFlight > 0) {
      this.rttStart = -1; // Karn's rule
      // with SACK the scoreboard resends the oversized segments (whatever was SACKed arrived)
      if (this.sackOk) this.board.markLostLargerThan(eff);
      else this.sndNxt = dataStart;
      trySend(this);
    }
    return true;
  }

  // ===================== segment arrival and timers =====================

  /** SEGMENT ARRIVES (§3.10.7). */
  segmentArrives(seg: Segment, now: number): void {
    this.now = now;
    this.cause = seg;
    segmentArrives(this, seg);
    this.cause = null;
  }

  /** The end of an input batch (`inputBatch`): the ACK that in-order data made due goes now. */
  endInputBatch(now: number): void {
    this.inputBatch = false;
    if (this.unackedSegs < 2) return;
    this.now = now;
    endAckBatch(this);
  }

  /** Earliest time this connection wants `onTimer`. */
  nextDeadline(): number {
    const t = Math.min(this.tRetransmit, this.tDelack);
    const r = this.rare;
    return r === null ? t : Math.min(t, r.persist, r.keepalive, r.timeWait, r.finWait2);
  }

  /** TIMEOUTS (§3.10.8): run every timer that is due (timers.ts). */
  onTimer(now: number): void {
    runTimers(this, now);
  }

  /** The timer `ss -o` would show: the most significant one running. */
  activeTimer(): [TimerName, number] | null {
    return activeTimer(this);
  }

  // ===================== internal helpers shared by input.ts and output.ts =====================

  setState(to: TcpState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.hooks.transition(this, from, to);
  }

  /** Delete the TCB (§3.10.7: "enter the CLOSED state, delete the TCB"). */
  toClosed(): void {
    this.stopTimers();
    this.setState('CLOSED');
  }

  /**
   * A passive OPEN's half-open connection failed (RST or SYN in SYN_RCVD, §3.10.7.4; or the SYN-ACK
   * was never acknowledged): back to LISTEN, the user not informed. What the failed attempt
   * negotiated or backed off is forgotten, so the next SYN is answered afresh.
   */
  returnToListen(): void {
    this.stopTimers();
    this.retransmits = 0;
    this.rto.resetBackoff();
    this.wantWscale = this.sysctl.tcp_window_scaling ? windowScaleFor(this.sysctl.tcp_rmem[2]) : -1;
    this.setState('LISTEN');
  }

  fail(code: TcbErrorCode): void {
    this.stopTimers();
    this.hooks.error(this, code);
    this.setState('CLOSED');
  }

  enterTimeWait(): void {
    this.stopTimers();
    this.tTimeWait = this.now + TIME_WAIT_MS;
    this.setState('TIME_WAIT');
  }

  stopTimers(): void {
    stopTimers(this);
  }

  armRetransmit(): void {
    armRetransmit(this);
  }

  armKeepalive(): void {
    armKeepalive(this);
  }

  /** Our timestamp clock (ms granularity, RFC 7323 §5.4). */
  tsNow(): number {
    return (Math.floor(this.now) + this.tsOffset) >>> 0;
  }
}

/** The smallest shift that lets a window of `maxBuf` bytes fit the 16-bit field (RFC 7323 §2.3, ≤ 14). */
export function windowScaleFor(maxBuf: number): number {
  let s = 0;
  while (s < 14 && maxBuf >> s > 0xffff) s++;
  return s;
}
