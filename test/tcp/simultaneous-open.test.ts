/**
 * Simultaneous open, RFC 9293 §3.5 Figure 7: each side sends a SYN, receives the other's, answers
 * with a SYN-ACK, and reaches ESTABLISHED on the peer's SYN-ACK; each one's path is
 * CLOSED → SYN_SENT → SYN_RCVD → ESTABLISHED. First one TCB driven by a script, then two real TCBs
 * joined by a tiny in-test wire in virtual time.
 */
import { describe, expect, it } from 'vitest';
import type { Segment } from '../../src/wire/segment.js';
import { TcbHarness, synSent } from '../support/tcb-harness.js';

/** SYN_SENT, then the peer's own SYN crossed ours: SYN_RCVD. */
function crossedSyns(opts?: ConstructorParameters<typeof TcbHarness>[0]): TcbHarness {
  const h = synSent(opts);
  h.run(`
    +0.05 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7>
    +0    > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 50 ecr 700,nop,wscale 7>
  `);
  return h;
}

describe('RFC 9293 §3.5 Figure 7 simultaneous open (one TCB, scripted peer)', () => {
  it('a SYN in SYN_SENT → SYN_RCVD, answered with <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>', () => {
    const h = crossedSyns();
    h.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD');
    expect(h.establishedCount).toBe(0);
    expect(h.errors).toEqual([]);
  });

  it('the SYN-ACK answering it mirrors only the options the peer\'s SYN offered', () => {
    const h = synSent();
    h.run(`
      +0.05 < S 0:0(0) win 65535 <mss 1000>
      +0    > S. 0:0(0) ack 1 win 65535 <mss 1460>
    `);
    h.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD');
  });

  it('then the peer\'s SYN-ACK → ESTABLISHED with nothing sent (Figure 7 line 6)', () => {
    const h = crossedSyns();
    h.run(`+0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 800 ecr 50,nop,wscale 7>`);
    h.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED');
    expect(h.establishedCount).toBe(1);
    expect(h.errors).toEqual([]);
    // nothing is left to retransmit
    h.advance(200_000);
    h.expectNothingPending('after the handshake');
  });

  it('or a plain ACK of our SYN-ACK → ESTABLISHED', () => {
    const h = crossedSyns();
    h.run(`+0.05 < . 1:1(0) ack 1 win 512 <TS val 800 ecr 50>`);
    h.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED');
    expect(h.tcb.sndWnd).toBe(512 << 7);
  });

  it('the SYN-ACK\'s window is not scaled (RFC 7323 §2.2); the next segment\'s is', () => {
    const h = crossedSyns();
    h.run(`+0.05 < S. 0:0(0) ack 1 win 1000 <mss 1460,sackOK,TS val 800 ecr 50,nop,wscale 7>`);
    expect(h.tcb.sndWnd).toBe(1000);
    h.run(`
      +0.01 < P. 1:11(10) ack 1 win 1000 <TS val 810 ecr 50>
      // 512: the offer has not grown yet (10 bytes do not grow it), so the edge stays where the
      // first scaled ACK put it, 65536 bytes on (512 << 7)
      +0.04 > . 1:1(0) ack 11 win 512 <TS val 150 ecr 810>
    `);
    expect(h.tcb.sndWnd).toBe(1000 << 7);
    expect(h.read()).toBe('bcdefghijk');
  });

  it('data both ways once ESTABLISHED', () => {
    const h = crossedSyns({ noDelay: true });
    h.run(`+0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 800 ecr 50,nop,wscale 7>`);
    h.write('hello');
    h.run(`
      +0    > P. 1:6(5) ack 1 <TS val 100 ecr 800>
      +0.05 < P. 1:4(3) ack 6 win 2048 <TS val 850 ecr 100>
      +0.04 > . 6:6(0) ack 4 <TS val 190 ecr 850>
    `);
    expect(h.read()).toBe('bcd');
    expect(h.errors).toEqual([]);
  });

  it('RST in SYN_RCVD reached by an active OPEN → CLOSED with ECONNREFUSED, not LISTEN (MUST-11)', () => {
    const h = crossedSyns();
    h.run(`+0.05 < R 1:1(0) win 0`);
    h.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD', 'CLOSED');
    expect(h.errors).toEqual(['ECONNREFUSED']);
    h.advance(200_000);
    h.expectNothingPending('after the RST');
  });

  it('a retransmission of the peer\'s SYN in SYN_RCVD is answered with our SYN-ACK again', () => {
    const h = crossedSyns();
    h.run(`
      +0.5 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1200 ecr 0,nop,wscale 7>
      +0   > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 550 ecr 700,nop,wscale 7>
    `);
    h.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD');
  });

  it('the SYN-ACK is retransmitted on timeout; after tcp_syn_retries the active open fails with ETIMEDOUT', () => {
    const h = crossedSyns({ sysctl: { tcp_syn_retries: 2 } });
    h.run(`
      +1 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 1050 ecr 700,nop,wscale 7>
      +2 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 3050 ecr 700,nop,wscale 7>
    `);
    h.advanceTo(7_049);
    h.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD');
    h.advanceTo(7_050);
    h.expectNothingPending('after giving up');
    h.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD', 'CLOSED');
    expect(h.errors).toEqual(['ETIMEDOUT']);
  });
});

// ===================== two real TCBs joined by a wire =====================

/**
 * Carries every segment either harness sends to the other after `delayMs`, in virtual time, and
 * keeps both harnesses' clocks and timers in step. `log` records what went out, relative to each
 * sender's ISNs: `<t> A>B <segment>`.
 */
