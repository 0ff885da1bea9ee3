/**
 * Opening a connection: active OPEN (SYN_SENT), passive OPEN (LISTEN, SYN_RCVD), the retransmission
 * of SYN and SYN-ACK, and initial sequence numbers. RFC 9293 §3.5, §3.10.1, §3.10.4, §3.10.7.2–4,
 * §3.4.1 (RFC 6528).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialSequenceNumber, type HashKey } from '../../src/tcp/halfsiphash.js';
import { TcbHarness, established, listening, synReceived, synSent } from '../support/tcb-harness.js';

/** Send times (ms) of every segment the TCB has sent so far. */
function sendTimes(h: TcbHarness): number[] {
  return h.sentAll.map((s) => s.t);
}

describe('RFC 9293 §3.10.7.3 SYN-SENT (active open)', () => {
  it('connect sends a SYN at ISS offering mss, sackOK, timestamps and window scale', () => {
    const h = new TcbHarness();
    h.connect();
    h.run(`0 > S 0:0(0) win 65535 <mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 7>`);
    h.expectPath('CLOSED', 'SYN_SENT');
    expect(h.errors).toEqual([]);
  });

  it('SYN-ACK acknowledging the SYN → ESTABLISHED, answered at once by <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>', () => {
    const h = synSent();
    h.run(`
      +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7>
      // the SYN's 65535 aligned up to our scale (Linux's win 512): the offer grows with data
      +0    > . 1:1(0) ack 1 win 512 <TS val 50 ecr 700>
    `);
    h.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED');
    expect(h.establishedCount).toBe(1);
    expect(h.errors).toEqual([]);
  });

  it('a SYN-ACK carrying data is acknowledged at once and the data is readable', () => {
    const h = synSent();
    h.run(`
      +0.05 < S. 0:10(10) ack 1 win 65535 <mss 1460>
      +0    > . 1:1(0) ack 11 <>
    `);
    h.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED');
    expect(h.read()).toBe('abcdefghij');
    expect(h.readableCount).toBe(1);
    // nothing else goes out later (no delayed ACK left pending)
    h.run(`+1 < . 11:11(0) ack 1 win 65535`);
    expect(h.errors).toEqual([]);
  });

  it('a SYN-ACK carrying data and FIN is acknowledged through the FIN → CLOSE_WAIT', () => {
    const h = synSent();
    h.run(`
      +0.05 < SF. 0:5(5) ack 1 win 65535 <mss 1460>
      +0    > . 1:1(0) ack 7 <>
    `);
    h.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED', 'CLOSE_WAIT');
    expect(h.read()).toBe('abcde');
    expect(h.errors).toEqual([]);
  });

  it('SYN-ACK with SEG.ACK =< ISS → <SEQ=SEG.ACK><CTL=RST>, still SYN_SENT', () => {
    const h = synSent();
    h.run(`
      +0.05 < S. 0:0(0) ack 0 win 65535 <mss 1460>
      +0    > R 0:0(0)
    `);
    h.expectPath('CLOSED', 'SYN_SENT');
    // the real SYN-ACK still completes the handshake
    h.run(`
      +0.01 < S. 0:0(0) ack 1 win 65535 <mss 1460>
      +0    > . 1:1(0) ack 1
    `);
    h.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED');
    expect(h.errors).toEqual([]);
  });

  it('SYN-ACK with SEG.ACK > SND.NXT → <SEQ=SEG.ACK><CTL=RST>, still SYN_SENT', () => {
    const h = synSent();
    h.run(`
      +0.05 < S. 0:0(0) ack 2 win 65535 <mss 1460>
      +0    > R 2:2(0)
    `);
    h.expectPath('CLOSED', 'SYN_SENT');
    expect(h.errors).toEqual([]);
  });

  it('a RST with an unacceptable ACK is dropped without a reply', () => {
    const h = synSent();
    h.run(`+0.05 < R. 0:0(0) ack 5 win 0`);
    h.expectPath('CLOSED', 'SYN_SENT');
    expect(h.errors).toEqual([]);
  });

  it('RST with an acceptable ACK → CLOSED with ECONNREFUSED, nothing sent', () => {
    const h = synSent();
    h.run(`+0.05 < R. 0:0(0) ack 1 win 0`);
    h.expectPath('CLOSED', 'SYN_SENT', 'CLOSED');
    expect(h.errors).toEqual(['ECONNREFUSED']);
    expect(h.tcb.nextDeadline()).toBe(Infinity);
  });

  it('RST without ACK is ignored (RFC 5961 §3: no blind reset of a connection attempt)', () => {
    const h = synSent();
    h.run(`+0.05 < R 0:0(0) win 0`);
    h.expectPath('CLOSED', 'SYN_SENT');
    expect(h.errors).toEqual([]);
    // the SYN is still retransmitted on schedule, 1 s after it was first sent
    h.run(`+0.95 > S 0:0(0) <mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 7>`);
  });

  it('a segment with neither SYN nor RST is dropped, even with an acceptable ACK ("fifth")', () => {
    const h = synSent();
    h.run(`+0.05 < . 0:0(0) ack 1 win 65535`);
    h.expectPath('CLOSED', 'SYN_SENT');
    expect(h.errors).toEqual([]);
  });

  it('tcp_syn_retries=6 (default): SYN resent at 1, 3, 7, 15, 31, 63 s, ETIMEDOUT at 127 s', () => {
    const h = synSent();
    h.run(`
      1  > S 0:0(0) <mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 7>
      3  > S 0:0(0) <mss 1460,sackOK,TS val 3000 ecr 0,nop,wscale 7>
      7  > S 0:0(0) <mss 1460,sackOK,TS val 7000 ecr 0,nop,wscale 7>
      15 > S 0:0(0) <mss 1460,sackOK,TS val 15000 ecr 0,nop,wscale 7>
      31 > S 0:0(0) <mss 1460,sackOK,TS val 31000 ecr 0,nop,wscale 7>
      63 > S 0:0(0) <mss 1460,sackOK,TS val 63000 ecr 0,nop,wscale 7>
    `);
    expect(sendTimes(h)).toEqual([0, 1000, 3000, 7000, 15000, 31000, 63000]);
    h.advanceTo(126_999);
    h.expectPath('CLOSED', 'SYN_SENT');
    expect(h.errors).toEqual([]);
    h.advanceTo(127_000);
    h.expectPath('CLOSED', 'SYN_SENT', 'CLOSED');
    expect(h.errors).toEqual(['ETIMEDOUT']);
    h.expectNothingPending('after giving up');
    expect(h.tcb.nextDeadline()).toBe(Infinity);
  });

  it('tcp_syn_retries=2: SYN resent at 1 and 3 s, ETIMEDOUT at 7 s', () => {
    const h = synSent({ sysctl: { tcp_syn_retries: 2 } });
    h.run(`
      1 > S 0:0(0) <mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 7>
      3 > S 0:0(0) <mss 1460,sackOK,TS val 3000 ecr 0,nop,wscale 7>
    `);
    h.advanceTo(6_999);
    h.expectPath('CLOSED', 'SYN_SENT');
    h.advanceTo(7_000);
    h.expectNothingPending('after giving up');
    expect(sendTimes(h)).toEqual([0, 1000, 3000]);
    h.expectPath('CLOSED', 'SYN_SENT', 'CLOSED');
    expect(h.errors).toEqual(['ETIMEDOUT']);
  });

  it('a SYN-ACK answering a retransmitted SYN still completes the handshake', () => {
    const h = synSent();
    h.run(`
      1    > S 0:0(0) <mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 7>
      1.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>
      +0   > . 1:1(0) ack 1 win 65535 <>
    `);
    h.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED');
    h.advance(200_000);
    h.expectNothingPending('after the handshake');
    expect(h.errors).toEqual([]);
  });

  it('close() in SYN_SENT → CLOSED without sending anything (§3.10.4: "delete the TCB")', () => {
    const h = synSent();
    h.advance(500);
    h.close();
    h.expectPath('CLOSED', 'SYN_SENT', 'CLOSED');
    h.advance(200_000);
    h.expectNothingPending('after close()');
    expect(h.errors).toEqual([]);
  });
});

