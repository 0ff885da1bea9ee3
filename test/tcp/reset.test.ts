/**
 * Resets and blind-injection defences in the synchronized states: RFC 9293 §3.5.2–§3.5.3 and
 * §3.10.7.4 (first, second, fourth and fifth steps), RFC 5961 §3–§5, RFC 1337.
 */
import { describe, expect, it } from 'vitest';
import type { TcpState } from '../../src/tcp/state.js';
import {
  closeWait,
  established,
  finWait2,
  timeWait,
  type HarnessOptions,
  type TcbHarness,
} from '../support/tcb-harness.js';

/** We closed first and the peer's FIN crossed ours: CLOSING (RCV.NXT = 2, SND.NXT = 2). */
function closing(opts?: HarnessOptions): TcbHarness {
  const h = established(opts);
  h.close();
  h.run(`
    +0 > F. 1:1(0) ack 1
    +0 < F. 1:1(0) ack 1 win 65535
    +0 > . 2:2(0) ack 2
  `);
  expect(h.state).toBe('CLOSING');
  return h;
}

/** The peer closed first, then we did: LAST_ACK (RCV.NXT = 2, SND.NXT = 2). */
function lastAck(opts?: HarnessOptions): TcbHarness {
  const h = closeWait(opts);
  h.close();
  h.run(`+0 > F. 1:1(0) ack 2`);
  expect(h.state).toBe('LAST_ACK');
  return h;
}

/** Our FIN is out, not yet acknowledged: FIN_WAIT_1 (RCV.NXT = 1). */
function finWait1(opts?: HarnessOptions): TcbHarness {
  const h = established(opts);
  h.close();
  h.run(`+0 > F. 1:1(0) ack 1`);
  return h;
}

const PASSIVE: TcpState[] = ['CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED'];

