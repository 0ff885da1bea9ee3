/**
 * Out-of-order data waiting for the hole before it to fill (RFC 9293 §3.10.7.4, seventh step), and
 * the SACK blocks that describe it (RFC 2018 §4).
 *
 * Memory is bounded by the window, not by the number of pieces. Data is kept where its sequence
 * number says, in 1 KiB pages keyed by SEQ >>> 10, each with a bitmap of the bytes present (one
 * bit a byte). A page costs 1,152 bytes however the peer cuts its segments, and only pages inside
 * the receive window can exist, so a window of W bytes holds at most about 1.125 W + 2.3 KiB of
 * heap: one-byte pieces at every other byte cost 2.25 bytes of heap per byte held, where a list of
 * copied pieces cost ~256 (issue 10). A page budget passed to insert() is never exceeded; a
 * segment that would need more pages is refused and counted (`refused`), as Linux drops
 * out-of-order data when tcp_try_rmem_schedule fails (TCPOFODrop).
 *
 * Time is bounded by the window too: insert and pull cost the bytes they touch (and a Map lookup
 * per page), and the SACK blocks are kept incrementally — the block of the segment just received,
 * then the blocks most recently reported (RFC 2018 §4, as Linux's selective_acks[]) — rather than
 * rebuilt from every piece on each ACK.
 *
 * Overlaps: bytes already held are kept, not overwritten by a later copy (first copy wins, as in
 * Linux's tcp_data_queue_ofo; a forged overlap cannot rewrite data already queued).
 */
import { seqAdd, seqDiff, seqGe, seqLe, seqLt } from './seq.js';

const PAGE_SHIFT = 10;
const PAGE = 1 << PAGE_SHIFT;
const MASK = PAGE - 1;
/** a page: PAGE bytes of data, then PAGE bits of presence */
const PAGE_BYTES = PAGE + PAGE / 8;
/** SACK blocks remembered (Linux's TCP_NUM_SACKS): at most 4 fit in the option */
const MAX_BLOCKS = 4;

/** The heap a page takes; insert() budgets are in these units of bytes. */
export const REASSEMBLY_PAGE_BYTES = PAGE_BYTES;

/** Heap budget for out-of-order data under a receive buffer of `rcvBuf` bytes: every page of a full window, at any alignment. */
export function reassemblyBudget(rcvBuf: number): number {
  return (Math.ceil(rcvBuf / PAGE) + 2) * PAGE_BYTES;
}

/** shared by every reassembly holding nothing (frozen, so an accidental push throws): no array per idle connection */
const NO_BLOCKS: number[] = Object.freeze([]) as unknown as number[];

export class Reassembly {
  private pages: Map<number, Uint8Array> | null = null;
  /** bytes held */
  bytes = 0;
  /** segments refused because they would exceed the heap budget */
  refused = 0;
  /** nothing is held below this sequence number (valid while bytes > 0) */
  private floor = 0;
  /** SACK blocks as flat [left, right) pairs, most recent first; each is a maximal run held */
  private blocks: number[] = NO_BLOCKS;

  get empty(): boolean {
    return this.bytes === 0;
  }

  /** Heap taken by the pages, in bytes. */
  get heapBytes(): number {
    return (this.pages?.size ?? 0) * PAGE_BYTES;
  }

  /**
   * Keep `data` at `seq` (beyond RCV.NXT, inside the window). Bytes already held are not
   * replaced. Returns the number of new bytes kept, or -1 when the segment was refused because
   * its pages would take the heap past `budget` bytes.
   */
  insert(seq: number, data: Uint8Array, budget = Infinity): number {
    const len = data.length;
    if (len === 0) return 0;
    const pages = (this.pages ??= new Map());
    const first = seq >>> PAGE_SHIFT;
    const count = ((seq & MASK) + len - 1) >>> PAGE_SHIFT;
    let missing = 0;
    for (let i = 0; i <= count; i++) if (!pages.has((first + i) & 0x3fffff)) missing++;
    if ((pages.size + missing) * PAGE_BYTES > budget) {
      this.refused++;
      return -1;
    }
    if (this.bytes === 0 || seqLt(seq, this.floor)) this.floor = seq;
    let stored = 0;
    let at = seq;
    let from = 0;
    while (from < len) {
      const key = at >>> PAGE_SHIFT;
      let page = pages.get(key);
      if (!page) {
        page = new Uint8Array(PAGE_BYTES);
        pages.set(key, page);
      }
      const off = at & MASK;
      const n = Math.min(len - from, PAGE - off);
      stored += fillUnset(page, off, off + n, data, from);
      from += n;
      at = seqAdd(at, n);
    }
    this.bytes += stored;
    this.noteBlock(seq, seqAdd(seq, len));
    return stored;
  }

