import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReadQueue } from '../../src/tcp/recv-buffer.js';
import { REASSEMBLY_PAGE_BYTES, Reassembly, reassemblyBudget } from '../../src/tcp/reassembly.js';
import { SendBuffer } from '../../src/tcp/send-buffer.js';
import { seqAdd, seqDiff } from '../../src/tcp/seq.js';

function bytes(n: number, from = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (from + i * 7) & 0xff;
  return out;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

/** toEqual on big typed arrays is slow; compare bytes first and let toEqual describe a mismatch. */
function expectBytes(got: Uint8Array, want: Uint8Array): void {
  if (!Buffer.from(got.buffer, got.byteOffset, got.length).equals(Buffer.from(want.buffer, want.byteOffset, want.length))) {
    expect(got).toEqual(want);
  }
}

describe('SendBuffer: bytes from SND.UNA onward', () => {
  it('peek returns the bytes at any offset, across chunk boundaries, as written', () => {
    const b = new SendBuffer();
    const all = bytes(40_000);
    b.push(all.subarray(0, 10)); // small: coalesced into a block
    b.push(all.subarray(10, 20_010)); // large: its own chunk
    b.push(all.subarray(20_010, 40_000));
    expect(b.length).toBe(40_000);
    expect(b.peek(0, 40_000)).toEqual(all);
    expect(b.peek(5, 10)).toEqual(all.subarray(5, 15));
    expect(b.peek(20_000, 1460)).toEqual(all.subarray(20_000, 21_460));
    expect(b.peek(39_990, 100)).toEqual(all.subarray(39_990)); // clipped to what is held
    expect(b.peek(40_000, 10).length).toBe(0);
  });

  it('push copies: the caller may reuse its buffer afterwards', () => {
    const b = new SendBuffer();
    const small = Uint8Array.of(1, 2, 3);
    const large = new Uint8Array(9000).fill(9);
    b.push(small);
    b.push(large);
    small.fill(0);
    large.fill(0);
    expect(b.peek(0, 3)).toEqual(Uint8Array.of(1, 2, 3));
    expect(b.peek(3, 9000).every((x) => x === 9)).toBe(true);
  });

  it('consume drops acknowledged bytes from the front and peek offsets follow', () => {
    const b = new SendBuffer();
    const all = bytes(30_000);
    for (let i = 0; i < 30_000; i += 1000) b.push(all.subarray(i, i + 1000));
    b.consume(1);
    expect(b.peek(0, 3)).toEqual(all.subarray(1, 4));
    b.consume(16_383); // 16 KiB acknowledged in all, across several coalescing blocks
    expect(b.length).toBe(30_000 - 16_384);
    expect(b.peek(0, 100)).toEqual(all.subarray(16_384, 16_484));
    b.consume(1e9);
    expect(b.length).toBe(0);
    b.push(all.subarray(0, 5));
    expect(b.peek(0, 5)).toEqual(all.subarray(0, 5));
  });

  it('any sequence of writes, acknowledgements and peeks sees the written stream', () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: 0, max: 20_000 }) }),
      fc.record({ consume: fc.integer({ min: 0, max: 20_000 }) }),
      fc.record({ peekAt: fc.nat(), len: fc.integer({ min: 1, max: 3000 }) }),
    );
    const stream = bytes(400_000, 3);
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const b = new SendBuffer();
        let written = 0;
        let acked = 0;
        for (const o of ops) {
          if ('push' in o) {
            b.push(stream.subarray(written, written + o.push));
            written += o.push;
          } else if ('consume' in o) {
            const n = Math.min(o.consume, written - acked);
            b.consume(n);
            acked += n;
          } else {
            const held = written - acked;
            if (held === 0) continue;
            const at = o.peekAt % held;
            const len = Math.min(o.len, held - at);
            expectBytes(b.peek(at, len), stream.subarray(acked + at, acked + at + len));
          }
          expect(b.length).toBe(written - acked);
        }
      }),
    );
  });
});

describe('ReadQueue: in-order bytes waiting for the user', () => {
  it('take returns at most max bytes, splitting a chunk, and keeps the rest in order', () => {
    const q = new ReadQueue();
    q.push(Uint8Array.of(1, 2, 3));
    q.push(new Uint8Array(0));
    q.push(Uint8Array.of(4, 5));
    expect(q.length).toBe(5);
    expect(concat(q.take(2))).toEqual(Uint8Array.of(1, 2));
    expect(q.length).toBe(3);
    expect(concat(q.take(0))).toEqual(new Uint8Array(0));
    expect(concat(q.take())).toEqual(Uint8Array.of(3, 4, 5));
    expect(q.length).toBe(0);
    expect(q.take()).toEqual([]);
  });

  it('reading in any chunk sizes yields the pushed stream', () => {
    const stream = bytes(40_000, 11);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 20 }),
        (pushes, reads) => {
          const q = new ReadQueue();
          let at = 0;
          for (const n of pushes) {
            q.push(stream.subarray(at, at + n));
            at += n;
          }
          const got: Uint8Array[] = [];
          for (let i = 0; q.length > 0; i++) got.push(...q.take(reads[i % reads.length]));
          expectBytes(concat(got), stream.subarray(0, at));
        },
      ),
    );
  });
});

