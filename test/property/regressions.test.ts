/**
 * Minimal reproductions of the bugs the property tests in this directory found, shrunk to the
 * fewest segments that show them. Each names the property and the seed that found it.
 */
import { describe, it } from 'vitest';
import { established, listening, LOCAL_PORT, REMOTE_PORT } from '../support/tcb-harness.js';
import { ACK } from '../../src/wire/segment.js';
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

