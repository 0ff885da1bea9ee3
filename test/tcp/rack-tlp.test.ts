/**
 * RACK-TLP (RFC 8985) as Linux's default (tcp_recovery = 1, tcp_early_retrans = 3), packet by
 * packet; and the congestion window at the TCB: CUBIC after a loss, HyStart++, restart after idle.
 */
import { describe, expect, it } from 'vitest';
import type { Cubic } from '../../src/tcp/cc/cubic.js';
import { ACK, type Segment } from '../../src/wire/segment.js';
import { type HarnessOptions, LOCAL_PORT, REMOTE_PORT, type TcbHarness, listening } from '../support/tcb-harness.js';

const MSS = 1460;

function establishedSack(sysctl: HarnessOptions['sysctl'] = {}): TcbHarness {
  const h = listening({ sysctl });
  h.run(`
     0 < S 0:0(0) win 65535 <mss 1460,sackOK>
    +0 > S. 0:0(0) ack 1 <mss 1460,sackOK>
    +0 < . 1:1(0) ack 1 win 65535
  `);
  return h;
}

const s = (i: number) => `${1 + (i - 1) * MSS}:${1 + i * MSS}(${MSS})`;

/**
 * Measure the path first: 100 bytes answered after 100 ms gives SRTT = 100 ms, RTTVAR = 50 ms,
 * RTO = 300 ms and RACK's min_RTT = 100 ms. Segment numbering below starts after those 100 bytes.
 */
function primed(sysctl: HarnessOptions['sysctl'] = {}): TcbHarness {
  const h = establishedSack(sysctl);
  h.write('p'.repeat(100));
  h.run(`
    +0   > P. 1:101(100) ack 1
    +0.1 < . 1:1(0) ack 101 win 65535
  `);
  expect(h.tcb.rto.srtt).toBe(100);
  expect(h.tcb.rto.rto).toBe(300);
  return h;
}
/** After priming: segment i (1-based) of what is written next. */
const p = (i: number) => `${101 + (i - 1) * MSS}:${101 + i * MSS}(${MSS})`;
const pk = (i: number, j = i) => `${101 + (i - 1) * MSS}:${101 + j * MSS}`;
const pu = (i: number) => 101 + (i - 1) * MSS;

function sendPrimed(h: TcbHarness, n: number, total = n): void {
  h.write('x'.repeat(total * MSS));
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) lines.push(`+0 > ${i === total ? 'P.' : '.'} ${p(i)} ack 1`);
  h.run(lines.join('\n'));
}

describe('RFC 8985 §6 RACK: loss by time, after the reordering window', () => {
  it('a segment sent before a SACKed one is retransmitted RACK.rtt + min_RTT/4 after it was sent, not before', () => {
    const h = primed();
    sendPrimed(h, 4);
    // segment 4 arrives, 1..3 not (yet): one SACKed segment, no reordering seen → reo_wnd = min_RTT/4 = 25 ms
    h.run(`+0.1 < . 1:1(0) ack 101 win 65535 <sack ${pk(4)}>`);
    expect(h.tcb.xmitTimer).toBe('rack');
    h.advance(24);
    h.expectNothingPending('inside the reordering window');
    h.run(`+0.025 > . ${p(1)} ack 1`);
    expect(h.tcb.loss.retransmits.rack).toBe(1);
    expect(h.tcb.recover).not.toBe(-1);
  });

  it('data that was only reordered arrives within the window: nothing is retransmitted', () => {
    const h = primed();
    sendPrimed(h, 4);
    h.run(`
      +0.1  < . 1:1(0) ack 101 win 65535 <sack ${pk(4)}>
      +0.02 < . 1:1(0) ack ${pu(5)} win 65535
    `);
    h.advance(1000);
    h.expectNothingPending('after the reordered data arrived');
    expect(h.tcb.loss.retransmits.rack).toBe(0);
    expect(h.tcb.recover).toBe(-1);
  });

  it('with DupThresh segments SACKed and no reordering seen the window is zero: retransmit at once', () => {
    const h = primed();
    sendPrimed(h, 5);
    h.run(`
      +0.1 < . 1:1(0) ack 101 win 65535 <sack ${pk(3, 5)}>
      +0   > . ${p(1)} ack 1
      +0   > . ${p(2)} ack 1
    `);
    // both holes are lost (segments 1 and 2 were sent before SACKed ones); the pipe (0) is below
    // ssthresh (CUBIC: 0.7 · 5 segments), so PRR's slow-start bound lets both go
    expect(h.tcb.ssthresh).toBe(Math.floor(5 * MSS * 0.7));
    expect(h.tcb.loss.retransmits.rack).toBe(2);
  });

  it('once reordering has been seen, the window applies in recovery too', () => {
    const h = primed();
    sendPrimed(h, 6);
    h.run(`
      +0.1 < . 1:1(0) ack 101 win 65535 <sack ${pk(3)}>
      +0   < . 1:1(0) ack 101 win 65535 <sack ${pk(2, 3)}>
    `);
    expect(h.tcb.rack.reorderingSeen).toBe(true);
  });
});

