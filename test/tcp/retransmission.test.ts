import { describe, expect, it } from 'vitest';
import { type TcbHarness, established, listening } from '../support/tcb-harness.js';

const MSS = 1460;
/** RFC 5681's and RFC 6582's own window arithmetic (halving), not CUBIC's β = 0.7 */
const RENO = { sysctl: { tcp_congestion_control: 'reno' } };

/** ESTABLISHED with SACK negotiated (no timestamps, no window scaling). */
function establishedSack(): TcbHarness {
  const h = listening();
  h.run(`
     0 < S 0:0(0) win 65535 <mss 1460,sackOK>
    +0 > S. 0:0(0) ack 1 <mss 1460,sackOK>
    +0 < . 1:1(0) ack 1 win 65535
  `);
  return h;
}

/** Write `n` full-sized segments at the current time and match them going out. */
function sendSegments(h: TcbHarness, n: number): void {
  h.write('x'.repeat(n * MSS));
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const from = 1 + i * MSS;
    lines.push(`+0 > ${i === n - 1 ? 'P.' : '.'} ${from}:${from + MSS}(${MSS}) ack 1`);
  }
  h.run(lines.join('\n'));
}

describe('RFC 6298 §5 the retransmission timer', () => {
  it('§5.4 unacknowledged data is retransmitted when the initial 1 s RTO expires', () => {
    const h = established();
    h.write('x'.repeat(100));
    h.run(`
      +0 > P. 1:101(100) ack 1
      +1 > P. 1:101(100) ack 1
    `);
  });

  it('§5.5 each further timeout doubles the RTO: 1, 2, 4, 8 s', () => {
    const h = established();
    h.write('x'.repeat(100));
    h.run(`
      +0 > P. 1:101(100) ack 1
      +1 > P. 1:101(100) ack 1
      +2 > P. 1:101(100) ack 1
      +4 > P. 1:101(100) ack 1
      +8 > P. 1:101(100) ack 1
    `);
  });

  it('§2.2 the RTO follows the measured RTT: R = 100 ms gives RTO = 100 + 4·50 = 300 ms', () => {
    const h = established();
    h.write('x'.repeat(100));
    h.run(`
      +0   > P. 1:101(100) ack 1
      +0.1 < . 1:1(0) ack 101 win 65535
    `);
    h.write('y'.repeat(100));
    h.run(`
      +0   > P. 101:201(100) ack 1
      +0.3 > P. 101:201(100) ack 1
    `);
  });

  it('§2.4 the RTO is never below 200 ms (tcp_rto_min_us default)', () => {
    const h = established();
    h.write('x'.repeat(100));
    h.run(`
      +0    > P. 1:101(100) ack 1
      +0.01 < . 1:1(0) ack 101 win 65535
    `);
    h.write('y'.repeat(100));
    h.run(`
      +0   > P. 101:201(100) ack 1
      +0.2 > P. 101:201(100) ack 1
    `);
  });

  it('§2.4 tcp_rto_min_us raises the floor (500 ms)', () => {
    const h = established({ sysctl: { tcp_rto_min_us: 500_000 } });
    h.write('x'.repeat(100));
    h.run(`
      +0    > P. 1:101(100) ack 1
      +0.01 < . 1:1(0) ack 101 win 65535
    `);
    h.write('y'.repeat(100));
    h.run(`
      +0   > P. 101:201(100) ack 1
      +0.5 > P. 101:201(100) ack 1
    `);
  });

  it('§2.5 tcp_rto_max_ms caps the backed-off RTO (2 s)', () => {
    const h = established({ sysctl: { tcp_rto_max_ms: 2000 } });
    h.write('x'.repeat(100));
    h.run(`
      +0 > P. 1:101(100) ack 1
      +1 > P. 1:101(100) ack 1
      +2 > P. 1:101(100) ack 1
      +2 > P. 1:101(100) ack 1
      +2 > P. 1:101(100) ack 1
    `);
  });

  it('§5.3 a new ACK restarts the timer for the data still outstanding', () => {
    const h = established();
    h.write('x'.repeat(200));
    h.run(`
      +0   > P. 1:201(200) ack 1
      +0.5 < . 1:1(0) ack 101 win 65535
      +1   > P. 101:201(100) ack 1
    `);
  });

  it('§5.2 the timer stops once everything is acknowledged', () => {
    const h = established();
    h.write('x'.repeat(100));
    h.run(`
      +0   > P. 1:101(100) ack 1
      +0.1 < . 1:1(0) ack 101 win 65535
    `);
    h.advance(600_000);
    h.expectNothingPending('with nothing outstanding');
    expect(h.tcb.tRetransmit).toBe(Infinity);
  });

  it('a new ACK ends the backoff: the next loss is retransmitted after the un-backed-off RTO', () => {
    const h = established();
    h.write('x'.repeat(100));
    h.run(`
      +0   > P. 1:101(100) ack 1
      +1   > P. 1:101(100) ack 1
      +2   > P. 1:101(100) ack 1
      +0.1 < . 1:1(0) ack 101 win 65535
    `);
    h.write('y'.repeat(100));
    h.run(`
      +0 > P. 101:201(100) ack 1
      +1 > P. 101:201(100) ack 1
    `);
  });

  it('tcp_retries2 retransmissions unanswered end the connection with ETIMEDOUT and no RST', () => {
    const h = established({ sysctl: { tcp_retries2: 3 } });
    h.write('x'.repeat(100));
    h.run(`
      +0 > P. 1:101(100) ack 1
      +1 > P. 1:101(100) ack 1
      +2 > P. 1:101(100) ack 1
      +4 > P. 1:101(100) ack 1
    `);
    h.advance(7999);
    expect(h.state).toBe('ESTABLISHED');
    h.advance(1);
    expect(h.errors).toEqual(['ETIMEDOUT']);
    expect(h.state).toBe('CLOSED');
    expect(h.now).toBe(15_000);
    h.expectNothingPending('after the timeout');
  });
});