/** Pieces [from, to) of a stream; a random cover plus random extra (overlapping, duplicate) pieces. */
const piecesOf = (n: number) =>
  fc
    .tuple(
      // cut points partitioning [0, n): guarantees full coverage
      fc.uniqueArray(fc.integer({ min: 1, max: n - 1 }), { maxLength: 12 }),
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: n })).map(([a, l]) => [a, Math.min(n, a + l)] as const),
        { maxLength: 12 },
      ),
    )
    .map(([cuts, extra]) => {
      const pts = [0, ...cuts.sort((x, y) => x - y), n];
      const cover = pts.slice(1).map((to, i) => [pts[i]!, to] as const);
      return [...cover, ...extra];
    });

describe('Reassembly: out-of-order data (RFC 9293 §3.10.7.4 seventh step)', () => {
  const N = 600;
  const base = fc.oneof(fc.constant(0xffffff00), fc.constant(0xfffffffe), fc.integer({ min: 0, max: 0xffffffff }));

  it('any insertion order of overlapping and duplicate pieces yields the original bytes', () => {
    fc.assert(
      fc.property(
        base,
        piecesOf(N).chain((p) => fc.shuffledSubarray(p, { minLength: p.length, maxLength: p.length })),
        (seq0, pieces) => {
          const data = bytes(N, seq0);
          const r = new Reassembly();
          for (const [a, b] of pieces) r.insert(seqAdd(seq0, a), data.subarray(a, b));
          // nothing is stored twice
          expect(r.bytes).toBe(N);
          expectBytes(concat(r.pull(seq0)), data);
          expect(r.bytes).toBe(0);
          expect(r.empty).toBe(true);
        },
      ),
    );
  });

  it('bytes counts the union of the ranges held, and pull stops at the first hole', () => {
    fc.assert(
      fc.property(
        base,
        fc.array(fc.tuple(fc.integer({ min: 1, max: N - 1 }), fc.integer({ min: 1, max: 80 })), { minLength: 1, maxLength: 15 }),
        (seq0, raw) => {
          const data = bytes(N, 5);
          const have = new Uint8Array(N);
          const r = new Reassembly();
          for (const [a, l] of raw) {
            const b = Math.min(N, a + l);
            r.insert(seqAdd(seq0, a), data.subarray(a, b));
            have.fill(1, a, b);
          }
          expect(r.bytes).toBe(have.reduce((s, x) => s + x, 0));
          // byte 0 never arrived: nothing continues from seq0
          expect(r.pull(seq0)).toEqual([]);
          // once bytes [0, first) are delivered, pull returns exactly the contiguous run after them
          const first = have.indexOf(1);
          let end = first;
          while (end < N && have[end]) end++;
          expectBytes(concat(r.pull(seqAdd(seq0, first))), data.subarray(first, end));
        },
      ),
    );
  });

  it('the receiver loop (deliver in-order, keep the rest, pull after each) rebuilds the stream', () => {
    fc.assert(
      fc.property(
        base,
        piecesOf(N).chain((p) => fc.shuffledSubarray(p, { minLength: p.length, maxLength: p.length })),
        (seq0, pieces) => {
          const data = bytes(N, 99);
          const r = new Reassembly();
          const out: Uint8Array[] = [];
          let rcvNxt = seq0;
          for (const [a, b] of pieces) {
            const seq = seqAdd(seq0, a);
            const old = seqDiff(rcvNxt, seq);
            if (old >= b - a) continue; // duplicate of delivered data
            if (old >= 0) {
              out.push(data.subarray(a + old, b));
              rcvNxt = seqAdd(seq0, b);
              for (const p of r.pull(rcvNxt)) {
                out.push(p);
                rcvNxt = seqAdd(rcvNxt, p.length);
              }
            } else {
              r.insert(seq, data.subarray(a, b));
            }
          }
          expectBytes(concat(out), data);
          expect(r.bytes).toBe(0);
        },
      ),
    );
  });

  it('insert copies: the packet buffer may be reused after the call', () => {
    const r = new Reassembly();
    const pkt = Uint8Array.of(1, 2, 3, 4);
    r.insert(10, pkt.subarray(1, 3));
    pkt.fill(0);
    r.insert(8, Uint8Array.of(7, 8));
    expect(concat(r.pull(8))).toEqual(Uint8Array.of(7, 8, 2, 3));
  });

  it('pull discards pieces wholly before rcvNxt and trims one that straddles it', () => {
    const r = new Reassembly();
    r.insert(100, bytes(10, 100));
    r.insert(120, bytes(10, 120));
    expect(concat(r.pull(125))).toEqual(bytes(10, 120).subarray(5));
    expect(r.empty).toBe(true);
  });
});

