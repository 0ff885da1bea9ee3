/**
 * A connection with anything outstanding — a SYN, data or a FIN unacknowledged, or data or a FIN
 * queued — always has a timer, and "outstanding" is measured against SND.MAX, not SND.NXT
 * (src/tcp/timer-invariant.ts). Issue 10 found two ways to break it; each is kept here, with the
 * rule checked after every step of the scenario.
 */
import { describe, expect, it } from 'vitest';
import { missingTimer } from '../../src/tcp/timer-invariant.js';
import { established, synReceived, type TcbHarness } from '../support/tcb-harness.js';

/** Advance in small steps to `until`, checking the rule after every step; returns the first breach. */
function runChecking(h: TcbHarness, until: number, stepMs = 50): string | null {
  while (h.now < until) {
    h.advance(stepMs);
    h.pending.length = 0;
    const why = missingTimer(h.tcb);
    if (why) return `t=${h.now}: ${why}`;
    if (h.state === 'CLOSED') return null;
  }
  return null;
}

describe('PMTU (RFC 1191 §6.1, RFC 8201 §4) never leaves a connection without a timer', () => {
  it('an orphan closed in SYN_RCVD (FIN_WAIT_1, SYN-ACK unacknowledged) that gets "fragmentation needed" keeps retransmitting its SYN-ACK, then gives up', () => {
    const h = synReceived();
    h.tcb.release(h.now); // the application closed before the handshake completed
    h.run(`+0 > F. 1:1(0) ack 1`);
    expect(h.state).toBe('FIN_WAIT_1');
    expect(h.tcb.reduceMss(500, h.now)).toBe(true);
    expect(missingTimer(h.tcb)).toBeNull();
    // nothing of data was in flight: the SYN-ACK and the FIN are not pulled back and sent again now
    h.expectNothingPending('after the PMTU message');
    // the SYN-ACK, then the FIN, go again on the timer as before; the first retransmission is the SYN-ACK
    h.run(`+1 > S. 0:0(0) ack 1 <mss 1460>`);
    expect(runChecking(h, 3_600_000)).toBeNull();
    // an orphan is bounded: tcp_orphan_retries (0 → 8) retransmissions, then CLOSED
    expect(h.state).toBe('CLOSED');
    expect(h.errors).toEqual(['ETIMEDOUT']);
  });

  it('with data in flight, a PMTU drop resends from SND.UNA at the new size and the retransmission timer keeps running', () => {
    const h = established();
    h.write('x'.repeat(2920));
    h.run(`
      +0 > . 1:1461(1460) ack 1
      +0 > P. 1461:2921(1460) ack 1
    `);
    expect(h.tcb.reduceMss(1000, h.now)).toBe(true);
    h.run(`
      +0 > . 1:1001(1000) ack 1
      +0 > . 1001:2001(1000) ack 1
      +0 > P. 2001:2921(920) ack 1
    `);
    // the short tail went too (Nagle as Linux's waits only for an earlier small segment), under the running timer
    expect(h.tcb.tRetransmit).toBeLessThan(Infinity);
    h.run(`
      +0.1 < . 1:1(0) ack 2001 win 65535
    `);
    expect(h.tcb.tRetransmit).toBeLessThan(Infinity);
    expect(missingTimer(h.tcb)).toBeNull();
  });
});

describe('the retransmission timer measures what is outstanding against SND.MAX', () => {
  it('after a go-back-N, a timeout that finds SND.NXT = SND.UNA below SND.MAX still retransmits', () => {
    const h = established();
    h.write('x'.repeat(2920));
    h.run(`
      +0 > . 1:1461(1460) ack 1
      +0 > P. 1461:2921(1460) ack 1
    `);
    // as a PMTU message or a window-limited go-back-N can leave it: nothing "between" UNA and NXT
    h.tcb.sndNxt = h.tcb.sndUna;
    expect(missingTimer(h.tcb)).toBeNull();
    h.run(`+1 > . 1:1461(1460) ack 1`);
    expect(missingTimer(h.tcb)).toBeNull();
    expect(h.tcb.retransmits).toBe(1);
  });

  it('a timeout with nothing outstanding but data queued sends it (or hands it to the persist timer) instead of doing nothing', () => {
    const h = established();
    h.tcb.sendBuf.push(new Uint8Array(100).fill(120));
    // the queue filled without trySend (as a held write does) and the timer fires with nothing in flight
    h.tcb.tRetransmit = h.now + 10;
    h.run(`+0.01 > P. 1:101(100) ack 1`);
    expect(missingTimer(h.tcb)).toBeNull();
  });
});

describe('missingTimer states the rule', () => {
  it('flags data queued with no timer, a FIN_WAIT_2 orphan without tcp_fin_timeout, and TIME_WAIT without 2MSL', () => {
    const h = established();
    expect(missingTimer(h.tcb)).toBeNull(); // idle ESTABLISHED: nothing outstanding, no timer needed
    h.tcb.sendBuf.push(new Uint8Array(10));
    expect(missingTimer(h.tcb)).toMatch(/10 bytes queued and unsent/);
    h.tcb.sendBuf.consume(10);
    h.tcb.sndMax = (h.tcb.sndMax + 5) >>> 0;
    expect(missingTimer(h.tcb)).toMatch(/5 sequence numbers unacknowledged/);
    h.tcb.tPersist = h.now + 1000;
    expect(missingTimer(h.tcb)).toBeNull();
    h.tcb.state = 'TIME_WAIT';
    expect(missingTimer(h.tcb)).toMatch(/TIME_WAIT without its 2MSL timer/);
  });
});