describe('RFC 9293 §3.10.7.2 LISTEN (passive open)', () => {
  it('an incoming RST is ignored', () => {
    const h = listening();
    h.run(`
      0 < R 0:0(0) win 0
      0 < R. 0:0(0) ack 1 win 0
    `);
    h.expectPath('CLOSED', 'LISTEN');
    expect(h.errors).toEqual([]);
  });

  it('any ACK-bearing segment → <SEQ=SEG.ACK><CTL=RST>, still LISTEN', () => {
    const h = listening();
    h.run(`
      0  < . 0:0(0) ack 77 win 65535
      +0 > R 77:77(0)
      +0 < P. 0:10(10) ack 1234 win 65535
      +0 > R 1234:1234(0)
      +0 < S. 0:0(0) ack 9 win 65535 <mss 1460>
      +0 > R 9:9(0)
    `);
    h.expectPath('CLOSED', 'LISTEN');
    expect(h.errors).toEqual([]);
  });

  it('a segment without SYN, ACK or RST is dropped ("fourth, other data or control")', () => {
    const h = listening();
    h.run(`
      0 < P 0:10(10) win 65535
      0 < F 0:0(0) win 65535
    `);
    h.expectPath('CLOSED', 'LISTEN');
  });

  it('SYN with all options → SYN-ACK <SEQ=ISS><ACK=RCV.NXT> offering all of them, SYN_RCVD', () => {
    const h = listening();
    h.run(`
      0  < S 0:0(0) win 65535 <mss 1400,sackOK,TS val 700 ecr 0,nop,wscale 7>
      +0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 0 ecr 700,nop,wscale 7>
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD');
    expect(h.errors).toEqual([]);
  });

  it('SYN with only an MSS → SYN-ACK with only an MSS (no sackOK, TS or wscale it did not offer)', () => {
    const h = listening();
    h.run(`
      0  < S 0:0(0) win 65535 <mss 1400>
      +0 > S. 0:0(0) ack 1 win 65535 <mss 1460>
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD');
  });

  it('SYN with sackOK and timestamps but no wscale → SYN-ACK mirrors exactly those', () => {
    const h = listening();
    h.run(`
      0  < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 5 ecr 0>
      +0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 0 ecr 5>
    `);
  });

  it('SYN with no options at all → SYN-ACK carrying our MSS only', () => {
    const h = listening();
    h.run(`
      0  < S 0:0(0) win 65535
      +0 > S. 0:0(0) ack 1 win 65535 <mss 1460>
    `);
  });

  it('text on the SYN is not taken (no TCP Fast Open): the SYN-ACK acknowledges the SYN only', () => {
    const h = listening();
    h.run(`
      0  < S 0:10(10) win 65535 <mss 1460>
      +0 > S. 0:0(0) ack 1 win 65535 <mss 1460>
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD');
    expect(h.tcb.readable).toBe(0);
  });

  it('the final ACK of the handshake → ESTABLISHED, nothing sent', () => {
    const h = synReceived();
    h.run(`+0.05 < . 1:1(0) ack 1 win 65535`);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED');
    expect(h.establishedCount).toBe(1);
    h.advance(200_000);
    h.expectNothingPending('after the handshake');
    expect(h.errors).toEqual([]);
  });

  it('data on the final ACK of the handshake is delivered', () => {
    const h = synReceived();
    h.run(`
      +0.05 < P. 1:6(5) ack 1 win 65535
      +0.04 > . 1:1(0) ack 6
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED');
    expect(h.read()).toBe('bcdef'); // the script's filler bytes for stream offsets 1..5
  });

  it('LISTEN → SYN_SENT through connectFromListen (§3.10.2 SEND with the remote known)', () => {
    const h = listening();
    h.tcb.connectFromListen(h.now);
    h.run(`
      0     > S 0:0(0) <mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 7>
      +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>
      +0    > . 1:1(0) ack 1
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_SENT', 'ESTABLISHED');
    expect(h.errors).toEqual([]);
  });

  it('close() in LISTEN → CLOSED without sending', () => {
    const h = listening();
    h.close();
    h.expectPath('CLOSED', 'LISTEN', 'CLOSED');
    h.expectNothingPending('after close()');
  });
});

describe('RFC 9293 §3.10.7.4 SYN-RECEIVED (passive open)', () => {
  it('a retransmitted SYN (SEG.SEQ = IRS) → the SYN-ACK again, still SYN_RCVD', () => {
    const h = synReceived();
    h.run(`
      +0.3 < S 0:0(0) win 65535 <mss 1460>
      +0   > S. 0:0(0) ack 1 win 65535 <mss 1460>
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD');
    h.run(`+0.05 < . 1:1(0) ack 1 win 65535`);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED');
  });

  it('tcp_synack_retries=5 (default): SYN-ACK resent at 1, 3, 7, 15, 31 s, given up at 63 s → LISTEN', () => {
    const h = synReceived();
    h.run(`
      1  > S. 0:0(0) ack 1 <mss 1460>
      3  > S. 0:0(0) ack 1 <mss 1460>
      7  > S. 0:0(0) ack 1 <mss 1460>
      15 > S. 0:0(0) ack 1 <mss 1460>
      31 > S. 0:0(0) ack 1 <mss 1460>
    `);
    expect(sendTimes(h)).toEqual([0, 1000, 3000, 7000, 15000, 31000]);
    h.advanceTo(62_999);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD');
    h.advanceTo(63_000);
    h.expectNothingPending('after giving up');
    // the half-open connection is dropped; the passive OPEN is still waiting ("the user need not be informed")
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'LISTEN');
    expect(h.errors).toEqual([]);
    expect(h.tcb.nextDeadline()).toBe(Infinity);
  });

  it('tcp_synack_retries=2: SYN-ACK resent at 1 and 3 s, given up at 7 s → LISTEN', () => {
    const h = synReceived({ sysctl: { tcp_synack_retries: 2 } });
    h.run(`
      1 > S. 0:0(0) ack 1 <mss 1460>
      3 > S. 0:0(0) ack 1 <mss 1460>
    `);
    h.advanceTo(6_999);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD');
    h.advanceTo(7_000);
    h.expectNothingPending('after giving up');
    expect(sendTimes(h)).toEqual([0, 1000, 3000]);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'LISTEN');
    expect(h.errors).toEqual([]);
  });

  it('the final ACK after a SYN-ACK retransmission still completes the handshake', () => {
    const h = synReceived();
    h.run(`
      1    > S. 0:0(0) ack 1 <mss 1460>
      1.05 < . 1:1(0) ack 1 win 65535
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED');
    h.advance(200_000);
    h.expectNothingPending('after the handshake');
  });

  it('RST at RCV.NXT → back to LISTEN, the user not informed', () => {
    const h = synReceived();
    h.run(`+0.05 < R 1:1(0) win 0`);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'LISTEN');
    expect(h.errors).toEqual([]);
    h.advance(200_000);
    h.expectNothingPending('after the RST');
  });

  it('a RST in the window but not at RCV.NXT → challenge ACK (RFC 5961 §3.2), still SYN_RCVD', () => {
    const h = synReceived();
    h.run(`
      +0.05 < R 100:100(0) win 0
      +0    > . 1:1(0) ack 1
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD');
    expect(h.errors).toEqual([]);
  });

  it('a TCB returned to LISTEN answers the next SYN afresh (its options, a full retry budget)', () => {
    const h = listening();
    h.run(`
      0    < S 0:0(0) win 65535 <mss 1460>
      +0   > S. 0:0(0) ack 1 win 65535 <mss 1460>
      1    > S. 0:0(0) ack 1 win 65535 <mss 1460>
      1.5  < R 1:1(0) win 0
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'LISTEN');
    // a new SYN (another ISN) offering everything: all is mirrored, the RTO starts from 1 s again
    h.run(`
      0    < S 1000:1000(0) win 65535 <mss 1460,sackOK,TS val 9 ecr 0,nop,wscale 2>
      +0   > S. 0:0(0) ack 1001 win 65535 <mss 1460,sackOK,TS val 1500 ecr 9,nop,wscale 7>
      1    > S. 0:0(0) ack 1001 win 65535 <mss 1460,sackOK,TS val 2500 ecr 9,nop,wscale 7>
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'LISTEN', 'SYN_RCVD');
    expect(h.errors).toEqual([]);
  });

  it('an ACK that does not acknowledge our SYN → <SEQ=SEG.ACK><CTL=RST>, still SYN_RCVD', () => {
    const h = synReceived();
    h.run(`
      +0.05 < . 1:1(0) ack 0 win 65535
      +0    > R 0:0(0)
      +0    < . 1:1(0) ack 5 win 65535
      +0    > R 5:5(0)
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD');
    h.run(`+0 < . 1:1(0) ack 1 win 65535`);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED');
    expect(h.errors).toEqual([]);
  });

  it('close() with nothing queued → FIN at once, FIN_WAIT_1 (§3.10.4); the ACK of the SYN only leaves the FIN to retransmit', () => {
    const h = synReceived();
    h.close();
    h.run(`
      +0    > F. 1:1(0) ack 1
      +0.05 < . 1:1(0) ack 1 win 65535
      1.05  > F. 1:1(0) ack 1
      +0.05 < . 1:1(0) ack 2 win 65535
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'FIN_WAIT_1', 'FIN_WAIT_2');
    expect(h.errors).toEqual([]);
  });

  it('close() with nothing queued → FIN at once, FIN_WAIT_1 (§3.10.4); the ACK of SYN and FIN → FIN_WAIT_2', () => {
    const h = synReceived();
    h.close();
    h.run(`
      +0    > F. 1:1(0) ack 1
      +0.05 < . 1:1(0) ack 2 win 65535
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'FIN_WAIT_1', 'FIN_WAIT_2');
    expect(h.errors).toEqual([]);
  });

  it('close() in SYN_RCVD: the retransmission timer resends the unacknowledged SYN-ACK', () => {
    const h = synReceived();
    h.close();
    h.run(`
      0    > F. 1:1(0) ack 1
      1    > S. 0:0(0) ack 1 <mss 1460>
      1.05 < . 1:1(0) ack 1 win 65535
      // the timeout sent everything back to SND.UNA: the FIN goes again once the SYN-ACK is acknowledged
      +0    > F. 1:1(0) ack 1
      +0.05 < . 1:1(0) ack 2 win 65535
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'FIN_WAIT_1', 'FIN_WAIT_2');
    expect(h.errors).toEqual([]);
  });

  it('data written and close() in SYN_RCVD go out, data then FIN, once the handshake completes', () => {
    const h = synReceived({ noDelay: true });
    h.write('hello');
    h.close();
    h.run(`
      +0.05 < . 1:1(0) ack 1 win 65535
      +0    > FP. 1:6(5) ack 1
      +0.05 < . 1:1(0) ack 7 win 65535
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'FIN_WAIT_1', 'FIN_WAIT_2');
    expect(h.errors).toEqual([]);
  });
});

describe('RFC 9293 §3.5 three-way handshake', () => {
  it('client path CLOSED → SYN_SENT → ESTABLISHED on SYN-ACK, answering with ACK', () => {
    const h = synSent();
    h.run(`
      +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>
      +0    > . 1:1(0) ack 1
    `);
    h.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED');
    expect(h.establishedCount).toBe(1);
  });

  it('server path CLOSED → LISTEN → SYN_RCVD → ESTABLISHED', () => {
    const h = established();
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED');
  });

  it('sequence numbers wrap: handshake and data both ways with both ISNs just below 2^32', () => {
    const h = new TcbHarness({ iss: 0xfffffff0, remoteIss: 0xfffffffa, noDelay: true });
    h.connect();
    h.run(`
      0     > S 0:0(0) <mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 7>
      +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>
      +0    > . 1:1(0) ack 1
    `);
    h.write('x'.repeat(40));
    h.run(`
      +0    > P. 1:41(40) ack 1
      +0.05 < P. 1:31(30) ack 41 win 65535
      +0.04 > . 41:41(0) ack 31
    `);
    expect(h.tcb.sndUna).toBe((0xfffffff0 + 41) >>> 0);
    expect(h.tcb.sndUna).toBeLessThan(0x100); // wrapped past 2^32
    expect(h.tcb.rcvNxt).toBe((0xfffffffa + 31) >>> 0);
    expect(h.read()).toBe('bcdefghijklmnopqrstuvwxyzabcde');
    h.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED');
    expect(h.errors).toEqual([]);
  });

  it('sequence numbers wrap on the passive side: ISS 2^32 - 1, SND.NXT = 0 after the SYN', () => {
    const h = listening({ iss: 0xffffffff, remoteIss: 0xfffffff0, noDelay: true });
    h.run(`
      0  < S 0:0(0) win 65535 <mss 1460>
      +0 > S. 0:0(0) ack 1 <mss 1460>
      +0 < P. 1:21(20) ack 1 win 65535
    `);
    expect(h.tcb.sndNxt).toBe(0);
    h.write('y'.repeat(20));
    h.run(`
      +0    > P. 1:21(20) ack 21
      +0.05 < . 21:21(0) ack 21 win 65535
    `);
    expect(h.tcb.sndUna).toBe(20);
    expect(h.read()).toBe('bcdefghijklmnopqrstu');
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED');
  });
});

describe('RFC 9293 §3.4.1 initial sequence numbers (RFC 6528: ISN = M + F(4-tuple, secret))', () => {
  const SECRET: HashKey = [0x01234567, 0x89abcdef];
  const tuple = (la: number, lp: number, ra: number, rp: number): number[] => [la, ra, (lp << 16) | rp];
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const port = fc.integer({ min: 1, max: 0xffff });

  it('differs between 4-tuples that differ only in the remote port', () => {
    const a = initialSequenceNumber(SECRET, tuple(0x0a000001, 8080, 0x0a000002, 40000), 0);
    const b = initialSequenceNumber(SECRET, tuple(0x0a000001, 8080, 0x0a000002, 40001), 0);
    expect(a).not.toBe(b);
  });

  it('differs across 4-tuples (property)', () => {
    fc.assert(
      fc.property(fc.tuple(u32, port, u32, port), fc.tuple(u32, port, u32, port), (x, y) => {
        fc.pre(x.some((v, i) => v !== y[i]));
        return initialSequenceNumber(SECRET, tuple(...x), 1000) !== initialSequenceNumber(SECRET, tuple(...y), 1000);
      }),
    );
  });

  it('differs across secrets for the same 4-tuple (property)', () => {
    const t = tuple(0xc0a80001, 443, 0xc0a80063, 51000);
    fc.assert(
      fc.property(fc.tuple(u32, u32), fc.tuple(u32, u32), (k1, k2) => {
        fc.pre(k1[0] !== k2[0] || k1[1] !== k2[1]);
        return initialSequenceNumber(k1, t, 0) !== initialSequenceNumber(k2, t, 0);
      }),
    );
  });

  it('advances with time at 250 per ms (one tick per 4 µs), modulo 2^32', () => {
    const t = tuple(0x0a000001, 8080, 0x0a000002, 40000);
    const at = (ms: number) => initialSequenceNumber(SECRET, t, ms);
    expect((at(1) - at(0)) >>> 0).toBe(250);
    expect((at(1000) - at(0)) >>> 0).toBe(250_000);
    expect((at(0.004) - at(0)) >>> 0).toBe(1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 20 }), (t0, d) => {
        return ((at(t0 + d) - at(t0)) >>> 0) === (250 * d) % 2 ** 32;
      }),
    );
    // it wraps: 2^32 / 250 ms ≈ 4.77 hours later it is back where it started
    expect(at(2 ** 32 / 250)).toBe(at(0));
  });

  it('is a deterministic function of (secret, 4-tuple, time)', () => {
    const t = tuple(0x0a000001, 8080, 0x0a000002, 40000);
    expect(initialSequenceNumber(SECRET, t, 12345)).toBe(initialSequenceNumber(SECRET, [...t], 12345));
  });
});