describe('RFC 2018 §4 SACK blocks from the reassembly queue', () => {
  it('adjacent pieces merge into one block; the block of the latest segment comes first, then the blocks reported most recently', () => {
    const r = new Reassembly();
    r.insert(100, bytes(10));
    r.insert(110, bytes(10)); // adjacent: one block 100-120
    r.insert(200, bytes(10));
    r.insert(300, bytes(10));
    // "the first SACK block MUST specify the contiguous block of data containing the segment which
    // triggered this ACK"; the others "SHOULD repeat the most recently reported SACK blocks"
    expect(r.sackBlocks(4)).toEqual([300, 310, 200, 210, 100, 120]);
    r.insert(115, bytes(10)); // lands in the oldest block, extending it: it moves to the front
    expect(r.sackBlocks(4)).toEqual([100, 125, 300, 310, 200, 210]);
  });

  it('at most the requested number of blocks, the most recently reported kept', () => {
    const r = new Reassembly();
    for (let i = 0; i < 6; i++) r.insert(1000 + 100 * i, bytes(10));
    expect(r.sackBlocks(3)).toEqual([1500, 1510, 1400, 1410, 1300, 1310]);
  });

  it('a segment bridging two blocks reports the merged block once, and the blocks it absorbed are gone', () => {
    const r = new Reassembly();
    r.insert(100, bytes(10));
    r.insert(200, bytes(10));
    r.insert(300, bytes(10));
    r.insert(110, bytes(90)); // fills 110-200: 100-210 is one block
    expect(r.sackBlocks(4)).toEqual([100, 210, 300, 310]);
  });

  it('blocks delivered by a pull leave the list; the rest keep their order', () => {
    const r = new Reassembly();
    r.insert(300, bytes(10));
    r.insert(110, bytes(10));
    r.insert(200, bytes(10));
    expect(concat(r.pull(110))).toEqual(bytes(10));
    expect(r.sackBlocks(4)).toEqual([200, 210, 300, 310]);
  });

  it('blocks straddling the 2^32 wrap keep their u32 edges', () => {
    const r = new Reassembly();
    r.insert(0xfffffff0, bytes(0x20));
    expect(r.sackBlocks(4)).toEqual([0xfffffff0, 0x10]);
    r.insert(0x20, bytes(0x10));
    r.insert(0x10, bytes(0x10)); // joins both: one block across the wrap
    expect(r.sackBlocks(4)).toEqual([0xfffffff0, 0x30]);
  });
});

describe('reassembly memory is bounded by the window in bytes of heap, not by pieces (issue 10)', () => {
  const WINDOW = 256 * 1024;

  it('one-byte pieces at every other byte of a 256 KiB window take at most 1.125 × the window plus two pages of heap', () => {
    const r = new Reassembly();
    const one = Uint8Array.of(0x61);
    for (let i = 1; i < WINDOW; i += 2) r.insert(5000 + i, one, reassemblyBudget(WINDOW));
    expect(r.bytes).toBe(WINDOW / 2);
    expect(r.refused).toBe(0);
    expect(r.heapBytes).toBeLessThanOrEqual(WINDOW * 1.125 + 2 * REASSEMBLY_PAGE_BYTES);
    // 2.25 bytes of heap per byte held, where a list of copied pieces cost about 256
    expect(r.heapBytes / r.bytes).toBeLessThan(2.3);
  });

  it('the SACK blocks stay the four most recent, whatever the number of pieces', () => {
    const r = new Reassembly();
    for (let i = 1; i < 60_000; i += 2) r.insert(i, Uint8Array.of(i & 0xff));
    expect(r.sackBlocks(4)).toEqual([59_999, 60_000, 59_997, 59_998, 59_995, 59_996, 59_993, 59_994]);
  });

  it('a segment whose pages would pass the heap budget is refused and counted, and nothing of it is kept', () => {
    const r = new Reassembly();
    const budget = 3 * REASSEMBLY_PAGE_BYTES;
    expect(r.insert(0, bytes(10), budget)).toBe(10);
    expect(r.insert(2048, bytes(10), budget)).toBe(10);
    expect(r.insert(4096, bytes(10), budget)).toBe(10);
    expect(r.insert(8192, bytes(10), budget)).toBe(-1);
    expect(r.refused).toBe(1);
    expect(r.bytes).toBe(30);
    expect(r.sackBlocks(4)).toEqual([4096, 4106, 2048, 2058, 0, 10]);
    // within pages already held it still fits
    expect(r.insert(20, bytes(10), budget)).toBe(10);
  });

  it('a later copy never rewrites bytes already held (first copy wins)', () => {
    const r = new Reassembly();
    r.insert(10, Uint8Array.of(1, 2, 3));
    expect(r.insert(9, Uint8Array.of(9, 9, 9, 9, 9), Infinity)).toBe(2);
    expect(concat(r.pull(9))).toEqual(Uint8Array.of(9, 1, 2, 3, 9));
  });

  it('everything delivered frees every page', () => {
    const r = new Reassembly();
    for (let i = 1; i < 10_000; i += 2) r.insert(i, Uint8Array.of(1));
    r.pull(10_001);
    expect(r.empty).toBe(true);
    expect(r.heapBytes).toBe(0);
    expect(r.sackBlocks(4)).toEqual([]);
  });
});
