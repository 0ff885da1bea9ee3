/**
 * Closing a connection: the active (client) and passive (server) paths, the CLOSE call in every
 * state, FIN queued behind data and its retransmission, ABORT and release() (the owner letting go),
 * and the retransmission limits that end a connection whose peer has gone silent.
 */
import { describe, expect, it } from 'vitest';
import type { TcpState } from '../../src/tcp/state.js';
import {
  TcbHarness,
  closeWait,
  established,
  finWait2,
  listening,
  synReceived,
  synSent,
  timeWait,
} from '../support/tcb-harness.js';

/** Time of the last transition into `state`. */
function enteredAt(h: TcbHarness, state: TcpState): number {
  const t = [...h.transitions].reverse().find((x) => x.to === state);
  if (!t) throw new Error(`never entered ${state}; path ${h.path.join(' → ')}`);
  return t.t;
}

/** Times (relative to `from`) at which segments went out since index `since` of sentAll. */
function sendTimes(h: TcbHarness, since: number, from: number): number[] {
  return h.sentAll.slice(since).map((s) => s.t - from);
}

/** ESTABLISHED server whose peer announced MSS 100, so a few hundred bytes make several segments. */
function establishedSmallMss(): TcbHarness {
  const h = listening();
  h.run(`
    0  < S 0:0(0) win 65535 <mss 100>
    +0 > S. 0:0(0) ack 1 <mss 1460>
    +0 < . 1:1(0) ack 1 win 65535
  `);
  return h;
}

