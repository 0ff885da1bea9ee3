/**
 * TIME_WAIT: 2MSL (60 s, Linux's TCP_TIMEWAIT_LEN) in virtual time, the re-ACK of a retransmitted
 * FIN and the restart of the timer it causes, old segments, and RFC 1337's RST rule.
 */
import { describe, expect, it } from 'vitest';
import type { TcpState } from '../../src/tcp/state.js';
import { TIME_WAIT_MS } from '../../src/tcp/tcb.js';
import { type TcbHarness, established, finWait2, timeWait } from '../support/tcb-harness.js';

function enteredAt(h: TcbHarness, state: TcpState): number {
  const t = [...h.transitions].reverse().find((x) => x.to === state);
  if (!t) throw new Error(`never entered ${state}; path ${h.path.join(' → ')}`);
  return t.t;
}

/** Advance to just before and exactly at `t`: TIME_WAIT until then, CLOSED at `t`. */
function expectClosedExactlyAt(h: TcbHarness, t: number): void {
  h.advanceTo(t - 1);
  expect(h.state).toBe('TIME_WAIT');
  h.advanceTo(t);
  expect(h.state).toBe('CLOSED');
  expect(enteredAt(h, 'CLOSED')).toBe(t);
  h.expectNothingPending('when TIME_WAIT ends');
}

describe('RFC 9293 §3.10.7.4 eighth step: FIN in FIN_WAIT_2', () => {
  it('the peer FIN in FIN_WAIT_2 is ACKed with ack = FIN seq + 1 and starts TIME_WAIT', () => {
    const h = finWait2();
    h.run(`
      +2 < F. 1:1(0) ack 2 win 65535
      +0 > . 2:2(0) ack 2
    `);
    expect(h.state).toBe('TIME_WAIT');
    expect(h.tcb.rcvNxt).toBe((h.base.remoteIss + 2) >>> 0);
    expect(h.tcb.status(h.now).timer).toEqual({ name: 'timewait', ms: 60_000 });
  });
});

describe('RFC 9293 §3.10.8 time-wait timeout: 2MSL', () => {
  it('TIME_WAIT lasts exactly 2MSL (60 s) and ends in CLOSED silently', () => {
    expect(TIME_WAIT_MS).toBe(60_000);
    const h = timeWait();
    const tw = enteredAt(h, 'TIME_WAIT');
    expectClosedExactlyAt(h, tw + 60_000);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED');
    expect(h.errors).toEqual([]);
  });

  it('tcp_fin_timeout does not shorten TIME_WAIT', () => {
    const h = timeWait({ sysctl: { tcp_fin_timeout: 5 } });
    expectClosedExactlyAt(h, enteredAt(h, 'TIME_WAIT') + 60_000);
  });

  it('an orphan in FIN_WAIT_2 that gets the FIN in time still waits the full 60 s in TIME_WAIT', () => {
    const h = finWait2({ sysctl: { tcp_fin_timeout: 5 } });
    h.tcb.release(h.now);
    h.run(`
      +4 < F. 1:1(0) ack 2 win 65535
      +0 > . 2:2(0) ack 2
    `);
    expectClosedExactlyAt(h, enteredAt(h, 'TIME_WAIT') + 60_000);
  });
});

describe('RFC 9293 §3.10.7.4 fifth and eighth steps in TIME_WAIT: a retransmitted FIN is ACKed and restarts 2MSL', () => {
  it('lost final ACK: the retransmitted FIN is re-ACKed and CLOSED comes 60 s after it, not after the first', () => {
    const h = timeWait();
    const tw = enteredAt(h, 'TIME_WAIT');
    // our ACK of the peer's FIN was lost: the peer, in LAST_ACK, sends its FIN again 30 s later
    h.advanceTo(tw + 30_000);
    h.run(`
      0  < F. 1:1(0) ack 2 win 65535
      +0 > . 2:2(0) ack 2
    `);
    const refin = h.now;
    h.advanceTo(tw + 60_000);
    expect(h.state).toBe('TIME_WAIT');
    expectClosedExactlyAt(h, refin + 60_000);
  });

  it('every retransmission of the FIN is answered and restarts the timer', () => {
    const h = timeWait();
    h.run(`
      +1 < F. 1:1(0) ack 2 win 65535
      +0 > . 2:2(0) ack 2
      +2 < F. 1:1(0) ack 2 win 65535
      +0 > . 2:2(0) ack 2
      +4 < F. 1:1(0) ack 2 win 65535
      +0 > . 2:2(0) ack 2
    `);
    expectClosedExactlyAt(h, h.now + 60_000);
  });
});

describe('RFC 9293 §3.10.7.4 first step in TIME_WAIT: unacceptable segments get an ACK', () => {
  it('a segment with old data, already received, is answered with an ACK of RCV.NXT and changes nothing', () => {
    const h = established();
    h.run(`
      +0    < P. 1:101(100) ack 1 win 65535
      +0.04 > . 1:1(0) ack 101
    `);
    h.close();
    h.run(`
      +0   > F. 1:1(0) ack 101
      +0.1 < F. 101:101(0) ack 2 win 65535
      +0   > . 2:2(0) ack 102
    `);
    expect(h.state).toBe('TIME_WAIT');
    h.run(`
      +1 < P. 1:101(100) ack 2 win 65535
      +0 > . 2:2(0) ack 102
    `);
    expect(h.state).toBe('TIME_WAIT');
    expect(h.tcb.readable).toBe(100);
  });

  it('a segment beyond the window is answered with an ACK', () => {
    const h = timeWait();
    h.run(`
      +1 < P. 900000:900010(10) ack 2 win 65535
      +0 > . 2:2(0) ack 2
    `);
    expect(h.state).toBe('TIME_WAIT');
  });
});

describe('RFC 1337 TIME_WAIT assassination', () => {
  it('with tcp_rfc1337=1 (the default here) a RST does not end TIME_WAIT: it lasts its full 60 s', () => {
    const h = timeWait();
    const tw = enteredAt(h, 'TIME_WAIT');
    h.run(`+10 < R. 2:2(0) ack 2 win 0`);
    expect(h.state).toBe('TIME_WAIT');
    expectClosedExactlyAt(h, tw + 60_000);
  });

  it('with tcp_rfc1337=0 (Linux default) an in-window RST ends TIME_WAIT at once', () => {
    const h = timeWait({ sysctl: { tcp_rfc1337: 0 } });
    h.run(`+10 < R. 2:2(0) ack 2 win 0`);
    expect(h.state).toBe('CLOSED');
    h.expectNothingPending('after the RST');
    expect(h.errors).toEqual([]);
  });
});