describe('RFC 8985 §7 tail loss probe', () => {
  it('2·SRTT after the last send with no ACK, the last segment is sent again as a probe', () => {
    const h = primed();
    sendPrimed(h, 3);
    expect(h.tcb.xmitTimer).toBe('tlp');
    h.run(`+0.2 > P. ${p(3)} ack 1`);
    expect(h.tcb.loss.tlpProbes).toBe(1);
    expect(h.tcb.loss.retransmits.tlp).toBe(1);
    // then the retransmission timer, one RTO (300 ms) after the probe
    h.run(`+0.3 > . ${p(1)} ack 1`);
    expect(h.tcb.loss.rtoTimeouts).toBe(1);
  });

  it('the probe repairs a lost tail: its ACK covers everything and the window is reduced as for a loss', () => {
    const h = primed();
    sendPrimed(h, 3);
    const cwnd = h.tcb.cwnd;
    h.run(`
      +0.2 > P. ${p(3)} ack 1
      +0.1 < . 1:1(0) ack ${pu(4)} win 65535
    `);
    expect(h.tcb.cwnd).toBeLessThan(cwnd);
    expect(h.tcb.tlp.outstanding).toBe(false);
  });

  it('with unsent data the probe is a new segment, if the peer window allows', () => {
    const h = primed();
    // cwnd after priming is 10 segments + 100 bytes: 10 of 12 segments go
    sendPrimed(h, 10, 12);
    h.run(`+0.2 > . ${p(11)} ack 1`);
    expect(h.tcb.loss.tlpProbes).toBe(1);
    expect(h.tcb.loss.retransmits.tlp).toBe(0);
  });

  it('one segment in flight: PTO = 2·SRTT + WCDelAckT (200 ms), capped by the RTO (300 ms)', () => {
    const h = primed();
    sendPrimed(h, 1);
    h.run(`+0.3 > P. ${p(1)} ack 1`);
    expect(h.tcb.loss.tlpProbes).toBe(1);
  });

  it('before any RTT sample the probe waits 1 s (the initial RTO)', () => {
    const h = establishedSack();
    h.write('x'.repeat(3 * MSS));
    h.run(`
      +0 > . ${s(1)} ack 1
      +0 > . ${s(2)} ack 1
      +0 > P. ${s(3)} ack 1
      +1 > P. ${s(3)} ack 1
    `);
    expect(h.tcb.loss.tlpProbes).toBe(1);
  });

  it('tcp_early_retrans = 0 turns the probe off: the RTO fires instead', () => {
    const h = primed({ tcp_early_retrans: 0 });
    sendPrimed(h, 3);
    h.run(`+0.3 > . ${p(1)} ack 1`);
    expect(h.tcb.loss.tlpProbes).toBe(0);
  });

  it('no probe without SACK (RFC 8985 needs it)', () => {
    const h = listening();
    h.run(`
       0 < S 0:0(0) win 65535 <mss 1460>
      +0 > S. 0:0(0) ack 1 <mss 1460>
      +0 < . 1:1(0) ack 1 win 65535
    `);
    h.write('x'.repeat(2 * MSS));
    h.run(`
      +0 > . ${s(1)} ack 1
      +0 > P. ${s(2)} ack 1
      +1 > . ${s(1)} ack 1
    `);
    expect(h.tcb.loss.tlpProbes).toBe(0);
  });
});

/** A pure ACK from the peer acknowledging `ack` (relative to our ISS). */
function ackSeg(h: TcbHarness, ack: number): Segment {
  return {
    srcPort: REMOTE_PORT,
    dstPort: LOCAL_PORT,
    seq: (h.base.remoteIss + 1) >>> 0,
    ack: (h.base.localIss + ack) >>> 0,
    flags: ACK,
    window: 65535,
    urgent: 0,
    options: {},
    payload: new Uint8Array(0),
  };
}

/**
 * Drive a bulk transfer by hand: every segment the TCB sends is acknowledged, one ACK per
 * segment, `rtt(round)` ms after it went. Returns cwnd (in segments) at the end of each round.
 */
