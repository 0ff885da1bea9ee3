/**
 * Loss recovery with SACK, packet by packet: RFC 6675 (DupAck, IsLost, NextSeg, pipe), RFC 3042
 * Limited Transmit, RFC 6937 PRR, and what a timeout does to SACKed data (RFC 6675 §5.1, RFC 2018 §8).
 * Most tests turn RACK and TLP off (tcp_recovery = 0, tcp_early_retrans = 0) so that RFC 6675's own
 * rules decide; test/tcp/rack-tlp.test.ts covers Linux's default.
 */
import { describe, expect, it } from 'vitest';
import { type HarnessOptions, type TcbHarness, established, listening } from '../support/tcb-harness.js';

const MSS = 1460;
const RFC6675 = { tcp_recovery: 0, tcp_early_retrans: 0 };
const RENO = { tcp_congestion_control: 'reno' };

/** ESTABLISHED with SACK negotiated (no timestamps, no window scaling). */
function establishedSack(sysctl: HarnessOptions['sysctl'] = {}): TcbHarness {
  const h = listening({ sysctl });
  h.run(`
     0 < S 0:0(0) win 65535 <mss 1460,sackOK>
    +0 > S. 0:0(0) ack 1 <mss 1460,sackOK>
    +0 < . 1:1(0) ack 1 win 65535
  `);
  return h;
}

/** Segment i (1-based) as `from:to(len)`. */
const s = (i: number) => `${1 + (i - 1) * MSS}:${1 + i * MSS}(${MSS})`;
/** SACK edges of segments i..j (1-based, inclusive). */
const sk = (i: number, j = i) => `${1 + (i - 1) * MSS}:${1 + j * MSS}`;
const una = (i: number) => 1 + (i - 1) * MSS;

/** Write `n` full segments and match them going out (PSH on the last of the write). */
function sendSegments(h: TcbHarness, n: number, first = 1, total = n): void {
  h.write('x'.repeat(total * MSS));
  const lines: string[] = [];
  for (let i = first; i < first + n; i++) lines.push(`+0 > ${i === first + total - 1 ? 'P.' : '.'} ${s(i)} ack 1`);
  h.run(lines.join('\n'));
}

describe('RFC 6675 §2 DupAck: an ACK carrying new SACK information counts, whatever its window', () => {
  it('three SACK-bearing ACKs with a changing window trigger the fast retransmit', () => {
    const h = establishedSack({ ...RFC6675 });
    sendSegments(h, 5);
    h.run(`+0.1 < . 1:1(0) ack 1 win 65535 <sack ${sk(2)}>`);
    expect(h.tcb.dupAcks).toBe(1);
    h.run(`+0 < . 1:1(0) ack 1 win 64000 <sack ${sk(2, 3)}>`);
    expect(h.tcb.dupAcks).toBe(2);
    h.run(`
      +0 < . 1:1(0) ack 1 win 60000 <sack ${sk(2, 4)}>
      +0 > . ${s(1)} ack 1
    `);
    expect(h.tcb.dupAcks).toBe(3);
    expect(h.tcb.recover).not.toBe(-1);
  });

  it('an ACK repeating SACK information already known is not a DupAck', () => {
    const h = establishedSack({ ...RFC6675 });
    sendSegments(h, 5);
    h.run(`
      +0.1 < . 1:1(0) ack 1 win 65535 <sack ${sk(2)}>
      +0   < . 1:1(0) ack 1 win 65535 <sack ${sk(2)}>
      +0   < . 1:1(0) ack 1 win 65535 <sack ${sk(2)}>
    `);
    expect(h.tcb.dupAcks).toBe(1);
    expect(h.tcb.recover).toBe(-1);
  });

  it('without SACK the strict RFC 5681 definition stays: a changed window is not a duplicate', () => {
    const h = established();
    sendSegments(h, 5);
    h.run(`
      +0.1 < . 1:1(0) ack 1 win 65000
      +0   < . 1:1(0) ack 1 win 64000
      +0   < . 1:1(0) ack 1 win 63000
    `);
    expect(h.tcb.dupAcks).toBe(0);
  });
});

