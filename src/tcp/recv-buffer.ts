/**
 * The receive side's two queues: bytes in order waiting for the user to read them, and
 * out-of-order segments waiting for the hole before them to fill (RFC 9293 §3.10.7.4, seventh).
 * Segment payloads arrive as views into packets, so everything kept here is copied.
 */
import { seqAdd, seqDiff, seqGt, seqLe } from './seq.js';

/** shared by every empty queue (frozen, so an accidental push throws): idle connections allocate no array */
const NONE: never[] = Object.freeze([]) as unknown as never[];

export class ReadQueue {
  private chunks: Uint8Array[] = NONE;
  length = 0;

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.chunks === NONE) this.chunks = [];
    this.chunks.push(data);
    this.length += data.length;
  }

  /** Bytes in the first piece held (what one segment brought), 0 when empty. */
  get firstLength(): number {
    return this.chunks.length > 0 ? this.chunks[0]!.length : 0;
  }

  /** Take up to `max` bytes (all when omitted) as chunks. */
  take(max = Infinity): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.chunks.length > 0 && max > 0) {
      const c = this.chunks[0]!;
      if (c.length <= max) {
        out.push(c);
        this.chunks.shift();
        max -= c.length;
        this.length -= c.length;
      } else {
        out.push(c.subarray(0, max));
        this.chunks[0] = c.subarray(max);
        this.length -= max;
        max = 0;
      }
    }
    return out;
  }
}

interface Piece {
  seq: number;
  data: Uint8Array;
}

/** Out-of-order data, kept sorted by sequence number with overlaps trimmed. */
export class Reassembly {
  private pieces: Piece[] = NONE;
  bytes = 0;
  /** most recently received out-of-order block, reported first in SACK (RFC 2018 §4) */
  private lastSeq = -1;

  get empty(): boolean {
    return this.pieces.length === 0;
  }

  /** Keep `data` at `seq` (which lies beyond rcvNxt). Overlapping bytes already held are not stored twice. */
  insert(seq: number, data: Uint8Array): void {
    let start = seq;
    let buf = data;
    let i = 0;
    // skip pieces that end before this one starts
    while (i < this.pieces.length && seqLe(seqAdd(this.pieces[i]!.seq, this.pieces[i]!.data.length), start)) i++;
    const out: Piece[] = [];
    while (buf.length > 0) {
      const p = this.pieces[i];
      if (!p || seqLe(seqAdd(start, buf.length), p.seq)) {
        out.push({ seq: start, data: buf.slice() });
        break;
      }
      if (seqGt(p.seq, start)) {
        const n = seqDiff(p.seq, start);
        out.push({ seq: start, data: buf.slice(0, n) });
        buf = buf.subarray(n);
        start = p.seq;
      }
      // [start, ...) overlaps p: skip what p already holds
      const pEnd = seqAdd(p.seq, p.data.length);
      const skip = Math.min(buf.length, seqDiff(pEnd, start));
      buf = buf.subarray(skip);
      start = seqAdd(start, skip);
      i++;
    }
    for (const piece of out) {
      this.bytes += piece.data.length;
      this.insertSorted(piece);
    }
    this.lastSeq = seq;
  }

  private insertSorted(piece: Piece): void {
    let lo = 0;
    let hi = this.pieces.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqGt(piece.seq, this.pieces[mid]!.seq)) lo = mid + 1;
      else hi = mid;
    }
    if (this.pieces === NONE) this.pieces = [];
    this.pieces.splice(lo, 0, piece);
  }

  /** Remove and return the data that now continues from `rcvNxt`, trimming anything before it. */
  pull(rcvNxt: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let next = rcvNxt;
    while (this.pieces.length > 0) {
      const p = this.pieces[0]!;
      const end = seqAdd(p.seq, p.data.length);
      if (seqLe(end, next)) {
        // wholly old
        this.pieces.shift();
        this.bytes -= p.data.length;
        continue;
      }
      if (seqGt(p.seq, next)) break;
      const skip = seqDiff(next, p.seq);
      out.push(p.data.subarray(skip));
      this.pieces.shift();
      this.bytes -= p.data.length;
      next = end;
    }
    return out;
  }

  /** Up to `max` SACK blocks as flat [left, right] pairs, the most recent block first. */
  sackBlocks(max: number): number[] {
    const blocks: number[] = [];
    let first = -1;
    for (let i = 0; i < this.pieces.length; ) {
      const left = this.pieces[i]!.seq;
      let right = seqAdd(left, this.pieces[i]!.data.length);
      let holdsLast = this.pieces[i]!.seq === this.lastSeq;
      i++;
      while (i < this.pieces.length && this.pieces[i]!.seq === right) {
        if (this.pieces[i]!.seq === this.lastSeq) holdsLast = true;
        right = seqAdd(right, this.pieces[i]!.data.length);
        i++;
      }
      if (holdsLast && first < 0) {
        first = blocks.length;
      }
      blocks.push(left, right);
    }
    if (first > 0) blocks.unshift(...blocks.splice(first, 2));
    return blocks.slice(0, max * 2);
  }
}