  /**
   * RCV.NXT has moved to `rcvNxt`: drop what lies before it, and remove and return the data that
   * now continues from it (one chunk, or none).
   */
  pull(rcvNxt: number): Uint8Array[] {
    if (this.bytes === 0) return [];
    if (seqLt(this.floor, rcvNxt)) this.discard(this.floor, rcvNxt);
    this.floor = rcvNxt;
    const out: Uint8Array[] = [];
    if (this.bytes > 0 && this.has(rcvNxt)) {
      const end = this.runEnd(rcvNxt);
      const n = seqDiff(end, rcvNxt);
      const chunk = new Uint8Array(n);
      let at = rcvNxt;
      let filled = 0;
      while (filled < n) {
        const page = this.pages!.get(at >>> PAGE_SHIFT)!;
        const off = at & MASK;
        const take = Math.min(n - filled, PAGE - off);
        chunk.set(page.subarray(off, off + take), filled);
        filled += take;
        at = seqAdd(at, take);
      }
      out.push(chunk);
      this.discard(rcvNxt, end);
      this.floor = end;
    }
    // blocks wholly delivered or discarded go; the others are untouched (they start past `floor`)
    const b = this.blocks;
    for (let i = b.length - 2; i >= 0; i -= 2) if (seqLe(b[i + 1]!, this.floor)) b.splice(i, 2);
    if (this.bytes === 0) {
      this.pages = null;
      this.blocks = NO_BLOCKS;
    }
    return out;
  }

  /** Up to `max` SACK blocks as flat [left, right] pairs: the block of the latest segment first, then those reported before it. */
  sackBlocks(max: number): number[] {
    return this.blocks.slice(0, 2 * max);
  }

  // ---- internals ----

  private has(seq: number): boolean {
    const page = this.pages?.get(seq >>> PAGE_SHIFT);
    if (!page) return false;
    const off = seq & MASK;
    return (page[PAGE + (off >>> 3)]! & (1 << (off & 7))) !== 0;
  }

  /** The first sequence number at or after `seq` that is not held. */
  private runEnd(seq: number): number {
    let at = seq;
    for (;;) {
      const page = this.pages?.get(at >>> PAGE_SHIFT);
      if (!page) return at;
      const off = at & MASK;
      const j = nextUnset(page, off, PAGE);
      if (j < PAGE) return seqAdd(at, j - off);
      at = seqAdd(at, PAGE - off);
    }
  }

  /** The start of the run of held bytes that ends just before `seq` (`seq` itself if none). */
  private runStart(seq: number): number {
    let at = seq;
    for (;;) {
      const last = seqAdd(at, -1);
      const page = this.pages?.get(last >>> PAGE_SHIFT);
      if (!page) return at;
      const off = last & MASK;
      const k = prevUnset(page, off);
      if (k >= 0) return seqAdd(last, k - off + 1);
      at = seqAdd(last, -off);
    }
  }

  /** Forget the bytes in [from, to): clear their bits, free pages left wholly behind. */
  private discard(from: number, to: number): void {
    const pages = this.pages!;
    let at = from;
    let left = seqDiff(to, from);
    while (left > 0) {
      const key = at >>> PAGE_SHIFT;
      const off = at & MASK;
      const n = Math.min(left, PAGE - off);
      const page = pages.get(key);
      if (page) {
        this.bytes -= clearRange(page, off, off + n);
        if (off + n === PAGE) pages.delete(key);
      }
      left -= n;
      at = seqAdd(at, n);
    }
  }