describe('RFC 3042 Limited Transmit', () => {
  it('each of the first two duplicate ACKs sends one new segment; the third retransmits (no SACK)', () => {
    const h = established({ sysctl: RENO });
    sendSegments(h, 10, 1, 13); // the initial window: 10 of 13 segments
    h.run(`
      +0.1 < . 1:1(0) ack 1 win 65535
      +0   > . ${s(11)} ack 1
      +0   < . 1:1(0) ack 1 win 65535
      +0   > . ${s(12)} ack 1
      +0   < . 1:1(0) ack 1 win 65535
      +0   > . ${s(1)} ack 1
    `);
    // ssthresh halves the flight without the Limited Transmit segments (RFC 5681 §3.2 (2))
    expect(h.tcb.ssthresh).toBe(5 * MSS);
  });

  it('with SACK each SACKed segment leaves the pipe, so each of the first DupAcks sends one new segment', () => {
    const h = establishedSack({ ...RFC6675, ...RENO });
    sendSegments(h, 10, 1, 13);
    h.run(`
      +0.1 < . 1:1(0) ack 1 win 65535 <sack ${sk(2)}>
      +0   > . ${s(11)} ack 1
      +0   < . 1:1(0) ack 1 win 65535 <sack ${sk(2, 3)}>
      +0   > . ${s(12)} ack 1
    `);
  });
});

describe('RFC 6675 §4 NextSeg and pipe during recovery', () => {
  it('lost segments are retransmitted in sequence order before new data; pipe counts what is in flight', () => {
    const h = establishedSack({ ...RFC6675, ...RENO });
    sendSegments(h, 10, 1, 12);
    // segments 1, 3 and 5 are missing; 2, 4 and 6..10 arrived
    h.run(`
      +0.1 < . 1:1(0) ack 1 win 65535 <sack ${sk(2)} ${sk(4)} ${sk(6, 10)}>
      +0   > . ${s(1)} ack 1
      +0   > . ${s(3)} ack 1
      +0   > . ${s(5)} ack 1
      +0   > . ${s(11)} ack 1
      +0   > P. ${s(12)} ack 1
    `);
    // ssthresh = 5 segments; pipe: the three retransmissions and the two new segments
    expect(h.tcb.ssthresh).toBe(5 * MSS);
    expect(h.tcb.board.pipe()).toBe(5 * MSS);
    // RecoveryPoint was HighData at entry (the end of segment 10): an ACK short of it is partial,
    // one reaching it ends recovery with cwnd = ssthresh
    h.run(`+0.1 < . 1:1(0) ack ${una(4)} win 65535 <sack ${sk(4)} ${sk(6, 10)}>`);
    expect(h.tcb.recover).toBe(h.base.localIss + una(11));
    h.run(`+0 < . 1:1(0) ack ${una(11)} win 65535`);
    expect(h.tcb.recover).toBe(-1);
    expect(h.tcb.cwnd).toBe(5 * MSS);
  });

  it('IsLost: three segments SACKed above a hole start recovery even from a single ACK', () => {
    const h = establishedSack({ ...RFC6675 });
    sendSegments(h, 5);
    h.run(`
      +0.1 < . 1:1(0) ack 1 win 65535 <sack ${sk(2, 4)}>
      +0   > . ${s(1)} ack 1
    `);
    expect(h.tcb.dupAcks).toBe(1);
  });
});

describe('RFC 6937 Proportional Rate Reduction', () => {
  it('while pipe > ssthresh PRR sends ssthresh/RecoverFS of what is delivered, bringing pipe down to ssthresh', () => {
    const h = establishedSack({ ...RFC6675, ...RENO });
    sendSegments(h, 10, 1, 15); // segment 1 is lost
    h.run(`
      +0.1 < . 1:1(0) ack 1 win 65535 <sack ${sk(2)}>
      +0   > . ${s(11)} ack 1
      +0   < . 1:1(0) ack 1 win 65535 <sack ${sk(2, 3)}>
      +0   > . ${s(12)} ack 1
      +0   < . 1:1(0) ack 1 win 65535 <sack ${sk(2, 4)}>
      +0   > . ${s(1)} ack 1
    `);
    // RecoverFS = FlightSize = 12 segments; ssthresh = cwnd (10, Limited Transmit does not count) / 2
    expect(h.tcb.prr.recoverFs).toBe(12 * MSS);
    expect(h.tcb.ssthresh).toBe(5 * MSS);
    expect(h.tcb.board.pipe()).toBe(9 * MSS);
    // sndcnt = CEIL(prr_delivered · 5/12) − prr_out, in segments: 2 → 0, 3 → 1, 4 → 0, 5 → 1, 6 → 0
    h.run(`
      +0 < . 1:1(0) ack 1 win 65535 <sack ${sk(2, 5)}>
      +0 < . 1:1(0) ack 1 win 65535 <sack ${sk(2, 6)}>
      +0 > . ${s(13)} ack 1
      +0 < . 1:1(0) ack 1 win 65535 <sack ${sk(2, 7)}>
      +0 < . 1:1(0) ack 1 win 65535 <sack ${sk(2, 8)}>
      +0 > . ${s(14)} ack 1
      +0 < . 1:1(0) ack 1 win 65535 <sack ${sk(2, 9)}>
    `);
    expect(h.tcb.board.pipe()).toBe(6 * MSS);
    // pipe reaches ssthresh: PRR-SSRB sends only what keeps it there (ssthresh − pipe = 0)
    h.run(`+0 < . 1:1(0) ack 1 win 65535 <sack ${sk(2, 10)}>`);
    expect(h.tcb.board.pipe()).toBe(5 * MSS);
    expect(h.tcb.prr.out).toBe(3 * MSS);
    expect(h.tcb.prr.delivered).toBe(7 * MSS); // segments 4..10 SACKed since recovery began
    // the ACK of the retransmission ends recovery with cwnd = ssthresh, and the last data goes
    h.run(`
      +0.1 < . 1:1(0) ack ${una(13)} win 65535 <sack ${sk(14)}>
      +0   > P. ${s(15)} ack 1
    `);
    expect(h.tcb.recover).toBe(-1);
    expect(h.tcb.cwnd).toBe(5 * MSS);
  });
});

