/**
 * Half-close: a FIN closes one direction only. The side that closed first keeps receiving
 * (FIN_WAIT_1/2); the side that got the FIN keeps sending (CLOSE_WAIT). A FIN is processed only
 * once everything before it has arrived. An orphaned FIN_WAIT_2 is bounded by tcp_fin_timeout.
 */
import { describe, expect, it } from 'vitest';
import type { TcpState } from '../../src/tcp/state.js';
import { type TcbHarness, closeWait, established, finWait2 } from '../support/tcb-harness.js';

function enteredAt(h: TcbHarness, state: TcpState): number {
  const t = [...h.transitions].reverse().find((x) => x.to === state);
  if (!t) throw new Error(`never entered ${state}; path ${h.path.join(' → ')}`);
  return t.t;
}

describe('RFC 9293 §3.6 half-close: the closing side still receives', () => {
  it('in FIN_WAIT_2 data is accepted, ACKed and readable, and the peer FIN then leads to TIME_WAIT', () => {
    const h = finWait2();
    const before = h.readableCount;
    h.run(`
      +1    < P. 1:11(10) ack 2 win 65535
      +0.04 > . 2:2(0) ack 11
    `);
    expect(h.state).toBe('FIN_WAIT_2');
    expect(h.readableCount).toBe(before + 1);
    expect(h.read()).toBe('bcdefghijk');
    h.run(`
      +1 < F. 11:11(0) ack 2 win 65535
      +0 > . 2:2(0) ack 12
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT');
  });

  it('in FIN_WAIT_1 data is accepted and ACKed before our FIN is acknowledged', () => {
    const h = established();
    h.close();
    h.run(`
      +0    > F. 1:1(0) ack 1
      +0.1  < P. 1:11(10) ack 1 win 65535
      +0.04 > . 2:2(0) ack 11
    `);
    expect(h.state).toBe('FIN_WAIT_1');
    expect(h.read()).toBe('bcdefghijk');
    h.run(`+0.1 < . 11:11(0) ack 2 win 65535`);
    expect(h.state).toBe('FIN_WAIT_2');
  });
});

describe('RFC 9293 §3.6 half-close: the side that got the FIN still sends', () => {
  it('in CLOSE_WAIT the user writes after the peer FIN go out and the peer ACKs are processed', () => {
    const h = closeWait();
    expect(h.tcb.canSend).toBe(true);
    h.write('hello');
    h.run(`
      +0   > P. 1:6(5) ack 2
      +0.1 < . 2:2(0) ack 6 win 65535
    `);
    expect(h.tcb.sndUna).toBe((h.base.localIss + 6) >>> 0);
    expect(h.tcb.sendBuf.length).toBe(0);
    expect(h.writableCount).toBeGreaterThan(0);
    h.write('world!');
    h.close();
    h.run(`
      +0   > P. 6:12(6) ack 2
      +0   > F. 12:12(0) ack 2
      +0.1 < . 2:2(0) ack 13 win 65535
    `);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED');
  });

  it('in CLOSE_WAIT text the peer sends after its FIN is ignored', () => {
    const h = closeWait();
    h.run(`+0.1 < P. 2:12(10) ack 1 win 65535`);
    expect(h.state).toBe('CLOSE_WAIT');
    expect(h.tcb.readable).toBe(0);
    expect(h.tcb.rcvNxt).toBe((h.base.remoteIss + 2) >>> 0);
  });
});

describe('RFC 9293 §3.10.7.4 eighth step: a FIN is processed only after the data before it', () => {
  it('a FIN that arrives after a gap is held (duplicate ACK) until the gap fills, then ACKed with the data', () => {
    const h = established();
    h.run(`
      +0.1 < F. 11:11(0) ack 1 win 65535
      +0   > . 1:1(0) ack 1
    `);
    expect(h.state).toBe('ESTABLISHED');
    expect(h.tcb.rcvClosed).toBe(false);
    h.run(`
      +0.1 < P. 1:11(10) ack 1 win 65535
      +0   > . 1:1(0) ack 12
    `);
    expect(h.state).toBe('CLOSE_WAIT');
    expect(h.read()).toBe('bcdefghijk');
    expect(h.tcb.rcvClosed).toBe(true);
  });

  it('data carrying a FIN after a gap is held until the gap fills; one ACK then covers data and FIN', () => {
    const h = established();
    h.run(`
      +0.1 < FP. 11:21(10) ack 1 win 65535
      +0   > . 1:1(0) ack 1
    `);
    expect(h.state).toBe('ESTABLISHED');
    expect(h.tcb.readable).toBe(0);
    h.run(`
      +0.1 < P. 1:11(10) ack 1 win 65535
      +0   > . 1:1(0) ack 22
    `);
    expect(h.state).toBe('CLOSE_WAIT');
    expect(h.read()).toBe('bcdefghijklmnopqrstu');
  });

  it('in FIN_WAIT_2 an out-of-order FIN is held too, and TIME_WAIT starts only when the gap fills', () => {
    const h = finWait2();
    h.run(`
      +0.1 < F. 11:11(0) ack 2 win 65535
      +0   > . 2:2(0) ack 1
    `);
    expect(h.state).toBe('FIN_WAIT_2');
    h.run(`
      +0.1 < P. 1:11(10) ack 2 win 65535
      +0   > . 2:2(0) ack 12
    `);
    expect(h.state).toBe('TIME_WAIT');
  });
});

describe('Linux tcp_fin_timeout: an orphan in FIN_WAIT_2 does not wait forever', () => {
  it('an orphaned connection (release()) in FIN_WAIT_2 goes CLOSED after tcp_fin_timeout (default 60 s), silently', () => {
    const h = finWait2();
    const t0 = h.now;
    h.tcb.release(t0);
    h.advanceTo(t0 + 59_999);
    expect(h.state).toBe('FIN_WAIT_2');
    h.advanceTo(t0 + 60_000);
    expect(h.state).toBe('CLOSED');
    h.expectNothingPending('when tcp_fin_timeout expires');
    expect(h.errors).toEqual([]);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSED');
  });

  it('a custom tcp_fin_timeout of 5 s closes the orphan after 5 s', () => {
    const h = finWait2({ sysctl: { tcp_fin_timeout: 5 } });
    const t0 = h.now;
    h.tcb.release(t0);
    h.advanceTo(t0 + 4_999);
    expect(h.state).toBe('FIN_WAIT_2');
    h.advanceTo(t0 + 5_000);
    expect(h.state).toBe('CLOSED');
    h.expectNothingPending('when tcp_fin_timeout expires');
  });

  it('for a connection released in FIN_WAIT_1 the timeout counts from entering FIN_WAIT_2', () => {
    const h = established({ sysctl: { tcp_fin_timeout: 5 } });
    h.tcb.release(h.now);
    h.run(`
      +0 > F. 1:1(0) ack 1
      +0.5 < . 1:1(0) ack 2 win 65535
    `);
    const fw2 = enteredAt(h, 'FIN_WAIT_2');
    h.advanceTo(fw2 + 4_999);
    expect(h.state).toBe('FIN_WAIT_2');
    h.advanceTo(fw2 + 5_000);
    expect(h.state).toBe('CLOSED');
  });

  it('a connection only half-closed (close(), not release()) stays in FIN_WAIT_2 indefinitely', () => {
    const h = finWait2({ sysctl: { tcp_fin_timeout: 5 } });
    h.advance(2 * 3600_000);
    expect(h.state).toBe('FIN_WAIT_2');
    expect(h.tcb.nextDeadline()).toBe(Infinity);
    h.expectNothingPending('in FIN_WAIT_2');
    // and it still works: data, then the FIN
    h.run(`
      0     < P. 1:11(10) ack 2 win 65535
      +0.04 > . 2:2(0) ack 11
      +0    < F. 11:11(0) ack 2 win 65535
      +0    > . 2:2(0) ack 12
    `);
    expect(h.state).toBe('TIME_WAIT');
  });
});