describe('RFC 9293 §3.6 active close (client path)', () => {
  it('close() in ESTABLISHED sends FIN and enters FIN_WAIT_1; the FIN occupies one sequence number', () => {
    const h = established();
    h.close();
    expect(h.state).toBe('FIN_WAIT_1');
    h.run(`
      +0   > F. 1:1(0) ack 1
      // an ACK that stops at the FIN's own sequence number does not acknowledge it
      +0.1 < . 1:1(0) ack 1 win 65535
    `);
    expect(h.state).toBe('FIN_WAIT_1');
    // ACK = FIN seq + 1 does
    h.run(`+0 < . 1:1(0) ack 2 win 65535`);
    expect(h.state).toBe('FIN_WAIT_2');
    expect(h.tcb.sndUna).toBe((h.base.localIss + 2) >>> 0);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2');
  });

  it('full client path CLOSED → SYN_SENT → ESTABLISHED → FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT → CLOSED after exactly 2MSL', () => {
    const h = synSent();
    h.run(`
      +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>
      +0    > . 1:1(0) ack 1
    `);
    h.close();
    h.run(`
      +0    > F. 1:1(0) ack 1
      +0.05 < . 1:1(0) ack 2 win 65535
      +1    < F. 1:1(0) ack 2 win 65535
      +0    > . 2:2(0) ack 2
    `);
    const tw = enteredAt(h, 'TIME_WAIT');
    h.advanceTo(tw + 59_999);
    expect(h.state).toBe('TIME_WAIT');
    h.advanceTo(tw + 60_000);
    expect(h.state).toBe('CLOSED');
    expect(enteredAt(h, 'CLOSED') - tw).toBe(60_000);
    h.expectNothingPending('after TIME_WAIT');
    h.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED');
    expect(h.errors).toEqual([]);
  });

  it('FIN_WAIT_1 → TIME_WAIT directly on one FIN+ACK that acknowledges our FIN', () => {
    const h = established();
    h.close();
    h.run(`
      +0   > F. 1:1(0) ack 1
      +0.1 < F. 1:1(0) ack 2 win 65535
      +0   > . 2:2(0) ack 2
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'TIME_WAIT');
    const tw = enteredAt(h, 'TIME_WAIT');
    h.advanceTo(tw + 60_000);
    expect(h.state).toBe('CLOSED');
    h.expectNothingPending('after TIME_WAIT');
  });
});

describe('RFC 9293 §3.6 passive close (server path)', () => {
  it('a FIN in ESTABLISHED is ACKed with ack = FIN seq + 1, enters CLOSE_WAIT and signals EOF to the reader', () => {
    const h = established();
    expect(h.readableCount).toBe(0);
    h.run(`
      +0.1 < F. 1:1(0) ack 1 win 65535
      +0   > . 1:1(0) ack 2
    `);
    expect(h.state).toBe('CLOSE_WAIT');
    expect(h.readableCount).toBe(1);
    expect(h.tcb.rcvClosed).toBe(true);
    expect(h.read()).toBe('');
    expect(h.tcb.canSend).toBe(true);
  });

  it('full server path CLOSED → LISTEN → SYN_RCVD → ESTABLISHED → CLOSE_WAIT → LAST_ACK → CLOSED on the ACK of our FIN', () => {
    const h = closeWait();
    h.close();
    expect(h.state).toBe('LAST_ACK');
    h.run(`
      +0   > F. 1:1(0) ack 2
      +0.1 < . 2:2(0) ack 2 win 65535
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED');
    // nothing is left running: no FIN retransmission, no TIME_WAIT on this side
    h.advance(10 * 60_000);
    h.expectNothingPending('after CLOSED');
    expect(h.errors).toEqual([]);
  });

  it('in LAST_ACK an ACK that does not cover our FIN leaves the connection in LAST_ACK', () => {
    const h = closeWait();
    h.close();
    h.run(`
      +0   > F. 1:1(0) ack 2
      +0.1 < . 2:2(0) ack 1 win 65535
    `);
    expect(h.state).toBe('LAST_ACK');
    h.run(`+0.1 < . 2:2(0) ack 2 win 65535`);
    expect(h.state).toBe('CLOSED');
  });
});

describe('RFC 9293 §3.10.4 CLOSE call', () => {
  it('CLOSE in CLOSE_WAIT sends FIN and enters LAST_ACK', () => {
    const h = closeWait();
    h.close();
    h.run(`+0 > F. 1:1(0) ack 2`);
    expect(h.state).toBe('LAST_ACK');
  });

  it('CLOSE in LISTEN deletes the TCB: CLOSED, nothing sent', () => {
    const h = listening();
    h.close();
    h.expectPath('CLOSED', 'LISTEN', 'CLOSED');
    h.expectNothingPending('after close in LISTEN');
  });

  it('CLOSE in SYN_SENT deletes the TCB: CLOSED, nothing sent and the SYN is not retransmitted', () => {
    const h = synSent();
    h.close();
    h.expectPath('CLOSED', 'SYN_SENT', 'CLOSED');
    h.advance(200_000);
    h.expectNothingPending('after close in SYN_SENT');
    expect(h.tcb.nextDeadline()).toBe(Infinity);
  });

  it('CLOSE in SYN_RCVD with nothing queued sends FIN and enters FIN_WAIT_1', () => {
    const h = synReceived();
    h.close();
    h.run(`
      +0   > F. 1:1(0) ack 1
      +0.1 < . 1:1(0) ack 2 win 65535
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'FIN_WAIT_1', 'FIN_WAIT_2');
  });

  it('CLOSE in SYN_RCVD retransmits the SYN-ACK while the handshake is incomplete, then the FIN', () => {
    const h = synReceived();
    h.close();
    h.run(`
      +0   > F. 1:1(0) ack 1
      // neither reached the peer: the SYN-ACK goes again on the RTO
      +1   > S. 0:0(0) ack 1 <mss 1460>
      // the peer acknowledges the SYN only; the FIN follows at once
      +0.1 < . 1:1(0) ack 1 win 65535
      +0   > F. 1:1(0) ack 1
      +0.1 < . 1:1(0) ack 2 win 65535
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'FIN_WAIT_1', 'FIN_WAIT_2');
  });

  it('CLOSE in SYN_RCVD with data queued sends nothing until the handshake completes, then the data with the FIN', () => {
    const h = synReceived();
    h.write('hello');
    h.close();
    h.expectNothingPending('before the handshake completes');
    h.run(`
      +0.1 < . 1:1(0) ack 1 win 65535
      +0   > FP. 1:6(5) ack 1
      +0.1 < . 1:1(0) ack 7 win 65535
    `);
    // RFC 9293 §3.10.4 would hold the CLOSE in SYN_RCVD until ESTABLISHED; this TCB enters
    // FIN_WAIT_1 at once and holds the data there: the segments are the same.
    expect(h.state).toBe('FIN_WAIT_2');
    expect(h.tcb.sendBuf.length).toBe(0);
  });

  it('CLOSE twice is harmless: one FIN, no error, and SEND is refused after CLOSE', () => {
    const h = established();
    h.close();
    h.close();
    h.run(`+0 > F. 1:1(0) ack 1`);
    h.close();
    expect(h.tcb.canSend).toBe(false);
    h.run(`+0.1 < . 1:1(0) ack 2 win 65535`);
    h.close();
    h.expectNothingPending('after repeated close');
    expect(h.state).toBe('FIN_WAIT_2');
    expect(h.errors).toEqual([]);
  });

  it('CLOSE in LAST_ACK, TIME_WAIT or CLOSED changes nothing', () => {
    const last = closeWait();
    last.close();
    last.run(`+0 > F. 1:1(0) ack 2`);
    last.close();
    expect(last.state).toBe('LAST_ACK');
    last.expectNothingPending('after close in LAST_ACK');

    const tw = timeWait();
    const deadline = tw.tcb.nextDeadline();
    tw.close();
    expect(tw.state).toBe('TIME_WAIT');
    expect(tw.tcb.nextDeadline()).toBe(deadline);
    tw.expectNothingPending('after close in TIME_WAIT');

    const closed = new TcbHarness();
    closed.close();
    expect(closed.transitions).toEqual([]);
    closed.expectNothingPending('after close in CLOSED');
  });
});

describe('RFC 9293 §3.10.4 CLOSE: the FIN follows all queued data', () => {
  it('close() with unsent data sends the data first and the FIN last, on the last data segment', () => {
    const h = establishedSmallMss();
    h.write('x'.repeat(50));
    h.run(`+0 > P. 1:51(50) ack 1`);
    h.write('x'.repeat(250));
    h.close();
    expect(h.state).toBe('FIN_WAIT_1');
    h.run(`
      +0   > . 51:151(100) ack 1
      +0   > . 151:251(100) ack 1
      // the last 50 bytes wait while the first small segment is unacknowledged (Nagle, as Linux's
      // Minshall variant); the FIN waits behind them
      +0.1 < . 1:1(0) ack 51 win 65535
      +0   > FP. 251:301(50) ack 1
      +0.1 < . 1:1(0) ack 302 win 65535
    `);
    expect(h.state).toBe('FIN_WAIT_2');
    expect(h.tcb.sendBuf.length).toBe(0);
  });

  it('a lost FIN is retransmitted on the RTO with exponential backoff until it is ACKed', () => {
    const h = established();
    h.close();
    h.run(`
      +0   > F. 1:1(0) ack 1
      +1   > F. 1:1(0) ack 1
      +2   > F. 1:1(0) ack 1
      +0.5 < . 1:1(0) ack 2 win 65535
    `);
    expect(h.state).toBe('FIN_WAIT_2');
    h.advance(600_000);
    h.expectNothingPending('once the FIN is ACKed');
  });

  it('a lost last data segment carrying the FIN is retransmitted whole, data and FIN', () => {
    const h = establishedSmallMss();
    h.write('x'.repeat(20));
    h.run(`+0 > P. 1:21(20) ack 1`);
    h.write('x'.repeat(150));
    h.close();
    h.run(`
      +0   > . 21:121(100) ack 1
      // the 50-byte tail waits for the first small segment's ACK (Nagle); the FIN rides on it
      +0.1 < . 1:1(0) ack 121 win 65535
      +0   > FP. 121:171(50) ack 1
    `);
    // it is lost; RTO after one 100 ms sample: SRTT + 4·RTTVAR = 100 + 200 ms
    h.run(`
      +0.3 > FP. 121:171(50) ack 1
      +0.1 < . 1:1(0) ack 172 win 65535
    `);
    expect(h.state).toBe('FIN_WAIT_2');
  });

  it('lost final ACK: LAST_ACK retransmits its FIN and closes on the ACK of the retransmission', () => {
    const h = closeWait();
    h.close();
    h.run(`
      +0   > F. 1:1(0) ack 2
      // the peer's ACK of our FIN is lost
      +1   > F. 1:1(0) ack 2
      +0.1 < . 2:2(0) ack 2 win 65535
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED');
  });
});

describe('RFC 9293 §3.8.6.1 CLOSE against a zero window (RFC 1122 §4.2.2.17)', () => {
  /** Answer every zero-window probe with a still-shut window until `until`; returns the probes seen. */
  function answerProbesShut(h: TcbHarness, until: number): string[] {
    const seen: string[] = [];
    while (h.now < until && h.state !== 'CLOSED') {
      h.advanceTo(Math.min(until, h.tcb.nextDeadline()));
      for (const s of h.pending.splice(0)) {
        seen.push(h.fmt(s.seg).split(' win')[0]!);
        h.run(`0 < . 1:1(0) ack 1 win 0`);
      }
    }
    return seen;
  }

  it('the FIN waits for the window: probes, answered, keep the connection open; the FIN goes when it opens', () => {
    const h = established();
    h.run(`+0.1 < . 1:1(0) ack 1 win 0`);
    h.close();
    h.expectNothingPending('a FIN into a shut window would be dropped');
    const probes = answerProbesShut(h, h.now + 3600_000);
    expect(probes.length).toBeGreaterThan(5);
    expect(new Set(probes)).toEqual(new Set(['. 0:0(0) ack 1']));
    expect(h.state).toBe('FIN_WAIT_1');
    expect(h.errors).toEqual([]);
    h.run(`
      0    < . 1:1(0) ack 1 win 65535
      +0   > F. 1:1(0) ack 1
      +0.1 < . 1:1(0) ack 2 win 65535
    `);
    expect(h.state).toBe('FIN_WAIT_2');
  });

  it('an orphan held by a shut window gives up after tcp_orphan_retries probes, even answered ones', () => {
    const h = established({ sysctl: { tcp_orphan_retries: 2 } });
    h.run(`+0.1 < . 1:1(0) ack 1 win 0`);
    h.tcb.release(h.now);
    const probes = answerProbesShut(h, h.now + 3600_000);
    expect(probes).toEqual(['. 0:0(0) ack 1', '. 0:0(0) ack 1']);
    expect(h.state).toBe('CLOSED');
    expect(h.errors).toEqual(['ETIMEDOUT']);
  });
});

describe('RFC 9293 §3.10.5 ABORT', () => {
  const synchronized: Array<[string, () => TcbHarness, string]> = [
    ['SYN_RCVD', () => synReceived(), 'R. 1:1(0) ack 1'],
    ['ESTABLISHED', () => established(), 'R. 1:1(0) ack 1'],
    [
      'FIN_WAIT_1',
      () => {
        const h = established();
        h.close();
        h.run(`+0 > F. 1:1(0) ack 1`);
        return h;
      },
      'R. 2:2(0) ack 1',
    ],
    ['FIN_WAIT_2', () => finWait2(), 'R. 2:2(0) ack 1'],
    ['CLOSE_WAIT', () => closeWait(), 'R. 1:1(0) ack 2'],
  ];
  it.each(synchronized)('abort() in %s sends RST <SEQ=SND.NXT> and goes CLOSED', (state, make, rst) => {
    const h = make();
    expect(h.state).toBe(state);
    h.tcb.abort(h.now);
    h.run(`+0 > ${rst}`);
    expect(h.state).toBe('CLOSED');
    expect(h.tcb.nextDeadline()).toBe(Infinity);
    h.advance(600_000);
    h.expectNothingPending('after abort');
  });

  const quiet: Array<[string, () => TcbHarness]> = [
    ['LISTEN', () => listening()],
    ['SYN_SENT', () => synSent()],
    [
      'CLOSING',
      () => {
        const h = established();
        h.close();
        h.run(`
          +0 > F. 1:1(0) ack 1
          +0 < F. 1:1(0) ack 1 win 65535
          +0 > . 2:2(0) ack 2
        `);
        return h;
      },
    ],
    [
      'LAST_ACK',
      () => {
        const h = closeWait();
        h.close();
        h.run(`+0 > F. 1:1(0) ack 2`);
        return h;
      },
    ],
    ['TIME_WAIT', () => timeWait()],
  ];
  it.each(quiet)('abort() in %s sends nothing and goes CLOSED', (state, make) => {
    const h = make();
    expect(h.state).toBe(state);
    h.tcb.abort(h.now);
    expect(h.state).toBe('CLOSED');
    h.advance(600_000);
    h.expectNothingPending('after abort');
  });
});

describe('RFC 2525 §2.17 release() with unread data resets (as Linux does)', () => {
  it('release() with unread received data sends RST instead of FIN and goes CLOSED', () => {
    const h = established();
    h.run(`
      +0    < P. 1:11(10) ack 1 win 65535
      +0.04 > . 1:1(0) ack 11
    `);
    h.tcb.release(h.now);
    h.run(`+0 > R. 1:1(0) ack 11`);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'CLOSED');
    h.advance(600_000);
    h.expectNothingPending('after the reset');
  });

  it('release() with unread out-of-order data also resets', () => {
    const h = established();
    h.run(`
      +0 < P. 11:21(10) ack 1 win 65535
      +0 > . 1:1(0) ack 1
    `);
    h.tcb.release(h.now);
    h.run(`+0 > R. 1:1(0) ack 1`);
    expect(h.state).toBe('CLOSED');
  });

  it('release() after everything was read closes with a FIN', () => {
    const h = established();
    h.run(`
      +0    < P. 1:11(10) ack 1 win 65535
      +0.04 > . 1:1(0) ack 11
    `);
    expect(h.read()).toHaveLength(10);
    h.tcb.release(h.now);
    h.run(`+0 > F. 1:1(0) ack 11`);
    expect(h.state).toBe('FIN_WAIT_1');
    expect(h.tcb.orphan).toBe(true);
  });
});

describe('RFC 9293 §3.8.3 retransmission limits (Linux tcp_orphan_retries, tcp_retries2)', () => {
  it('an orphan whose FIN is never ACKed gives up after 8 retransmissions when tcp_orphan_retries=0', () => {
    const h = established();
    const t0 = h.now;
    const first = h.sentAll.length;
    h.tcb.release(t0);
    h.advance(10 * 60_000);
    const sent = h.sentAll.slice(first);
    expect(sent.map((s) => h.fmt(s.seg).split(' win')[0])).toEqual(Array(9).fill('F. 1:1(0) ack 1'));
    // RTO 1 s doubling, capped at tcp_rto_max_ms = 120 s
    expect(sendTimes(h, first, t0)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000, 63_000, 127_000, 247_000]);
    expect(h.errors).toEqual(['ETIMEDOUT']);
    expect(enteredAt(h, 'CLOSED') - t0).toBe(367_000);
    h.pending = [];
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSED');
  });

  it('tcp_orphan_retries=2 gives up after 2 retransmissions of the FIN', () => {
    const h = established({ sysctl: { tcp_orphan_retries: 2 } });
    const t0 = h.now;
    h.tcb.release(t0);
    h.run(`
      0 > F. 1:1(0) ack 1
      1 > F. 1:1(0) ack 1
      3 > F. 1:1(0) ack 1
    `);
    h.advance(100_000);
    h.expectNothingPending('after giving up');
    expect(h.errors).toEqual(['ETIMEDOUT']);
    expect(enteredAt(h, 'CLOSED') - t0).toBe(7_000);
  });

  it('a non-orphan FIN_WAIT_1 is bounded by tcp_retries2, not tcp_orphan_retries', () => {
    const h = established({ sysctl: { tcp_orphan_retries: 1, tcp_retries2: 3 } });
    const t0 = h.now;
    const first = h.sentAll.length;
    h.close();
    h.advance(100_000);
    expect(sendTimes(h, first, t0)).toEqual([0, 1_000, 3_000, 7_000]);
    expect(h.errors).toEqual(['ETIMEDOUT']);
    expect(enteredAt(h, 'CLOSED') - t0).toBe(15_000);
    h.pending = [];
  });

  it('tcp_retries2=3: data retransmitted at 1, 3, 7 s (RTO doubling from 1 s), then ETIMEDOUT at 15 s, no RST', () => {
    const h = established({ sysctl: { tcp_retries2: 3 } });
    const t0 = h.now;
    h.write('0123456789');
    h.run(`
      0 > P. 1:11(10) ack 1
      1 > P. 1:11(10) ack 1
      3 > P. 1:11(10) ack 1
      7 > P. 1:11(10) ack 1
    `);
    h.advanceTo(t0 + 14_999);
    expect(h.state).toBe('ESTABLISHED');
    h.advanceTo(t0 + 15_000);
    expect(h.state).toBe('CLOSED');
    expect(h.errors).toEqual(['ETIMEDOUT']);
    h.expectNothingPending('on ETIMEDOUT');
    expect(h.sentAll.filter((s) => s.t > t0).map((s) => s.t - t0)).toEqual([1_000, 3_000, 7_000]);
  });

  it('the backoff is capped at tcp_rto_max_ms', () => {
    const h = established({ sysctl: { tcp_retries2: 4, tcp_rto_max_ms: 2_000 } });
    const t0 = h.now;
    const first = h.sentAll.length;
    h.write('0123456789');
    h.advance(60_000);
    expect(sendTimes(h, first, t0)).toEqual([0, 1_000, 3_000, 5_000, 7_000]);
    expect(h.errors).toEqual(['ETIMEDOUT']);
    expect(enteredAt(h, 'CLOSED') - t0).toBe(9_000);
    h.pending = [];
  });
});
