/**
 * The SACK scoreboard (RFC 6675 §3, RFC 2018): every segment sent and not yet cumulatively
 * acknowledged, with what the receiver's SACK blocks said of it, when it was last sent (for
 * RACK, RFC 8985), and whether it is deemed lost and has been retransmitted since.
 *
 * Sans-IO and independent of the TCB: the send path reports each transmission (`onSend`), the ACK
 * path each cumulative ACK with its SACK blocks (`onAck`). What RFC 6675 defines on top of it is
 * here too: `isLost` (§4 IsLost), `nextLost` (§4 NextSeg rule 1), `pipe` (§4 SetPipe), and the
 * recognition of D-SACK blocks (RFC 2883 §4) and of reneging (RFC 2018 §8, as Linux's
 * tcp_check_sack_reneging: an ACK that stops at the start of data it had SACKed).
 */
import { seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.js';

/** Why a segment was deemed lost: how its retransmission is counted. */
export type LossKind = 'fast' | 'rack' | 'rto' | 'mtu';

export interface TxSegment {
  start: number;
  end: number;
  /** time of the latest (re)transmission */
  xmit: number;
  sacked: boolean;
  /** deemed lost (IsLost, RACK or a timeout) */
  lost: boolean;
  /** retransmitted since it was deemed lost: in flight again */
  rxOut: boolean;
  /** times retransmitted */
  retrans: number;
  lostBy: LossKind;
}

export interface AckResult {
  /** RFC 6937 DeliveredData: bytes newly acknowledged cumulatively plus bytes newly SACKed */
  delivered: number;
  newlySacked: number;
  /** the first SACK block reported a duplicate (RFC 2883) */
  dsack: boolean;
  /** ...of data we had retransmitted: the retransmission was spurious */
  dsackSpurious: boolean;
  /** the receiver discarded data it had SACKed */
  reneged: boolean;
}

/** RFC 6675 §5 DupThresh */
export const DUP_THRESH = 3;
/** retransmitted ranges remembered after their cumulative ACK, to recognise a D-SACK of them */
const RECENT_RETRANS = 32;

/** shared by every empty scoreboard (frozen: a push throws), so idle connections allocate no array */
const NONE: TxSegment[] = Object.freeze([]) as unknown as TxSegment[];

/**
 * Segments cumulatively acknowledged, for any scoreboard's onSend to fill again instead of making
 * one: a short connection's few segments (SYN, request, FIN) are each a new object otherwise
 */
const spare: TxSegment[] = [];
const SPARE_MAX = 256;

export class Scoreboard {
  private segs: TxSegment[] = NONE;
  private head = 0;
  /** bytes in flight by RFC 6675's SetPipe: not SACKed, and not lost unless retransmitted since */
  private inFlight = 0;
  sackedBytes = 0;
  /** segments currently SACKed (RACK.segs_sacked) */
  sackedSegs = 0;
  private recent: number[] = NONE as unknown as number[];

  get length(): number {
    return this.segs.length - this.head;
  }

  at(i: number): TxSegment {
    return this.segs[this.head + i]!;
  }

  /** RFC 6675 §4 SetPipe: the sender's estimate of bytes outstanding in the network. */
  pipe(): number {
    return this.inFlight;
  }

  /** A transmission of [start, end): new data is appended; data already held is a retransmission. */
  onSend(start: number, end: number, now: number): void {
    const last = this.length > 0 ? this.at(this.length - 1) : undefined;
    if (last === undefined || seqGe(start, last.end)) {
      let seg = spare.pop();
      if (seg === undefined) seg = { start, end, xmit: now, sacked: false, lost: false, rxOut: false, retrans: 0, lostBy: 'fast' };
      else {
        // a record from the spare list, refilled as a new one would be
        seg.start = start;
        seg.end = end;
        seg.xmit = now;
        seg.sacked = false;
        seg.lost = false;
        seg.rxOut = false;
        seg.retrans = 0;
        seg.lostBy = 'fast';
      }
      // an empty board's first segment: an array of one (a push onto [] would grow it to 17 slots,
      // and most flights of a short connection are one segment: a SYN, a request, a FIN)
      if (this.segs === NONE) this.segs = [seg];
      else this.segs.push(seg);
      this.inFlight += seqDiff(end, start);
      return;
    }
    // a retransmission: split at its edges so each segment has one transmission time
    for (let i = this.split(start); i < this.length; i++) {
      const seg = this.at(i);
      if (seqGe(seg.start, end)) break;
      if (seqGt(seg.end, end)) this.splitAt(i, end);
      const before = this.weight(seg);
      seg.xmit = now;
      seg.retrans++;
      if (seg.lost) seg.rxOut = true;
      this.inFlight += this.weight(seg) - before;
    }
    // the piece may reach past anything sent before (the FIN, a held-back small write)
    const tail = this.at(this.length - 1);
    if (seqGt(end, tail.end)) this.onSend(tail.end, end, now);
  }

  /**
   * A cumulative ACK of everything before `ack` with flat SACK blocks [l0, r0, l1, r1, ...].
   * `delivered` is called for each segment newly acknowledged or SACKed that had not been SACKed
   * before, in the order RACK wants them (RFC 8985 §6.2 step 2 takes each), with `ctx` (so that a
   * caller needs no closure per ACK). The result is written into `res` when given (a caller's
   * record, reused from ACK to ACK), else into a new one.
   */
  onAck<C>(ack: number, blocks: readonly number[] | undefined, delivered: (seg: TxSegment, ctx: C) => void, ctx?: C, res?: AckResult): AckResult {
    if (res === undefined) res = { delivered: 0, newlySacked: 0, dsack: false, dsackSpurious: false, reneged: false };
    else {
      res.delivered = 0;
      res.newlySacked = 0;
      res.dsack = false;
      res.dsackSpurious = false;
      res.reneged = false;
    }
    let first = 0;
    if (blocks && blocks.length >= 2) {
      // RFC 2883 §4: the first block is a D-SACK when it lies below the cumulative ACK or inside the second block
      const l0 = blocks[0]!;
      const r0 = blocks[1]!;
      const inSecond = blocks.length >= 4 && seqGe(l0, blocks[2]!) && seqLe(r0, blocks[3]!);
      if (seqLe(r0, ack) || inSecond) {
        res.dsack = true;
        res.dsackSpurious = this.wasRetransmitted(l0, r0);
        first = 2;
      }
      for (let b = first; b + 1 < blocks.length; b += 2) this.markSacked(blocks[b]!, blocks[b + 1]!, ack, res, delivered, ctx as C);
    }
    // cumulative acknowledgment: drop what it covers
    while (this.length > 0 && seqLe(this.at(0).end, ack)) {
      const seg = this.at(0);
      this.inFlight -= this.weight(seg);
      if (seg.sacked) {
        this.sackedBytes -= seqDiff(seg.end, seg.start);
        this.sackedSegs--;
      } else {
        res.delivered += seqDiff(seg.end, seg.start);
        delivered(seg, ctx as C);
      }
      if (seg.retrans > 0) this.remember(seg.start, seg.end);
      this.head++;
      // nothing reads a segment once cumulatively acknowledged (its slot below `head` is never read)
      if (spare.length < SPARE_MAX) spare.push(seg);
    }
    if (this.length > 0 && seqLt(this.at(0).start, ack)) {
      // part of a segment: the receiver took a piece of it
      const seg = this.at(0);
      const n = seqDiff(ack, seg.start);
      if (!seg.sacked) {
        res.delivered += n;
        if (this.weight(seg) > 0) this.inFlight -= n;
      } else {
        this.sackedBytes -= n;
      }
      seg.start = ack;
    }
    if (this.head > 1024 && this.head * 2 > this.segs.length) {
      this.segs = this.segs.slice(this.head);
      this.head = 0;
    }
    if (this.length === 0) {
      this.segs = NONE;
      this.head = 0;
    }
    // RFC 2018 §8: SACKed data must not be taken as delivered until cumulatively acknowledged; an
    // ACK that stops right where SACKed data begins means the receiver discarded it
    if (this.length > 0 && this.at(0).sacked && seqLe(this.at(0).start, ack)) {
      res.reneged = true;
      this.forgetSacks();
    }
    return res;
  }

  /**
   * RFC 6675 §4 IsLost(SeqNum): DupThresh discontiguous SACKed segments above it, or more than
   * (DupThresh − 1)·SMSS bytes SACKed above it.
   */
  isLost(seq: number, mss: number): boolean {
    let count = 0;
    let bytes = 0;
    for (let i = this.length - 1; i >= 0; i--) {
      const seg = this.at(i);
      if (seqLe(seg.end, seq)) break;
      if (!seg.sacked) continue;
      count++;
      bytes += seqDiff(seg.end, seg.start);
      if (count >= DUP_THRESH || bytes > (DUP_THRESH - 1) * mss) return true;
    }
    return false;
  }

  /** Mark every un-SACKed segment IsLost returns true for (RFC 6675's loss marking). Returns how many became lost. */
  markLostByDupThresh(mss: number): number {
    let n = 0;
    // walk down from the top, counting SACKed segments and bytes above each point
    let count = 0;
    let bytes = 0;
    for (let i = this.length - 1; i >= 0; i--) {
      const seg = this.at(i);
      if (seg.sacked) {
        count++;
        bytes += seqDiff(seg.end, seg.start);
        continue;
      }
      if (count >= DUP_THRESH || bytes > (DUP_THRESH - 1) * mss) {
        if (!seg.lost) {
          this.markLost(seg, 'fast');
          n++;
        }
      }
    }
    return n;
  }

  /** Deem a segment lost (RACK, IsLost or a timeout): it leaves the pipe until retransmitted. */
  markLost(seg: TxSegment, why: LossKind): void {
    if (seg.sacked) return;
    const before = this.weight(seg);
    seg.lost = true;
    seg.rxOut = false;
    seg.lostBy = why;
    this.inFlight += this.weight(seg) - before;
  }

  /**
   * The retransmission timer fired (RFC 6675 §5.1, RFC 8985 §6.3): every segment not SACKed is
   * deemed lost. SACKed segments are kept, and so not sent again, unless the receiver reneged.
   */
  markAllLost(): void {
    for (let i = 0; i < this.length; i++) {
      const seg = this.at(i);
      if (!seg.sacked) this.markLost(seg, 'rto');
    }
  }

  /**
   * The path MTU fell: segments larger than the new MSS were dropped on the way (Linux's
   * tcp_simple_retransmit). They are resent, in pieces, without a congestion response.
   */
  markLostLargerThan(mss: number): void {
    for (let i = 0; i < this.length; i++) {
      const seg = this.at(i);
      if (!seg.sacked && seqDiff(seg.end, seg.start) > mss) this.markLost(seg, 'mtu');
    }
  }

  /** RFC 6675 §4 NextSeg (1): the first segment deemed lost and not yet retransmitted since. */
  nextLost(): TxSegment | undefined {
    for (let i = 0; i < this.length; i++) {
      const seg = this.at(i);
      if (seg.lost && !seg.rxOut && !seg.sacked) return seg;
    }
    return undefined;
  }

  /** The highest segment sent and not SACKed (the tail loss probe retransmits it). */
  lastUnsacked(): TxSegment | undefined {
    for (let i = this.length - 1; i >= 0; i--) if (!this.at(i).sacked) return this.at(i);
    return undefined;
  }

  // ---- internals

  private weight(seg: TxSegment): number {
    return !seg.sacked && (!seg.lost || seg.rxOut) ? seqDiff(seg.end, seg.start) : 0;
  }

  private forgetSacks(): void {
    for (let i = 0; i < this.length; i++) {
      const seg = this.at(i);
      if (!seg.sacked) continue;
      seg.sacked = false;
      this.inFlight += this.weight(seg);
    }
    this.sackedBytes = 0;
    this.sackedSegs = 0;
  }

  private markSacked<C>(l: number, r: number, ack: number, res: AckResult, delivered: (seg: TxSegment, ctx: C) => void, ctx: C): void {
    if (seqLe(r, ack) || seqLe(r, l)) return;
    if (seqLt(l, ack)) l = ack;
    for (let i = this.split(l); i < this.length; i++) {
      const seg = this.at(i);
      if (seqGe(seg.start, r)) break;
      if (seqGt(seg.end, r)) this.splitAt(i, r);
      if (seg.sacked) continue;
      this.inFlight -= this.weight(seg);
      seg.sacked = true;
      const n = seqDiff(seg.end, seg.start);
      this.sackedBytes += n;
      this.sackedSegs++;
      res.newlySacked += n;
      res.delivered += n;
      delivered(seg, ctx);
    }
  }

  /** Index of the first segment starting at or after `seq`, splitting the one that contains it. */
  private split(seq: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqLe(this.at(mid).end, seq)) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.length && seqLt(this.at(lo).start, seq)) {
      this.splitAt(lo, seq);
      return lo + 1;
    }
    return lo;
  }

  /** Split segment i at `seq` (inside it): the second half becomes segment i + 1. */
  private splitAt(i: number, seq: number): void {
    const seg = this.at(i);
    const tail: TxSegment = { ...seg, start: seq };
    seg.end = seq;
    if (seg.sacked) this.sackedSegs++;
    this.segs.splice(this.head + i + 1, 0, tail);
  }

  private remember(start: number, end: number): void {
    if (this.recent.length === 0) this.recent = [];
    this.recent.push(start, end);
    if (this.recent.length > RECENT_RETRANS * 2) this.recent.splice(0, 2);
  }

  private wasRetransmitted(l: number, r: number): boolean {
    for (let i = 0; i + 1 < this.recent.length; i += 2) {
      if (seqLt(l, this.recent[i + 1]!) && seqGt(r, this.recent[i]!)) return true;
    }
    for (let i = 0; i < this.length; i++) {
      const seg = this.at(i);
      if (seqGe(seg.start, r)) break;
      if (seg.retrans > 0 && seqLt(l, seg.end) && seqGt(r, seg.start)) return true;
    }
    return false;
  }
}

