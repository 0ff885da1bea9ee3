/**
 * How a TCB's most numerous variables are stored, so that a connection stays small: the 32-bit
 * sequence numbers of RFC 9293 §3.3.1 and the boolean state. Tcb (tcb.ts) extends this class;
 * everything else reads and writes the variables by their RFC names as plain properties.
 *
 * - A sequence number is an unsigned 32-bit value, but V8 keeps only signed 31/32-bit integers
 *   unboxed (Smis): any field that once held a number of 2^31 or more became a double field, with
 *   a heap-allocated box per field per connection (16 bytes each, and one allocation each when the
 *   TCB is built). Each is stored here as its signed 32-bit twin (`v | 0`) and read back unsigned
 *   (`>>> 0`): the same value for every caller, and no box.
 * - Nine booleans are bits of one field.
 * - What most connections never use — four timers (persist, keepalive, TIME_WAIT, orphaned
 *   FIN_WAIT_2), the probe counters, TCP_USER_TIMEOUT, the last throttled ACK's time — lives in a
 *   small object made when one of them is first set to anything but its initial value; until then
 *   each reads as that value (Infinity, 0 or -1), as the fields did.
 */

/**
 * What most connections never use: four timers as absolute deadlines (Infinity when off), the
 * probe counters, TCP_USER_TIMEOUT, the last throttled ACK's time and a keepalive idle time set
 * per socket (-1: the sysctl's), the counters of retransmissions, challenge ACKs and drops, and
 * the state of a loss recovery and of a D-SACK to send.
 */
class Rare {
  persist = Infinity;
  keepalive = Infinity;
  timeWait = Infinity;
  finWait2 = Infinity;
  probesOut = 0;
  persistBackoff = 0;
  persistSince = -1;
  userTimeoutMs = 0;
  lastOowAckTime = -1;
  keepIdleMs = -1;
  // counters of what goes wrong (Tcb.stats)
  retransSegs = 0;
  challengeAcks = 0;
  dropped = 0;
  ofoDropped = 0;
  // loss recovery (Tcb): a sequence number and times, doubles that would box in every TCB
  recover = -1;
  recoveryStart = 0;
  rackTimeout = 0;
  dsack: [number, number] | null = null;
}

const RCV_CLOSED = 0x1;
const TS_OK = 0x2;
const SACK_OK = 0x4;
const FIN_QUEUED = 0x8;
const PASSIVE = 0x10;
const ORPHAN = 0x20;
const IN_LOSS = 0x40;
const NO_DELAY = 0x80;
const KEEP_ALIVE = 0x100;

export class TcbVars {
  /** the booleans below, as bits */
  protected flags = 0;
  /** the Rare state once any of it was set to other than its initial value, else null (all initial) */
  protected rare: Rare | null = null;
  private iss_ = 0;
  private sndUna_ = 0;
  private sndNxt_ = 0;
  private sndMax_ = 0;
  private sndWl1_ = 0;
  private sndWl2_ = 0;
  private sndBufSeq_ = 0;
  private irs_ = 0;
  private rcvNxt_ = 0;
  private rcvAdvEdge_ = 0;
  private finSeq_ = 0;
  private tsRecent_ = 0;
  private lastAckSent_ = 0;
  private rttSeq_ = 0;
  private tsOffset_ = 0;

