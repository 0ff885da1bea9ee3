/**
 * What the stack's offloads change in one TCB (link/offload.ts, stack/input-batch.ts): segments of
 * many MSS when the link cuts them (GSO/TSO), and one ACK per input batch of in-order data (as GRO
 * plus delayed ACK give Linux) — with duplicate ACKs, filled holes and the delayed-ACK timer exactly
 * as without.
 */
import { describe, it } from 'vitest';
import { established } from '../support/tcb-harness.js';

const SEG = (from: number, len: number) => `${from}:${from + len}(${len})`;

describe('input batches: one ACK per batch of in-order data (GRO + delayed ACK)', () => {
  it('four full-sized segments in one batch draw one ACK, at the batch’s end', () => {
    const h = established();
    h.tcb.inputBatch = true;
    h.run(`
      +0 < . ${SEG(1, 1460)} ack 1 win 65535
      +0 < . ${SEG(1461, 1460)} ack 1 win 65535
      +0 < . ${SEG(2921, 1460)} ack 1 win 65535
      +0 < . ${SEG(4381, 1460)} ack 1 win 65535
    `);
    h.expectNothingPending('inside the batch');
    h.tcb.endInputBatch(h.now);
    h.run(`+0 > . 1:1(0) ack 5841`);
  });

  it('out-of-order data in a batch is ACKed at once: the duplicate ACK is not held (RFC 5681 §4.2)', () => {
    const h = established();
    h.tcb.inputBatch = true;
    h.run(`
      +0 < . ${SEG(1461, 1460)} ack 1 win 65535
      +0 > . 1:1(0) ack 1
    `);
  });

  it('a hole filled in a batch is ACKed at once', () => {
    const h = established();
    h.tcb.inputBatch = true;
    h.run(`
      +0 < . ${SEG(1461, 1460)} ack 1 win 65535
      +0 > . 1:1(0) ack 1
      +0 < . ${SEG(1, 1460)} ack 1 win 65535
      +0 > . 1:1(0) ack 2921
    `);
  });

  it('one full-sized segment in a batch waits for the delayed-ACK timer, as it would alone', () => {
    const h = established();
    h.tcb.inputBatch = true;
    h.run(`+0 < . ${SEG(1, 1460)} ack 1 win 65535`);
    h.tcb.endInputBatch(h.now);
    h.expectNothingPending('after the batch');
    h.run(`+0.04 > . 1:1(0) ack 1461`);
  });

  it('the delayed-ACK timer stands behind a batch whose end never comes', () => {
    const h = established();
    h.tcb.inputBatch = true;
    h.run(`
      +0    < . ${SEG(1, 1460)} ack 1 win 65535
      +0    < . ${SEG(1461, 1460)} ack 1 win 65535
      +0.04 > . 1:1(0) ack 2921
    `);
  });

  it('a segment holding two full segments’ worth (a GRO’d super-segment) is ACKed at once', () => {
    const h = established();
    h.run(`
      +0 < . ${SEG(1, 2920)} ack 1 win 65535
      +0 > . 1:1(0) ack 2921
    `);
  });
});

describe('segmentation offload: super-segments of whole MSS, Nagle and sender SWS on the short last piece', () => {
  it('a write goes as one super-segment when the link takes 64 KiB', () => {
    const h = established();
    h.tcb.gsoMax = 65_455;
    h.write('x'.repeat(5000));
    h.run(`+0 > P. ${SEG(1, 5000)} ack 1`);
  });

  it('without segmentation offload the same write goes as MSS-sized segments', () => {
    const h = established();
    h.write('x'.repeat(5000));
    h.run(`
      +0 > . ${SEG(1, 1460)} ack 1
      +0 > . ${SEG(1461, 1460)} ack 1
      +0 > . ${SEG(2921, 1460)} ack 1
      +0 > P. ${SEG(4381, 620)} ack 1
    `);
  });

  it('Nagle (Minshall’s variant): a short piece waits while the super-segment that ended short is unacknowledged', () => {
    const h = established();
    h.tcb.gsoMax = 65_455;
    h.write('x'.repeat(5000));
    h.run(`+0 > P. ${SEG(1, 5000)} ack 1`);
    h.write('y'.repeat(100));
    h.expectNothingPending('Nagle holds the short piece');
    h.run(`
      +0.01 < . 1:1(0) ack 5001 win 65535
      +0    > P. ${SEG(5001, 100)} ack 1
    `);
  });

  it('a super-segment’s short tail that Nagle would hold stays behind while its full pieces go', () => {
    const h = established();
    h.tcb.gsoMax = 65_455;
    h.write('x'.repeat(1000));
    h.run(`+0 > P. ${SEG(1, 1000)} ack 1`);
    // a small segment is in flight: of 3000 more bytes the two full MSS go, the 80-byte tail waits
    h.write('y'.repeat(3000));
    h.run(`+0 > . ${SEG(1001, 2920)} ack 1`);
    h.expectNothingPending('the tail waits for the small segment’s ACK');
    h.run(`
      +0.01 < . 1:1(0) ack 1001 win 65535
      +0    > P. ${SEG(3921, 80)} ack 1
    `);
  });

  it('with Nagle off the tail goes with the full pieces', () => {
    const h = established({ noDelay: true });
    h.tcb.gsoMax = 65_455;
    h.write('x'.repeat(1000));
    h.run(`+0 > P. ${SEG(1, 1000)} ack 1`);
    h.write('y'.repeat(3000));
    h.run(`+0 > P. ${SEG(1001, 3000)} ack 1`);
  });

  it('sender SWS: a window-limited super-segment is cut to whole MSS (RFC 9293 §3.8.6.2.1)', () => {
    const h = established();
    h.tcb.gsoMax = 65_455;
    h.run(`+0 < . 1:1(0) ack 1 win 4000`);
    h.write('x'.repeat(5000));
    h.run(`+0 > . ${SEG(1, 2920)} ack 1`);
    h.expectNothingPending('the 1080 bytes the window leaves are under half the largest window');
  });
});
