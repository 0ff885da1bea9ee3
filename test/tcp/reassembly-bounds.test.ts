/**
 * Out-of-order data that never fills its hole (issue 10): the reassembly queue is bounded by the
 * window in bytes of heap, not by the number of pieces; every piece still draws its immediate
 * duplicate ACK (RFC 5681 §4.2) with SACK blocks (RFC 2018 §4) kept incrementally. Speed is
 * measured in bench/reassembly.bench.ts, not here.
 */
import { describe, expect, it } from 'vitest';
import { REASSEMBLY_PAGE_BYTES } from '../../src/tcp/reassembly.js';
import { ACK, type Segment } from '../../src/wire/segment.js';
import { LOCAL_PORT, REMOTE_PORT, listening, type TcbHarness } from '../support/tcb-harness.js';

const WINDOW = 65535;

function establishedSack(): TcbHarness {
  const h = listening({ rcvBuf: WINDOW, sysctl: { tcp_rmem: [4096, WINDOW, WINDOW] } });
  h.run(`
     0 < S 0:0(0) win 65535 <mss 1460,sackOK>
    +0 > S. 0:0(0) ack 1 <mss 1460,sackOK>
    +0 < . 1:1(0) ack 1 win 65535
  `);
  return h;
}

function piece(h: TcbHarness, rel: number, payload: Uint8Array): Segment {
  return {
    srcPort: REMOTE_PORT,
    dstPort: LOCAL_PORT,
    seq: (h.base.remoteIss + rel) >>> 0,
    ack: (h.base.localIss + 1) >>> 0,
    flags: ACK,
    window: 65535,
    urgent: 0,
    options: {},
    payload,
  };
}

describe('out-of-order data never filling its hole', () => {
  it('one-byte pieces at every other byte of the whole window: heap at most 1.125 × the window plus two pages, each piece ACKed with its SACK block first', () => {
    const h = establishedSack();
    const one = Uint8Array.of(0x62);
    let pieces = 0;
    const wrong: string[] = [];
    // byte 1 (RCV.NXT) never comes: pieces at 2, 4, 6, ... up to the window's right edge
    for (let rel = 2; rel < 1 + WINDOW; rel += 2) {
      h.tcb.segmentArrives(piece(h, rel, one), h.now);
      pieces++;
      const sent = h.pending.splice(0);
      const sack = sent[0]?.seg.options.sack;
      const ok =
        sent.length === 1 &&
        sent[0]!.seg.ack === ((h.base.remoteIss + 1) >>> 0) &&
        sack?.[0] === ((h.base.remoteIss + rel) >>> 0) &&
        sack[1] === ((h.base.remoteIss + rel + 1) >>> 0) &&
        sack.length === Math.min(8, 2 * pieces);
      if (!ok && wrong.length < 3) wrong.push(`piece at ${rel}: ${sent.map((s) => h.fmt(s.seg)).join('; ')}`);
    }
    expect(wrong).toEqual([]);
    const acks = pieces;
    expect(acks).toBe(Math.floor((WINDOW - 1) / 2));
    const r = h.tcb.reassembly;
    expect(r.bytes).toBe(acks);
    expect(r.heapBytes).toBeLessThanOrEqual(WINDOW * 1.125 + 2 * REASSEMBLY_PAGE_BYTES);
    expect(h.tcb.stats.ofoDropped).toBe(0);
    expect(h.tcb.readable).toBe(0);
  });

  it('bytes beyond the window are not kept: the segment is trimmed to the right edge', () => {
    const h = establishedSack();
    h.tcb.segmentArrives(piece(h, WINDOW - 9, new Uint8Array(100)), h.now);
    h.pending.length = 0;
    // RCV.NXT = 1, the window ends at 1 + 65535: only the 10 bytes up to there are held
    expect(h.tcb.reassembly.bytes).toBe(10);
  });

  it('the hole filling at last delivers everything held, in order, and frees the pages', () => {
    const h = establishedSack();
    for (let rel = 2; rel < 2000; rel += 2) h.tcb.segmentArrives(piece(h, rel, Uint8Array.of(rel & 0xff)), h.now);
    for (let rel = 3; rel < 2000; rel += 2) h.tcb.segmentArrives(piece(h, rel, Uint8Array.of(rel & 0xff)), h.now);
    h.pending.length = 0;
    h.tcb.segmentArrives(piece(h, 1, Uint8Array.of(1)), h.now);
    const got = Buffer.concat(h.tcb.receive(Infinity, h.now));
    expect(got.length).toBe(1999);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBe((i + 1) & 0xff);
    expect(h.tcb.reassembly.heapBytes).toBe(0);
  });
});