function bulk(h: TcbHarness, rounds: number, rtt: (round: number) => number): number[] {
  const cwnds: number[] = [];
  let acked = 1;
  for (let r = 0; r < rounds; r++) {
    const sent = h.pending.splice(0);
    h.advance(rtt(r));
    for (const x of sent) {
      acked = x.seg.seq - h.base.localIss + x.seg.payload.length;
      h.tcb.segmentArrives(ackSeg(h, acked), h.now);
    }
    cwnds.push(h.tcb.cwnd / MSS);
  }
  return cwnds;
}

describe('RFC 9406 HyStart++ at the TCB (CUBIC, the default)', () => {
  it('a rise in RTT ends slow start before any loss: CSS, then congestion avoidance with ssthresh = cwnd', () => {
    const h = establishedSack({ tcp_wmem: [4096, 4_000_000, 4_000_000] });
    h.tcb.sndBufLimit = 4_000_000;
    h.write(new Uint8Array(3_000_000));
    // peer window: 65535 unscaled is too small to see slow start; allow a large one
    h.tcb.sndWnd = 4_000_000;
    h.tcb.maxSndWnd = 4_000_000;
    // rounds 0-2 at 40 ms; the queue builds from round 3: 60 ms
    const cwnds = bulk(h, 12, (r) => (r < 3 ? 40 : 60));
    expect(h.tcb.cc.name).toBe('cubic');
    // slow start doubled the window (10 → 20 → 40 → 80) until the rise was seen
    expect(cwnds[0]).toBe(20);
    expect(cwnds[1]).toBe(40);
    const cubic = h.tcb.cc as Cubic;
    expect(cubic.hystart.phase).toBe('done');
    expect(h.tcb.ssthresh).toBeLessThan(0x7fffffff);
    // from round 3, CSS: a quarter of slow start's growth (a round adds a quarter of the window, not all of it)
    for (let r = 4; r <= 7; r++) expect(cwnds[r]! - cwnds[r - 1]!).toBeLessThan(cwnds[r - 1]! / 4 + 1);
    // CSS_ROUNDS (5) later slow start is over: ssthresh is the window it ended at; then congestion avoidance
    expect(h.tcb.ssthresh / MSS).toBeGreaterThanOrEqual(cwnds[7]!);
    expect(h.tcb.ssthresh / MSS).toBeLessThanOrEqual(cwnds[8]!);
    expect(cwnds[11]! - cwnds[10]!).toBeLessThan(1);
    expect(h.tcb.loss.recoveries).toBe(0);
  });
});

describe('the congestion window at the TCB', () => {
  it('CUBIC (default): fast recovery ends with cwnd = ssthresh = 0.7·FlightSize', () => {
    const h = primed();
    sendPrimed(h, 10);
    h.run(`
      +0.1 < . 1:1(0) ack 101 win 65535 <sack ${pk(2, 4)}>
      +0   > . ${p(1)} ack 1
      +0.1 < . 1:1(0) ack ${pu(11)} win 65535
    `);
    expect(h.tcb.ssthresh).toBe(Math.floor(10 * MSS * 0.7));
    expect(h.tcb.cwnd).toBe(h.tcb.ssthresh);
  });

  it('tcp_congestion_control = reno halves instead', () => {
    const h = primed({ tcp_congestion_control: 'reno' });
    sendPrimed(h, 10);
    h.run(`
      +0.1 < . 1:1(0) ack 101 win 65535 <sack ${pk(2, 4)}>
      +0   > . ${p(1)} ack 1
      +0.1 < . 1:1(0) ack ${pu(11)} win 65535
    `);
    expect(h.tcb.cwnd).toBe(5 * MSS);
  });

  it('per connection: setCongestionControl switches the algorithm and keeps the window', () => {
    const h = primed();
    const cwnd = h.tcb.cwnd;
    h.tcb.setCongestionControl('reno');
    expect(h.tcb.status(h.now).congestionControl).toBe('reno');
    expect(h.tcb.cwnd).toBe(cwnd);
  });

  it('tcp_slow_start_after_idle: after idling past an RTO the window restarts from the initial window', () => {
    const h = primed();
    h.tcb.cwnd = 40 * MSS;
    h.tcb.ssthresh = 20 * MSS;
    h.advance(5000);
    h.write('x'.repeat(30 * MSS));
    expect(h.tcb.cwnd).toBe(10 * MSS);
    expect(h.tcb.ssthresh).toBe(30 * MSS);
    expect(h.pending.length).toBe(10);
  });

  it('tcp_slow_start_after_idle = 0 keeps the window across idle periods', () => {
    const h = primed({ tcp_slow_start_after_idle: 0 });
    h.tcb.cwnd = 40 * MSS;
    h.advance(5000);
    h.write('x'.repeat(30 * MSS));
    expect(h.tcb.cwnd).toBe(40 * MSS);
    expect(h.pending.length).toBe(30);
  });
});