describe('RFC 6675 §5.1 after a timeout, SACKed data is not sent again', () => {
  it('the timeout resends the first segment; slow start then resends only the holes, never a SACKed segment', () => {
    const h = establishedSack({ ...RFC6675, ...RENO });
    sendSegments(h, 5);
    h.run(`+0.1 < . 1:1(0) ack 1 win 65535 <sack ${sk(2)} ${sk(4)}>`);
    h.run(`
      +0.9 > . ${s(1)} ack 1
      +0.1 < . 1:1(0) ack ${una(3)} win 65535 <sack ${sk(4)}>
      +0   > . ${s(3)} ack 1
      +0   > P. ${s(5)} ack 1
      +0.1 < . 1:1(0) ack ${una(6)} win 65535
    `);
    expect(h.tcb.loss.retransmits.rto).toBe(3);
    h.advance(10_000);
    h.expectNothingPending('once all is acknowledged');
  });

  it('RFC 2018 §8 reneging: an ACK stopping at SACKed data makes the sender forget its SACKs; the timeout resends it', () => {
    const h = establishedSack({ ...RFC6675, ...RENO });
    sendSegments(h, 3);
    h.run(`
      +0.1 < . 1:1(0) ack 1 win 65535 <sack ${sk(2)}>
      +0   < . 1:1(0) ack ${una(2)} win 65535
    `);
    expect(h.tcb.loss.renegings).toBe(1);
    // RTT 100 ms measured on segment 1: RTO = 100 + 4·50 = 300 ms from that ACK
    h.run(`
      +0.3 > . ${s(2)} ack 1
      +0.1 < . 1:1(0) ack ${una(3)} win 65535
      +0   > P. ${s(3)} ack 1
    `);
  });
});

describe('RFC 2883 D-SACK', () => {
  it('the receiver reports a segment received twice in the first SACK block of its ACK', () => {
    const h = establishedSack();
    h.run(`
      +0   < P. 1:101(100) ack 1 win 65535
      +0.04 > . 1:1(0) ack 101
      +0.1 < P. 1:101(100) ack 1 win 65535
      +0   > . 1:1(0) ack 101 <sack 1:101>
    `);
  });

  it('tcp_dsack = 0: the duplicate is acknowledged without a D-SACK block', () => {
    const h = establishedSack({ tcp_dsack: 0 });
    h.run(`
      +0   < P. 1:101(100) ack 1 win 65535
      +0.04 > . 1:1(0) ack 101
      +0.1 < P. 1:101(100) ack 1 win 65535
      +0   > . 1:1(0) ack 101 <>
    `);
  });

  it('the sender counts a D-SACK of a segment it retransmitted as a spurious retransmission', () => {
    const h = establishedSack({ ...RFC6675 });
    sendSegments(h, 1);
    h.run(`
      +1   > P. ${s(1)} ack 1
      +0.1 < . 1:1(0) ack ${una(2)} win 65535
      +0   < . 1:1(0) ack ${una(2)} win 65535 <sack ${sk(1)}>
    `);
    expect(h.tcb.loss.dsacksReceived).toBe(1);
    expect(h.tcb.loss.spuriousRetransmits).toBe(1);
  });
});