  /** [seq, end) was just stored: its run becomes the first SACK block, absorbing those it touches. */
  private noteBlock(seq: number, end: number): void {
    if (this.blocks === NO_BLOCKS) this.blocks = [];
    const b = this.blocks;
    let left = -1;
    let right = -1;
    // a remembered block is a maximal run, so one that holds the byte before `seq` (or at `end`) gives the edge at once
    for (let i = 0; i < b.length; i += 2) {
      if (left < 0 && seqLt(b[i]!, seq) && seqGe(b[i + 1]!, seq)) left = b[i]!;
      if (right < 0 && seqLe(b[i]!, end) && seqLt(end, b[i + 1]!)) right = b[i + 1]!;
    }
    if (left < 0) left = this.runStart(seq);
    if (right < 0) right = this.runEnd(end);
    for (let i = b.length - 2; i >= 0; i -= 2) {
      if (seqLe(b[i]!, right) && seqGe(b[i + 1]!, left)) b.splice(i, 2);
    }
    b.unshift(left, right);
    if (b.length > 2 * MAX_BLOCKS) b.length = 2 * MAX_BLOCKS;
  }
}

// ===================== bit operations on one page =====================

/** Copy data[from...] into the page's unset bytes of [a, b) and mark them; returns how many. */
function fillUnset(page: Uint8Array, a: number, b: number, data: Uint8Array, from: number): number {
  let stored = 0;
  let i = a;
  while (i < b) {
    const start = nextUnset(page, i, b);
    if (start >= b) break;
    const end = nextSet(page, start, b);
    page.set(data.subarray(from + start - a, from + end - a), start);
    setRange(page, start, end);
    stored += end - start;
    i = end;
  }
  return stored;
}

function bit(page: Uint8Array, i: number): number {
  return page[PAGE + (i >>> 3)]! & (1 << (i & 7));
}

/** First index in [i, b) whose bit is clear, or b. */
function nextUnset(page: Uint8Array, i: number, b: number): number {
  while (i < b && i & 7) {
    if (!bit(page, i)) return i;
    i++;
  }
  while (i + 8 <= b && page[PAGE + (i >>> 3)] === 0xff) i += 8;
  while (i < b) {
    if (!bit(page, i)) return i;
    i++;
  }
  return b;
}

/** First index in [i, b) whose bit is set, or b. */
function nextSet(page: Uint8Array, i: number, b: number): number {
  while (i < b && i & 7) {
    if (bit(page, i)) return i;
    i++;
  }
  while (i + 8 <= b && page[PAGE + (i >>> 3)] === 0) i += 8;
  while (i < b) {
    if (bit(page, i)) return i;
    i++;
  }
  return b;
}

/** Last index in [0, i] whose bit is clear, or -1. */
function prevUnset(page: Uint8Array, i: number): number {
  while (i >= 0 && (i & 7) !== 7) {
    if (!bit(page, i)) return i;
    i--;
  }
  while (i >= 7 && page[PAGE + (i >>> 3)] === 0xff) i -= 8;
  while (i >= 0) {
    if (!bit(page, i)) return i;
    i--;
  }
  return -1;
}

function setRange(page: Uint8Array, a: number, b: number): void {
  for (let i = a; i < b; ) {
    if ((i & 7) === 0 && i + 8 <= b) {
      page[PAGE + (i >>> 3)] = 0xff;
      i += 8;
    } else {
      page[PAGE + (i >>> 3)]! |= 1 << (i & 7);
      i++;
    }
  }
}

/** Clear the bits of [a, b); returns how many were set. */
function clearRange(page: Uint8Array, a: number, b: number): number {
  let cleared = 0;
  for (let i = a; i < b; ) {
    const at = PAGE + (i >>> 3);
    if ((i & 7) === 0 && i + 8 <= b) {
      cleared += POPCOUNT[page[at]!]!;
      page[at] = 0;
      i += 8;
    } else {
      const m = 1 << (i & 7);
      if (page[at]! & m) {
        cleared++;
        page[at]! &= ~m;
      }
      i++;
    }
  }
  return cleared;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, v) => {
  let c = 0;
  for (let x = v; x; x &= x - 1) c++;
  return c;
});