class Wire {
  readonly log: string[] = [];
  private queue: { at: number; to: TcbHarness; seg: Segment }[] = [];

  constructor(
    readonly a: TcbHarness,
    readonly b: TcbHarness,
    readonly delayMs: number,
  ) {}

  private collect(): void {
    const dirs: [TcbHarness, TcbHarness, string][] = [
      [this.a, this.b, 'A>B'],
      [this.b, this.a, 'B>A'],
    ];
    for (const [from, to, name] of dirs) {
      for (const s of from.pending.splice(0)) {
        this.log.push(`${s.t} ${name} ${from.fmt(s.seg)}`);
        this.queue.push({ at: s.t + this.delayMs, to, seg: s.seg });
      }
    }
  }

  runUntil(t: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      this.collect();
      const next = Math.min(...this.queue.map((q) => q.at), this.a.tcb.nextDeadline(), this.b.tcb.nextDeadline());
      if (next > t) break;
      this.a.advanceTo(next);
      this.b.advanceTo(next);
      this.collect();
      const due = this.queue.filter((q) => q.at <= next);
      this.queue = this.queue.filter((q) => q.at > next);
      for (const d of due) d.to.tcb.segmentArrives(d.seg, d.to.now);
    }
    this.a.advanceTo(t);
    this.b.advanceTo(t);
    this.collect();
  }
}

const A_ISS = 1_000_000;
const B_ISS = 0xfffffff0; // B's sequence numbers wrap during the test

function pair(): { a: TcbHarness; b: TcbHarness; wire: Wire } {
  const a = new TcbHarness({ iss: A_ISS, remoteIss: B_ISS, localPort: 8080, remotePort: 40000, noDelay: true });
  const b = new TcbHarness({ iss: B_ISS, remoteIss: A_ISS, localPort: 40000, remotePort: 8080, noDelay: true });
  return { a, b, wire: new Wire(a, b, 10) };
}

describe('RFC 9293 §3.5 Figure 7 simultaneous open (two TCBs on a wire)', () => {
  it('both call OPEN at once: SYNs cross, SYN-ACKs cross, both reach ESTABLISHED', () => {
    const { a, b, wire } = pair();
    a.connect();
    b.connect();
    wire.runUntil(100);
    expect(wire.log).toEqual([
      '0 A>B S 0:0(0) win 65535 <mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 7>',
      '0 B>A S 0:0(0) win 65535 <mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 7>',
      '10 A>B S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 10 ecr 0,nop,wscale 7>',
      '10 B>A S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 10 ecr 0,nop,wscale 7>',
    ]);
    a.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED');
    b.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED');
    expect(a.transitions.map((t) => t.t)).toEqual([0, 10, 20]);
    expect(b.transitions.map((t) => t.t)).toEqual([0, 10, 20]);
    expect([a.establishedCount, b.establishedCount]).toEqual([1, 1]);
    expect([a.errors, b.errors]).toEqual([[], []]);
    // each holds the other's SYN-ACK window unscaled
    expect([a.tcb.sndWnd, b.tcb.sndWnd]).toEqual([65535, 65535]);
    // and nothing is left to retransmit
    wire.runUntil(300_000);
    expect(wire.log).toHaveLength(4);
  });

  it('after a simultaneous open data flows both ways and both can close', () => {
    const { a, b, wire } = pair();
    a.connect();
    b.connect();
    wire.runUntil(100);
    a.write('ping');
    b.write('pong!');
    wire.runUntil(200);
    expect(b.read()).toBe('ping');
    expect(a.read()).toBe('pong!');
    expect(b.tcb.sndUna).toBe((B_ISS + 6) >>> 0); // wrapped past 2^32
    a.close();
    b.close();
    wire.runUntil(300);
    expect(a.state).toBe('TIME_WAIT');
    expect(b.state).toBe('TIME_WAIT');
    expect([a.errors, b.errors]).toEqual([[], []]);
  });

  it('data written during a simultaneous open goes out as soon as each side is ESTABLISHED', () => {
    const { a, b, wire } = pair();
    a.connect();
    b.connect();
    a.write('early-a');
    b.write('early-b');
    wire.runUntil(100);
    expect(wire.log.slice(4)).toEqual([
      '20 A>B P. 1:8(7) ack 1 win 512 <TS val 20 ecr 10>',
      '20 B>A P. 1:8(7) ack 1 win 512 <TS val 20 ecr 10>',
      // delayed ACKs; the window stays 512 as the edge offered at t=20 may not move left
      '70 A>B . 8:8(0) ack 8 win 512 <TS val 70 ecr 20>',
      '70 B>A . 8:8(0) ack 8 win 512 <TS val 70 ecr 20>',
    ]);
    expect([a.read(), b.read()]).toEqual(['early-b', 'early-a']);
    a.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED');
    b.expectPath('CLOSED', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED');
  });

  it('an ordinary open between the same two TCBs, for contrast: CLOSED → SYN_SENT → ESTABLISHED and LISTEN → SYN_RCVD → ESTABLISHED', () => {
    const { a, b, wire } = pair();
    b.listen();
    a.connect();
    wire.runUntil(100);
    expect(wire.log).toEqual([
      '0 A>B S 0:0(0) win 65535 <mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 7>',
      '10 B>A S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 10 ecr 0,nop,wscale 7>',
      '20 A>B . 1:1(0) ack 1 win 512 <TS val 20 ecr 10>',
    ]);
    a.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED');
    b.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED');
    expect([a.tcb.sndWnd, b.tcb.sndWnd]).toEqual([65535, 512 << 7]);
  });
});