  /** ISS: our initial send sequence number */
  get iss(): number {
    return this.iss_ >>> 0;
  }
  set iss(v: number) {
    this.iss_ = v | 0;
  }
  /** SND.UNA: oldest unacknowledged sequence number */
  get sndUna(): number {
    return this.sndUna_ >>> 0;
  }
  set sndUna(v: number) {
    this.sndUna_ = v | 0;
  }
  /** SND.NXT: next sequence number to send */
  get sndNxt(): number {
    return this.sndNxt_ >>> 0;
  }
  set sndNxt(v: number) {
    this.sndNxt_ = v | 0;
  }
  /** highest sequence number sent so far: after a go-back-N retransmission SND.NXT falls below it */
  get sndMax(): number {
    return this.sndMax_ >>> 0;
  }
  set sndMax(v: number) {
    this.sndMax_ = v | 0;
  }
  /** SND.WL1: segment sequence number used for the last window update */
  get sndWl1(): number {
    return this.sndWl1_ >>> 0;
  }
  set sndWl1(v: number) {
    this.sndWl1_ = v | 0;
  }
  /** SND.WL2: segment acknowledgment number used for the last window update */
  get sndWl2(): number {
    return this.sndWl2_ >>> 0;
  }
  set sndWl2(v: number) {
    this.sndWl2_ = v | 0;
  }
  /** sequence number of the first byte in sendBuf */
  get sndBufSeq(): number {
    return this.sndBufSeq_ >>> 0;
  }
  set sndBufSeq(v: number) {
    this.sndBufSeq_ = v | 0;
  }
  /** IRS: the peer's initial sequence number */
  get irs(): number {
    return this.irs_ >>> 0;
  }
  set irs(v: number) {
    this.irs_ = v | 0;
  }
  /** RCV.NXT: next sequence number expected */
  get rcvNxt(): number {
    return this.rcvNxt_ >>> 0;
  }
  set rcvNxt(v: number) {
    this.rcvNxt_ = v | 0;
  }
  /** RCV.NXT + RCV.WND as last advertised: the right edge never moves left (§3.8.6) */
  get rcvAdvEdge(): number {
    return this.rcvAdvEdge_ >>> 0;
  }
  set rcvAdvEdge(v: number) {
    this.rcvAdvEdge_ = v | 0;
  }
  /** sequence number of our FIN once CLOSE queued it */
  get finSeq(): number {
    return this.finSeq_ >>> 0;
  }
  set finSeq(v: number) {
    this.finSeq_ = v | 0;
  }
  /** TS.Recent (RFC 7323 §4.3): the timestamp to echo */
  get tsRecent(): number {
    return this.tsRecent_ >>> 0;
  }
  set tsRecent(v: number) {
    this.tsRecent_ = v | 0;
  }
  /** Last.ACK.sent (RFC 7323 §4.3) */
  get lastAckSent(): number {
    return this.lastAckSent_ >>> 0;
  }
  set lastAckSent(v: number) {
    this.lastAckSent_ = v | 0;
  }
  /** the sequence number whose acknowledgment ends the RTT measurement in progress */
  get rttSeq(): number {
    return this.rttSeq_ >>> 0;
  }
  set rttSeq(v: number) {
    this.rttSeq_ = v | 0;
  }
  /** added to our clock for timestamp values (RFC 7323 §5.4: random per connection) */
  get tsOffset(): number {
    return this.tsOffset_ >>> 0;
  }
  set tsOffset(v: number) {
    this.tsOffset_ = v | 0;
  }
  /** the persist timer (zero-window probes): absolute deadline, Infinity when off */
  get tPersist(): number {
    return this.rare === null ? Infinity : this.rare.persist;
  }
  set tPersist(v: number) {
    if (this.rare === null) {
      if (v === Infinity) return;
      this.rare = new Rare();
    }
    this.rare.persist = v;
  }
  /** the keepalive timer: absolute deadline, Infinity when off */
  get tKeepalive(): number {
    return this.rare === null ? Infinity : this.rare.keepalive;
  }
  set tKeepalive(v: number) {
    if (this.rare === null) {
      if (v === Infinity) return;
      this.rare = new Rare();
    }
    this.rare.keepalive = v;
  }
  /** TIME_WAIT's 2MSL timer: absolute deadline, Infinity when off */
  get tTimeWait(): number {
    return this.rare === null ? Infinity : this.rare.timeWait;
  }
  set tTimeWait(v: number) {
    if (this.rare === null) {
      if (v === Infinity) return;
      this.rare = new Rare();
    }
    this.rare.timeWait = v;
  }
  /** the orphaned FIN_WAIT_2 timer (tcp_fin_timeout): absolute deadline, Infinity when off */
  get tFinWait2(): number {
    return this.rare === null ? Infinity : this.rare.finWait2;
  }
  set tFinWait2(v: number) {
    if (this.rare === null) {
      if (v === Infinity) return;
      this.rare = new Rare();
    }
    this.rare.finWait2 = v;
  }
  /** keepalive or zero-window probes sent without an answer */
  get probesOut(): number {
    return this.rare === null ? 0 : this.rare.probesOut;
  }
  set probesOut(v: number) {
    if (this.rare === null) {
      if (v === 0) return;
      this.rare = new Rare();
    }
    this.rare.probesOut = v;
  }
  /** zero-window probes sent in this stall (the persist timer backs off by it) */
  get persistBackoff(): number {
    return this.rare === null ? 0 : this.rare.persistBackoff;
  }
  set persistBackoff(v: number) {
    if (this.rare === null) {
      if (v === 0) return;
      this.rare = new Rare();
    }
    this.rare.persistBackoff = v;
  }
  /** when the first zero-window probe of this stall went out, -1 when not probing (Linux icsk_probes_tstamp) */
  get persistSince(): number {
    return this.rare === null ? -1 : this.rare.persistSince;
  }
  set persistSince(v: number) {
    if (this.rare === null) {
      if (v === -1) return;
      this.rare = new Rare();
    }
    this.rare.persistSince = v;
  }
  /** TCP_USER_TIMEOUT: ms unacknowledged data may wait before the connection is dropped (0 = off) */
  get userTimeoutMs(): number {
    return this.rare === null ? 0 : this.rare.userTimeoutMs;
  }
  set userTimeoutMs(v: number) {
    if (this.rare === null) {
      if (v === 0) return;
      this.rare = new Rare();
    }
    this.rare.userTimeoutMs = v;
  }
  /** when the last ACK for an invalid segment went out (tcp_invalid_ratelimit), -1 if never */
  get lastOowAckTime(): number {
    return this.rare === null ? -1 : this.rare.lastOowAckTime;
  }
  set lastOowAckTime(v: number) {
    if (this.rare === null) {
      if (v === -1) return;
      this.rare = new Rare();
    }
    this.rare.lastOowAckTime = v;
  }
  /** segments retransmitted (Tcb.stats) */
  get nRetransSegs(): number {
    return this.rare === null ? 0 : this.rare.retransSegs;
  }
  set nRetransSegs(v: number) {
    if (this.rare === null) {
      if (v === 0) return;
      this.rare = new Rare();
    }
    this.rare.retransSegs = v;
  }
  /** challenge ACKs sent (RFC 5961) (Tcb.stats) */
  get nChallengeAcks(): number {
    return this.rare === null ? 0 : this.rare.challengeAcks;
  }
  set nChallengeAcks(v: number) {
    if (this.rare === null) {
      if (v === 0) return;
      this.rare = new Rare();
    }
    this.rare.challengeAcks = v;
  }
  /** segments dropped as unacceptable (Tcb.stats) */
  get nDropped(): number {
    return this.rare === null ? 0 : this.rare.dropped;
  }
  set nDropped(v: number) {
    if (this.rare === null) {
      if (v === 0) return;
      this.rare = new Rare();
    }
    this.rare.dropped = v;
  }
  /** out-of-order segments dropped: the reassembly budget was reached (Tcb.stats) */
  get nOfoDropped(): number {
    return this.rare === null ? 0 : this.rare.ofoDropped;
  }
  set nOfoDropped(v: number) {
    if (this.rare === null) {
      if (v === 0) return;
      this.rare = new Rare();
    }
    this.rare.ofoDropped = v;
  }
  /** RFC 6582 recover / RFC 6675 RecoveryPoint, -1 when not in recovery */
  get recover(): number {
    return this.rare === null ? -1 : this.rare.recover;
  }
  set recover(v: number) {
    if (this.rare === null) {
      if (v === -1) return;
      this.rare = new Rare();
    }
    this.rare.recover = v;
  }
  /** when the current (or last) recovery began */
  get recoveryStart(): number {
    return this.rare === null ? 0 : this.rare.recoveryStart;
  }
  set recoveryStart(v: number) {
    if (this.rare === null) {
      if (v === 0) return;
      this.rare = new Rare();
    }
    this.rare.recoveryStart = v;
  }
  /** ms to RACK's reordering timer (RFC 8985 §6.3), 0 when none */
  get rackTimeout(): number {
    return this.rare === null ? 0 : this.rare.rackTimeout;
  }
  set rackTimeout(v: number) {
    if (this.rare === null) {
      if (v === 0) return;
      this.rare = new Rare();
    }
    this.rare.rackTimeout = v;
  }
  /** a D-SACK block (RFC 2883) for the next ACK: data received twice */
  get dsack(): [number, number] | null {
    return this.rare === null ? null : this.rare.dsack;
  }
  set dsack(v: [number, number] | null) {
    if (this.rare === null) {
      if (v === null) return;
      this.rare = new Rare();
    }
    this.rare.dsack = v;
  }
  /** a keepalive idle time set on this connection (setKeepAlive), -1 when the sysctl's applies */
  protected get keepIdleOverride(): number {
    return this.rare === null ? -1 : this.rare.keepIdleMs;
  }
  protected set keepIdleOverride(v: number) {
    (this.rare ??= new Rare()).keepIdleMs = v;
  }
  /** the peer's FIN has been processed (end of stream) */
  get rcvClosed(): boolean {
    return (this.flags & RCV_CLOSED) !== 0;
  }
  set rcvClosed(v: boolean) {
    this.flags = v ? this.flags | RCV_CLOSED : this.flags & ~RCV_CLOSED;
  }
  /** timestamps (RFC 7323) were negotiated */
  get tsOk(): boolean {
    return (this.flags & TS_OK) !== 0;
  }
  set tsOk(v: boolean) {
    this.flags = v ? this.flags | TS_OK : this.flags & ~TS_OK;
  }
  /** SACK (RFC 2018) was negotiated */
  get sackOk(): boolean {
    return (this.flags & SACK_OK) !== 0;
  }
  set sackOk(v: boolean) {
    this.flags = v ? this.flags | SACK_OK : this.flags & ~SACK_OK;
  }
  /** the user asked to close: a FIN follows the queued data */
  get finQueued(): boolean {
    return (this.flags & FIN_QUEUED) !== 0;
  }
  set finQueued(v: boolean) {
    this.flags = v ? this.flags | FIN_QUEUED : this.flags & ~FIN_QUEUED;
  }
  /** created by a passive OPEN (returns to LISTEN on RST in SYN_RCVD) */
  get passive(): boolean {
    return (this.flags & PASSIVE) !== 0;
  }
  set passive(v: boolean) {
    this.flags = v ? this.flags | PASSIVE : this.flags & ~PASSIVE;
  }
  /** the user has released the connection; it lives on only to finish the close */
  get orphan(): boolean {
    return (this.flags & ORPHAN) !== 0;
  }
  set orphan(v: boolean) {
    this.flags = v ? this.flags | ORPHAN : this.flags & ~ORPHAN;
  }
  /** recovery was entered by the retransmission timeout (Linux's Loss state) */
  get inLoss(): boolean {
    return (this.flags & IN_LOSS) !== 0;
  }
  set inLoss(v: boolean) {
    this.flags = v ? this.flags | IN_LOSS : this.flags & ~IN_LOSS;
  }
  /** TCP_NODELAY: Nagle's algorithm off */
  get noDelay(): boolean {
    return (this.flags & NO_DELAY) !== 0;
  }
  set noDelay(v: boolean) {
    this.flags = v ? this.flags | NO_DELAY : this.flags & ~NO_DELAY;
  }
  /** SO_KEEPALIVE: keepalive probes on (RFC 1122 §4.2.3.6) */
  get keepAlive(): boolean {
    return (this.flags & KEEP_ALIVE) !== 0;
  }
  set keepAlive(v: boolean) {
    this.flags = v ? this.flags | KEEP_ALIVE : this.flags & ~KEEP_ALIVE;
  }
}