describe("RFC 6298 §3 Karn's algorithm (timestamps off)", () => {
  it('the ACK of a timed-out and retransmitted segment gives no RTT sample', () => {
    const h = established();
    h.write('x'.repeat(100));
    h.run(`
      +0   > P. 1:101(100) ack 1
      +1   > P. 1:101(100) ack 1
      +0.5 < . 1:1(0) ack 101 win 65535
    `);
    expect(h.tcb.rto.hasSample).toBe(false);
    // a 1.5 s sample would have made the RTO 4.5 s; it is still the initial 1 s
    h.write('y'.repeat(100));
    h.run(`
      +0 > P. 101:201(100) ack 1
      +1 > P. 101:201(100) ack 1
    `);
  });

  it('the ACK covering a fast-retransmitted segment gives no RTT sample', () => {
    const h = established();
    sendSegments(h, 5);
    h.run(`
      +0.1 < . 1:1(0) ack 1 win 65535
      +0   < . 1:1(0) ack 1 win 65535
      +0   < . 1:1(0) ack 1 win 65535
      +0   > . 1:1461(1460) ack 1
      +0.1 < . 1:1(0) ack 7301 win 65535
    `);
    expect(h.tcb.rto.hasSample).toBe(false);
    h.write('y'.repeat(100));
    h.run(`
      +0 > P. 7301:7401(100) ack 1
      +1 > P. 7301:7401(100) ack 1
    `);
  });
});