/** Each synchronized state with RCV.NXT relative to the peer's ISN and the path that led there. */
const SYNCHRONIZED: { state: TcpState; make: () => TcbHarness; rcvNxt: number; sndNxt: number; path: TcpState[] }[] = [
  { state: 'ESTABLISHED', make: () => established(), rcvNxt: 1, sndNxt: 1, path: PASSIVE },
  { state: 'FIN_WAIT_1', make: () => finWait1(), rcvNxt: 1, sndNxt: 2, path: [...PASSIVE, 'FIN_WAIT_1'] },
  { state: 'FIN_WAIT_2', make: () => finWait2(), rcvNxt: 1, sndNxt: 2, path: [...PASSIVE, 'FIN_WAIT_1', 'FIN_WAIT_2'] },
  { state: 'CLOSE_WAIT', make: () => closeWait(), rcvNxt: 2, sndNxt: 1, path: [...PASSIVE, 'CLOSE_WAIT'] },
  { state: 'CLOSING', make: () => closing(), rcvNxt: 2, sndNxt: 2, path: [...PASSIVE, 'FIN_WAIT_1', 'CLOSING'] },
  { state: 'LAST_ACK', make: () => lastAck(), rcvNxt: 2, sndNxt: 2, path: [...PASSIVE, 'CLOSE_WAIT', 'LAST_ACK'] },
  {
    state: 'TIME_WAIT',
    make: () => timeWait(),
    rcvNxt: 2,
    sndNxt: 2,
    path: [...PASSIVE, 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT'],
  },
];

describe('RFC 5961 §3.2 / RFC 9293 §3.10.7.4 second: a RST exactly at RCV.NXT', () => {
  for (const { state, make, rcvNxt, path } of SYNCHRONIZED.filter((s) =>
    ['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT'].includes(s.state),
  )) {
    it(`${state}: → CLOSED with ECONNRESET, nothing sent, no timer left`, () => {
      const h = make();
      h.run(`+0.1 < R ${rcvNxt}:${rcvNxt}(0) win 0`);
      h.expectPath(...path, 'CLOSED');
      expect(h.errors).toEqual(['ECONNRESET']);
      expect(h.tcb.nextDeadline()).toBe(Infinity);
    });
  }

  it('ESTABLISHED with data in flight: the queues are flushed, nothing is retransmitted after the RST', () => {
    const h = established();
    h.write('x'.repeat(100));
    h.run(`
      +0   > P. 1:101(100) ack 1
      +0.1 < R. 1:1(0) ack 1 win 0
    `);
    h.expectPath(...PASSIVE, 'CLOSED');
    expect(h.errors).toEqual(['ECONNRESET']);
    h.advance(300_000);
    h.expectNothingPending('after the RST');
  });

  it('a RST carrying data (SHLD-2) resets all the same', () => {
    const h = established();
    h.run(`+0.1 < R. 1:11(10) ack 1 win 0`);
    h.expectPath(...PASSIVE, 'CLOSED');
    expect(h.errors).toEqual(['ECONNRESET']);
    expect(h.tcb.readable).toBe(0);
  });

  it('CLOSING: → CLOSED without an error to report', () => {
    const h = closing();
    h.run(`+0.1 < R 2:2(0) win 0`);
    h.expectPath(...PASSIVE, 'FIN_WAIT_1', 'CLOSING', 'CLOSED');
    expect(h.errors).toEqual([]);
    h.advance(300_000);
    h.expectNothingPending('after the RST');
  });

  it('LAST_ACK: → CLOSED without an error to report', () => {
    const h = lastAck();
    h.run(`+0.1 < R 2:2(0) win 0`);
    h.expectPath(...PASSIVE, 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED');
    expect(h.errors).toEqual([]);
    h.advance(300_000);
    h.expectNothingPending('after the RST');
  });

  it('TIME_WAIT with tcp_rfc1337=1 (default): ignored (RFC 1337), 2MSL still runs to its end', () => {
    const h = timeWait();
    const deadline = h.tcb.nextDeadline();
    h.run(`+1 < R 2:2(0) win 0`);
    expect(h.state).toBe('TIME_WAIT');
    expect(h.tcb.nextDeadline()).toBe(deadline);
    h.advanceTo(deadline);
    h.expectPath(...PASSIVE, 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED');
    expect(h.errors).toEqual([]);
    h.expectNothingPending('after TIME_WAIT');
  });

  it('TIME_WAIT with tcp_rfc1337=0: the RST ends TIME_WAIT at once (RFC 9293), no error', () => {
    const h = timeWait({ sysctl: { tcp_rfc1337: 0 } });
    h.run(`+1 < R 2:2(0) win 0`);
    h.expectPath(...PASSIVE, 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED');
    expect(h.errors).toEqual([]);
    expect(h.tcb.nextDeadline()).toBe(Infinity);
  });

  it('with a zero receive window, a RST at RCV.NXT is still accepted ("special allowance")', () => {
    const h = established({ rcvBuf: 1000 });
    h.run(`
      +0    < P. 1:1001(1000) ack 1 win 65535
      +0.04 > . 1:1(0) ack 1001 win 0
      +0.1  < R 1001:1001(0) win 0
    `);
    h.expectPath(...PASSIVE, 'CLOSED');
    expect(h.errors).toEqual(['ECONNRESET']);
  });
});

describe('RFC 5961 §3.2: a RST in the window but not at RCV.NXT → challenge ACK', () => {
  for (const { state, make, rcvNxt, sndNxt, path } of SYNCHRONIZED) {
    it(`${state}: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, no state change`, () => {
      const h = make();
      const before = h.tcb.stats.challengeAcks;
      h.run(`
        +0.1 < R ${rcvNxt + 1000}:${rcvNxt + 1000}(0) win 0
        +0   > . ${sndNxt}:${sndNxt}(0) ack ${rcvNxt}
      `);
      h.expectPath(...path);
      expect(h.errors).toEqual([]);
      expect(h.tcb.stats.challengeAcks).toBe(before + 1);
    });
  }

  it('the peer answering the challenge ACK with a RST at RCV.NXT does reset', () => {
    const h = established();
    h.run(`
      +0.1 < R 500:500(0) win 0
      +0   > . 1:1(0) ack 1
      +0.1 < R 1:1(0) win 0
    `);
    h.expectPath(...PASSIVE, 'CLOSED');
    expect(h.errors).toEqual(['ECONNRESET']);
  });
});

describe('RFC 5961 §3.2: a RST outside the window is dropped silently', () => {
  it('beyond the right edge: nothing sent, no state change', () => {
    const h = established();
    h.run(`+0.1 < R 100000:100000(0) win 0`);
    h.expectPath(...PASSIVE);
    expect(h.errors).toEqual([]);
  });

  it('left of RCV.NXT (an old sequence number): nothing sent, no state change', () => {
    const h = established();
    h.run(`+0.1 < R 0:0(0) win 0`);
    h.expectPath(...PASSIVE);
    expect(h.errors).toEqual([]);
  });

  it('with a zero receive window, any RST not at RCV.NXT is dropped silently', () => {
    const h = established({ rcvBuf: 1000 });
    h.run(`
      +0    < P. 1:1001(1000) ack 1 win 65535
      +0.04 > . 1:1(0) ack 1001 win 0
      +0.1  < R 1002:1002(0) win 0
    `);
    h.expectPath(...PASSIVE);
    expect(h.errors).toEqual([]);
  });

  it('in TIME_WAIT: nothing sent, 2MSL unchanged', () => {
    const h = timeWait({ sysctl: { tcp_rfc1337: 0 } });
    const deadline = h.tcb.nextDeadline();
    h.run(`+1 < R 200000:200000(0) win 0`);
    expect(h.state).toBe('TIME_WAIT');
    expect(h.tcb.nextDeadline()).toBe(deadline);
  });
});

describe('RFC 5961 §4.2 / RFC 9293 §3.10.7.4 fourth: a SYN in a synchronized state → challenge ACK', () => {
  for (const { state, make, rcvNxt, sndNxt, path } of SYNCHRONIZED) {
    it(`${state}: a SYN at RCV.NXT → <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, no state change`, () => {
      const h = make();
      const before = h.tcb.stats.challengeAcks;
      h.run(`
        +0.1 < S ${rcvNxt}:${rcvNxt}(0) win 65535 <mss 1460>
        +0   > . ${sndNxt}:${sndNxt}(0) ack ${rcvNxt}
      `);
      h.expectPath(...path);
      expect(h.errors).toEqual([]);
      expect(h.tcb.stats.challengeAcks).toBe(before + 1);
    });
  }

  it('ESTABLISHED: a SYN elsewhere in the window → the same challenge ACK ("irrespective of the sequence number")', () => {
    const h = established();
    h.run(`
      +0.1 < S 30000:30000(0) win 65535 <mss 1460>
      +0   > . 1:1(0) ack 1
    `);
    h.expectPath(...PASSIVE);
    expect(h.tcb.stats.challengeAcks).toBe(1);
  });

  it('ESTABLISHED: a SYN-ACK in the window → challenge ACK, its ACK not processed', () => {
    const h = established();
    h.write('hello');
    h.run(`
      +0   > P. 1:6(5) ack 1
      +0.1 < S. 1:1(0) ack 6 win 65535 <mss 1460>
      +0   > . 6:6(0) ack 1
    `);
    expect(h.tcb.sndUna).toBe((h.base.localIss + 1) >>> 0);
    h.expectPath(...PASSIVE);
  });

  it('ESTABLISHED: a retransmission of the peer\'s first SYN (outside the window) → an ACK, no state change', () => {
    const h = established();
    h.run(`
      +0.1 < S 0:0(0) win 65535 <mss 1460>
      +0   > . 1:1(0) ack 1
    `);
    h.expectPath(...PASSIVE);
    expect(h.errors).toEqual([]);
  });
});

describe('RFC 5961 §5 / RFC 9293 §3.10.7.4 fifth: ACK validation', () => {
  it('an ACK of data never sent (SEG.ACK > SND.NXT) → ACK, and the segment (with its data) is dropped', () => {
    const h = established();
    h.run(`
      +0.1 < P. 1:11(10) ack 100 win 65535
      +0   > . 1:1(0) ack 1
    `);
    expect(h.tcb.readable).toBe(0);
    expect(h.tcb.rcvNxt).toBe((h.base.remoteIss + 1) >>> 0);
    expect(h.tcb.sndUna).toBe((h.base.localIss + 1) >>> 0);
    h.expectPath(...PASSIVE);
    expect(h.tcb.stats.challengeAcks).toBe(1);
  });

  it('an ACK too old (SEG.ACK < SND.UNA - MAX.SND.WND) → ACK, and the segment is dropped', () => {
    const h = established();
    // SND.UNA = 1, MAX.SND.WND = 65535: SEG.ACK = 1 - 65536 is just too old
    h.run(`
      +0.1 < P. 1:11(10) ack ${(1 - 65536) >>> 0} win 65535
      +0   > . 1:1(0) ack 1
    `);
    expect(h.tcb.readable).toBe(0);
    h.expectPath(...PASSIVE);
  });

  it('an old but plausible ACK (SND.UNA - MAX.SND.WND =< SEG.ACK < SND.UNA) is a duplicate: the data is taken', () => {
    const h = established();
    h.run(`
      +0.1  < P. 1:11(10) ack ${(1 - 65535) >>> 0} win 65535
      +0.04 > . 1:1(0) ack 11
    `);
    expect(h.read()).toBe('bcdefghijk');
    h.expectPath(...PASSIVE);
  });

  it('CLOSE_WAIT: an ACK of data never sent → ACK and drop, no state change', () => {
    const h = closeWait();
    h.run(`
      +0.1 < . 2:2(0) ack 50 win 65535
      +0   > . 1:1(0) ack 2
    `);
    h.expectPath(...PASSIVE, 'CLOSE_WAIT');
  });
});

describe('RFC 9293 §3.5.2 (3) / §3.10.7.4 first: an unacceptable segment → <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>', () => {
  it('data entirely beyond the window is answered with an ACK and dropped', () => {
    const h = established();
    h.run(`
      +0.1 < P. 70000:70010(10) ack 1 win 65535
      +0   > . 1:1(0) ack 1
    `);
    expect(h.tcb.readable).toBe(0);
    expect(h.tcb.reassembly.bytes).toBe(0);
    h.expectPath(...PASSIVE);
  });

  it('an old duplicate entirely before RCV.NXT is answered with an ACK and dropped', () => {
    const h = established();
    h.run(`
      +0.1  < P. 1:11(10) ack 1 win 65535
      +0.04 > . 1:1(0) ack 11
      +0.1  < P. 1:11(10) ack 1 win 65535
      +0    > . 1:1(0) ack 11
    `);
    expect(h.read()).toBe('bcdefghijk');
  });

  it('an empty ACK left of RCV.NXT is answered with an ACK', () => {
    const h = established();
    h.run(`
      +0.1 < . 0:0(0) ack 1 win 65535
      +0   > . 1:1(0) ack 1
    `);
    h.expectPath(...PASSIVE);
  });

  it('with a zero receive window, data is not acceptable: ACK (win 0) and drop', () => {
    const h = established({ rcvBuf: 1000 });
    h.run(`
      +0    < P. 1:1001(1000) ack 1 win 65535
      +0.04 > . 1:1(0) ack 1001 win 0
      +0.1  < P. 1005:1015(10) ack 1 win 65535
      +0    > . 1:1(0) ack 1001 win 0
    `);
    expect(h.tcb.readable).toBe(1000);
  });

  it('in FIN_WAIT_2 too: data beyond the window → ACK, no state change', () => {
    const h = finWait2();
    h.run(`
      +0.1 < P. 90000:90010(10) ack 2 win 65535
      +0   > . 2:2(0) ack 1
    `);
    h.expectPath(...PASSIVE, 'FIN_WAIT_1', 'FIN_WAIT_2');
  });
});
