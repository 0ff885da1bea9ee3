/**
 * Minimal reproductions of the bugs the property tests in this directory found, shrunk to the
 * fewest segments that show them. Each names the property and the seed that found it.
 */
import { describe, it } from 'vitest';
import { established, listening, LOCAL_PORT, REMOTE_PORT, TcbHarness } from '../support/tcb-harness.js';
import { ACK, SYN, type Segment } from '../../src/wire/segment.js';
import { seqAdd, seqDiff } from '../../src/tcp/seq.js';
import { expect } from 'vitest';

describe('regressions found by the transfer-under-impairments property', () => {
  it('after an RTO (go-back-N), a pure ACK still carries SEQ = the highest sequence number sent', () => {
    // Found with seed 7, 20% loss both ways, 64 KiB echo: both ends had data in flight, both
    // timed out and pulled SND.NXT back to SND.UNA, and then stamped their ACKs with that old
    // SND.NXT. Each peer had already received past it, so it found the ACK unacceptable
    // (SEG.SEQ < RCV.NXT, §3.10.7.4 first step) and dropped it with its ACK field: neither side
    // could ever learn its data had arrived, and both gave up with ETIMEDOUT.
    const h = established();
    h.write('x'.repeat(2 * 1460));
    h.run(`
      +0    > . 1:1461(1460) ack 1
      +0    > P. 1461:2921(1460) ack 1
      +1    > . 1:1461(1460) ack 1
      +0.1  < P. 1:101(100) ack 1 win 65535
      +0.04 > . 2921:2921(0) ack 101
    `);
  });

  it('an ACK that echoes the TSval of a transmission the RTO already repeated gives no RTT sample (Karn)', () => {
    // Found with seed 9, 20% loss both ways, 500 KB sink: the receiver got the data but its ACK
    // was lost; the retransmission was old news to it, so the duplicate ACK echoed the TSval of the
    // original transmission (an unacceptable segment never updates TS.Recent, RFC 7323 §5.3 R2/R3).
    // Taken as an RTT sample it counted the whole backed-off RTO as path delay: SRTT grew with
    // every timeout, the RTO sat at tcp_rto_max_ms, and 500 KB took 4 virtual hours.
    const h = listening();
    h.advance(1000);
    h.run(`
      0     < S 0:0(0) win 65535 <mss 1460,TS val 100 ecr 0>
      +0    > S. 0:0(0) ack 1 <mss 1460,TS val 1000 ecr 100>
      +0.1  < . 1:1(0) ack 1 win 65535 <TS val 200 ecr 1000>
    `);
    expect(h.tcb.rto.srtt).toBe(100);
    h.write('x'.repeat(100));
    h.run(`
      +0    > P. 1:101(100) ack 1 <TS val 1100 ecr 200>
      +0.3  > P. 1:101(100) ack 1 <TS val 1400 ecr 200>
      +0.01 < . 1:1(0) ack 101 win 65535 <TS val 300 ecr 1100>
    `);
    // the echo is of the first transmission: 310 ms would measure the lost ACK, not the path
    expect(h.tcb.rto.srtt).toBe(100);
    expect(h.tcb.sndUna).toBe(h.tcb.sndNxt);
  });
});

describe('regressions found with keepalive on in the transfer property', () => {
  it('the keepalive timer never re-arms at the current time when times are fractional', () => {
    // Found with seed 714726910 (jitter makes arrival times fractional): in LAST_ACK, at
    // now = lastRcvTime + idle, `now - lastRcvTime` came out as 59999.99999999999 < 60000, so the
    // timer was re-armed at `lastRcvTime + idle`, which rounds to `now` again: an endless loop at
    // one instant (the virtual clock never advanced; a real clock would spin).
    const h = established();
    const arrival = 10389.880609419333;
    h.advanceTo(arrival);
    h.tcb.segmentArrives(
      { srcPort: REMOTE_PORT, dstPort: LOCAL_PORT, seq: h.base.remoteIss + 1, ack: h.base.localIss + 1, flags: ACK, window: 65535, urgent: 0, options: {}, payload: new Uint8Array(0) },
      h.now,
    );
    h.tcb.setKeepAlive(true, 60_000, h.now);
    const due = h.tcb.nextDeadline();
    expect(due).toBe(arrival + 60_000);
    expect(due - arrival).toBeLessThan(60_000); // the rounding that set the trap
    h.tcb.onTimer(due);
    expect(h.tcb.nextDeadline()).toBeGreaterThan(due);
    expect(h.tcb.probesOut).toBe(1); // the idle time is up: the first probe went out
  });
});

describe('regressions found by the TCB fuzz property', () => {
  it('a retransmission that carries bytes never sent before moves SND.MAX with SND.NXT', () => {
    // Found by tcb-fuzz (ESTABLISHED, seed 914703051): with one segment in flight and a small
    // write held back by Nagle, the RTO's retransmission takes up to an MSS from SND.UNA and so
    // sends the held byte for the first time. SND.NXT moved past it, SND.MAX (the highest sequence
    // number sent, which bounds the ACKs and ICMP quotes we accept) stayed behind.
    const h = established();
    h.write('x'.repeat(100));
    h.run(`+0 > P. 1:101(100) ack 1`);
    h.write('y'); // Nagle: data in flight, so the small piece waits
    h.run(`+1 > P. 1:102(101) ack 1`);
    expect(h.tcb.sndNxt).toBe(h.tcb.sndMax);
  });

  it('a retransmitted SYN-ACK does not pull back the window edge a scaled ACK already offered', () => {
    // Found by tcb-fuzz (SYN_RCVD by simultaneous open, window scaling on, seed 1174168483): in
    // SYN_RCVD an unacceptable segment drew an ACK offering 2048 << 7 = 262144 bytes (today 512 << 7,
    // the SYN's offer aligned up to the scale: still one byte past what a SYN-ACK can say); the RTO then
    // resent the SYN-ACK, whose window is never scaled (RFC 7323 §2.2) and says 65535, and the
    // receive edge was set back to RCV.NXT + 65535: data the peer had been allowed to send would
    // be trimmed, and the next ACK moved the edge left (RFC 9293 §3.8.6).
    const h = new TcbHarness();
    h.connect();
    const from = (flags: number, seq: number, options: Segment['options']): Segment => ({
      srcPort: REMOTE_PORT,
      dstPort: LOCAL_PORT,
      seq,
      ack: flags & ACK ? seqAdd(h.base.localIss, 1) : 0,
      flags,
      window: 65535,
      urgent: 0,
      options,
      payload: new Uint8Array(0),
    });
    h.tcb.segmentArrives(from(SYN, h.base.remoteIss, { mss: 1460, wscale: 0 }), h.now); // simultaneous open
    expect(h.tcb.state).toBe('SYN_RCVD');
    h.tcb.segmentArrives(from(ACK, seqAdd(h.base.remoteIss, 1_000_000), {}), h.now); // out of window: ACK
    const offered = h.tcb.rcvAdvEdge;
    expect(seqDiff(offered, h.tcb.rcvNxt)).toBe(65_536);
    h.advance(1000); // the RTO resends the SYN-ACK
    expect(h.sentAll[h.sentAll.length - 1]!.seg.flags).toBe(SYN | ACK);
    expect(seqDiff(h.tcb.rcvAdvEdge, offered)).toBeGreaterThanOrEqual(0);
  });
});