describe('RFC 5681 §3.1 after a timeout: cwnd = 1 MSS, go back N', () => {
  it('only the first segment is resent; slow start resends the rest as its ACKs return', () => {
    const h = established(RENO);
    sendSegments(h, 5);
    h.run(`
      +1   > . 1:1461(1460) ack 1
      +0.1 < . 1:1(0) ack 1461 win 65535
      +0   > . 1461:2921(1460) ack 1
      +0   > . 2921:4381(1460) ack 1
      +0.1 < . 1:1(0) ack 4381 win 65535
      +0   > . 4381:5841(1460) ack 1
      +0   > P. 5841:7301(1460) ack 1
      +0.1 < . 1:1(0) ack 7301 win 65535
    `);
    expect(h.tcb.ssthresh).toBe(Math.max(5 * MSS >> 1, 2 * MSS));
  });

  it('an ACK for data sent before the timeout is accepted and nothing is resent twice', () => {
    const h = established(RENO);
    sendSegments(h, 5);
    h.run(`
      +1   > . 1:1461(1460) ack 1
      +0.1 < . 1:1(0) ack 7301 win 65535
    `);
    expect(h.tcb.sndNxt).toBe(h.tcb.sndUna);
    h.advance(60_000);
    h.expectNothingPending('once all is acknowledged');
  });

  it('ssthresh = max(FlightSize/2, 2·SMSS) at the first timeout, held constant when the segment times out again', () => {
    const h = established(RENO);
    sendSegments(h, 5);
    h.run(`+1 > . 1:1461(1460) ack 1`);
    expect(h.tcb.ssthresh).toBe((5 * MSS) >> 1);
    expect(h.tcb.cwnd).toBe(MSS);
    h.run(`+2 > . 1:1461(1460) ack 1`);
    expect(h.tcb.ssthresh).toBe((5 * MSS) >> 1);
  });
});

describe('RFC 5681 §3.2 fast retransmit and fast recovery', () => {
  it('the third duplicate ACK retransmits the first unacknowledged segment at once', () => {
    const h = established(RENO);
    sendSegments(h, 5);
    h.run(`
      +0.1 < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   > . 1461:2921(1460) ack 1
    `);
    // ssthresh = max(FlightSize / 2, 2·SMSS); cwnd = ssthresh + 3·SMSS
    expect(h.tcb.ssthresh).toBe(2 * MSS);
    expect(h.tcb.cwnd).toBe(2 * MSS + 3 * MSS);
  });

  it('two duplicate ACKs are not enough: the loss waits for the RTO', () => {
    const h = established(RENO);
    sendSegments(h, 5);
    h.run(`
      +0.1 < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0.3 > . 1461:2921(1460) ack 1
    `);
  });

  it('an ACK that updates the window is not a duplicate', () => {
    const h = established(RENO);
    sendSegments(h, 5);
    h.run(`
      +0.1 < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65000
      +0   < . 1:1(0) ack 1461 win 64000
      +0   < . 1:1(0) ack 1461 win 63000
    `);
    expect(h.tcb.dupAcks).toBe(0);
  });

  it('§2 a FIN repeating SND.UNA is not a duplicate ACK: it triggers no fast retransmit', () => {
    const h = established(RENO);
    sendSegments(h, 5);
    h.run(`
      +0.1 < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < F. 1:1(0) ack 1461 win 65535
      +0   > . 7301:7301(0) ack 2
    `);
    expect(h.tcb.recover).toBe(-1);
    expect(h.state).toBe('CLOSE_WAIT');
  });

  it('§3.2 step 4–5: each further duplicate ACK inflates cwnd by one SMSS and lets new data out', () => {
    const h = established(RENO);
    sendSegments(h, 6);
    h.run(`
      +0.1 < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   > . 1461:2921(1460) ack 1
    `);
    // cwnd = 3650 + 3·1460 = 8030 against 7300 in flight: a full segment does not fit
    h.write('z'.repeat(MSS));
    h.run(`
      +0 < . 1:1(0) ack 1461 win 65535
      +0 > P. 8761:10221(1460) ack 1
    `);
  });
});

describe('RFC 6582 NewReno', () => {
  it('§3.2 a partial ACK retransmits the next hole at once; the full ACK ends recovery with cwnd = ssthresh', () => {
    const h = established(RENO);
    sendSegments(h, 6); // segments 2 (1461) and 4 (4381) are lost
    h.run(`
      +0.1 < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   > . 1461:2921(1460) ack 1
      +0.1 < . 1:1(0) ack 4381 win 65535
      +0   > . 4381:5841(1460) ack 1
    `);
    expect(h.tcb.recover).not.toBe(-1); // still in fast recovery
    h.run(`+0.1 < . 1:1(0) ack 8761 win 65535`);
    expect(h.tcb.recover).toBe(-1);
    expect(h.tcb.cwnd).toBe(h.tcb.ssthresh);
    h.advance(60_000);
    h.expectNothingPending('after recovery');
  });

  it('§3.2 step 3: the partial ACK deflates cwnd by the data it acknowledged, adding back one SMSS', () => {
    const h = established(RENO);
    sendSegments(h, 6);
    h.run(`
      +0.1 < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   > . 1461:2921(1460) ack 1
    `);
    const before = h.tcb.cwnd;
    h.run(`
      +0.1 < . 1:1(0) ack 4381 win 65535
      +0   > . 4381:5841(1460) ack 1
    `);
    expect(h.tcb.cwnd).toBe(before - 2 * MSS + MSS);
  });

  it('§3.2 step 3: a partial ACK of less than one SMSS deflates cwnd without adding SMSS back', () => {
    const h = established(RENO);
    sendSegments(h, 6);
    h.run(`
      +0.1 < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   < . 1:1(0) ack 1461 win 65535
      +0   > . 1461:2921(1460) ack 1
    `);
    const before = h.tcb.cwnd;
    h.run(`
      +0.1 < . 1:1(0) ack 2001 win 65535
      +0   > . 2001:3461(1460) ack 1
    `);
    expect(h.tcb.cwnd).toBe(before - 540);
  });
});

describe('RFC 5681 §4.2 / RFC 2018 out-of-order data at the receiver', () => {
  it('an out-of-order segment is held and answered at once with a duplicate ACK (no SACK: no options)', () => {
    const h = established();
    h.run(`
      +0 < P. 1461:2921(1460) ack 1 win 65535
      +0 > . 1:1(0) ack 1 <>
    `);
    expect(h.tcb.readable).toBe(0);
    expect(h.tcb.reassembly.bytes).toBe(MSS);
  });

  it('with SACK negotiated the duplicate ACK reports the held data in a SACK block', () => {
    const h = establishedSack();
    h.run(`
      +0 < P. 1461:2921(1460) ack 1 win 65535
      +0 > . 1:1(0) ack 1 <sack 1461:2921>
    `);
  });

  it('with two holes the block holding the most recent segment comes first', () => {
    const h = establishedSack();
    h.run(`
      +0 < P. 4381:5841(1460) ack 1 win 65535
      +0 > . 1:1(0) ack 1 <sack 4381:5841>
      +0 < P. 1461:2921(1460) ack 1 win 65535
      +0 > . 1:1(0) ack 1 <sack 1461:2921 4381:5841>
    `);
  });

  it('filling the hole is acknowledged at once, for everything held, and the data reads in order', () => {
    const h = establishedSack();
    h.run(`
      +0 < P. 1461:2921(1460) ack 1 win 65535
      +0 > . 1:1(0) ack 1 <sack 1461:2921>
      +0 < P. 2921:4381(1460) ack 1 win 65535
      +0 > . 1:1(0) ack 1 <sack 1461:4381>
      +0 < . 1:1461(1460) ack 1 win 65535
      +0 > . 1:1(0) ack 4381 <>
    `);
    let want = '';
    for (let i = 1; i < 4381; i++) want += String.fromCharCode(0x61 + (i % 26));
    expect(h.read()).toBe(want);
  });
});
