/**
 * Simultaneous close (RFC 9293 §3.6, Figure 13): both sides send FIN before seeing the other's,
 * so each goes FIN_WAIT_1 → CLOSING → TIME_WAIT. First against a script, then with two real TCBs
 * joined by a tiny wire in virtual time.
 */
import { describe, expect, it } from 'vitest';
import { formatFlags } from '../../src/observe/format.js';
import type { TcpState } from '../../src/tcp/state.js';
import { ACK, type Segment } from '../../src/wire/segment.js';
import { TcbHarness, established } from '../support/tcb-harness.js';

function enteredAt(h: TcbHarness, state: TcpState): number {
  const t = [...h.transitions].reverse().find((x) => x.to === state);
  if (!t) throw new Error(`never entered ${state}; path ${h.path.join(' → ')}`);
  return t.t;
}

/** ESTABLISHED, close() called, FIN sent, then the peer's FIN that does not ACK ours: CLOSING. */
function closing(): TcbHarness {
  const h = established();
  h.close();
  h.run(`
    +0   > F. 1:1(0) ack 1
    +0.1 < F. 1:1(0) ack 1 win 65535
    +0   > . 2:2(0) ack 2
  `);
  return h;
}

describe('RFC 9293 §3.6 simultaneous close, against a script', () => {
  it('FIN_WAIT_1 → CLOSING on a peer FIN that does not ACK ours (ACKed with ack = FIN seq + 1)', () => {
    const h = closing();
    expect(h.state).toBe('CLOSING');
    expect(h.readableCount).toBe(1);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING');
  });

  it('CLOSING → TIME_WAIT on the ACK of our FIN, then CLOSED after 2MSL', () => {
    const h = closing();
    h.run(`+0.1 < . 2:2(0) ack 2 win 65535`);
    expect(h.state).toBe('TIME_WAIT');
    const tw = enteredAt(h, 'TIME_WAIT');
    h.advanceTo(tw + 59_999);
    expect(h.state).toBe('TIME_WAIT');
    h.advanceTo(tw + 60_000);
    h.expectNothingPending('after TIME_WAIT');
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED');
  });

  it('in CLOSING an ACK that does not cover our FIN is ignored', () => {
    const h = closing();
    h.run(`+0.1 < . 2:2(0) ack 1 win 65535`);
    expect(h.state).toBe('CLOSING');
  });

  it('in CLOSING our FIN is retransmitted until ACKed, and a retransmitted peer FIN is re-ACKed', () => {
    const h = closing();
    h.run(`
      +0.9 > F. 1:1(0) ack 2
      +0.1 < F. 1:1(0) ack 1 win 65535
      +0   > . 2:2(0) ack 2
      +0.1 < . 2:2(0) ack 2 win 65535
    `);
    expect(h.state).toBe('TIME_WAIT');
  });
});

// ===================== two TCBs and a wire =====================

type Side = 'A' | 'B';

/** Two harnesses whose sent segments reach each other after `delayMs`, unless `drop` says no. */
class Wire {
  now = 0;
  private flying: { at: number; to: TcbHarness; seg: Segment }[] = [];
  /** every segment put on the wire, as `A F. 1:1(0) ack 1` (relative to the sender's ISNs) */
  readonly log: { t: number; text: string; dropped: boolean }[] = [];

  constructor(
    readonly a: TcbHarness,
    readonly b: TcbHarness,
    readonly delayMs: number,
    readonly drop: (from: Side, text: string) => boolean = () => false,
  ) {}

  private collect(): void {
    for (const [from, to, name] of [[this.a, this.b, 'A'], [this.b, this.a, 'B']] as const) {
      for (const s of from.pending.splice(0)) {
        const seq = (s.seg.seq - from.base.localIss) >>> 0;
        const len = s.seg.payload.length;
        const ack = (s.seg.ack - from.base.remoteIss) >>> 0;
        const ackText = s.seg.flags & ACK ? ` ack ${ack}` : '';
        const text = `${name} ${formatFlags(s.seg.flags)} ${seq}:${(seq + len) >>> 0}(${len})${ackText}`;
        const dropped = this.drop(name, text);
        this.log.push({ t: s.t, text, dropped });
        if (!dropped) this.flying.push({ at: s.t + this.delayMs, to, seg: s.seg });
      }
    }
  }

  private setNow(t: number): void {
    this.now = t;
    this.a.now = t;
    this.b.now = t;
  }

  /** Run both TCBs and the wire up to time `t`. */
  runUntil(t: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      this.collect();
      const next = Math.min(...this.flying.map((f) => f.at), this.a.tcb.nextDeadline(), this.b.tcb.nextDeadline());
      if (next > t) break;
      this.setNow(next);
      const due = this.flying.filter((f) => f.at <= next);
      this.flying = this.flying.filter((f) => f.at > next);
      for (const f of due) {
        f.to.tcb.segmentArrives(f.seg, next);
        this.collect();
      }
      for (const h of [this.a, this.b]) if (h.tcb.nextDeadline() <= next) h.tcb.onTimer(next);
    }
    this.setNow(Math.max(this.now, t));
    this.collect();
  }

  /** The log from index `from` on, without times. */
  since(from: number): string[] {
    return this.log.slice(from).map((e) => (e.dropped ? `${e.text} (lost)` : e.text));
  }
}

/** A (client, port 40000) connected to B (server, port 8080) over a 10 ms wire: both ESTABLISHED at t=100. */
function connectedPair(drop?: (from: Side, text: string) => boolean): Wire {
  const a = new TcbHarness({ iss: 1_000_000, remoteIss: 5_000, localPort: 40000, remotePort: 8080 });
  const b = new TcbHarness({ iss: 5_000, remoteIss: 1_000_000, localPort: 8080, remotePort: 40000 });
  const w = new Wire(a, b, 10, drop);
  b.listen();
  a.connect();
  w.runUntil(100);
  expect(a.state).toBe('ESTABLISHED');
  expect(b.state).toBe('ESTABLISHED');
  expect(w.since(0)).toEqual(['A S 0:0(0)', 'B S. 0:0(0) ack 1', 'A . 1:1(0) ack 1']);
  return w;
}

describe('RFC 9293 §3.6 simultaneous close, two TCBs on a wire', () => {
  it('both call close() at once: both paths go FIN_WAIT_1 → CLOSING → TIME_WAIT → CLOSED 2MSL later', () => {
    const w = connectedPair();
    const { a, b } = w;
    const mark = w.log.length;
    a.close();
    b.close();
    w.runUntil(200);
    expect(w.since(mark)).toEqual([
      'A F. 1:1(0) ack 1',
      'B F. 1:1(0) ack 1',
      // each FIN arrives in FIN_WAIT_1 without acknowledging the other's: CLOSING, and an ACK of FIN + 1
      'B . 2:2(0) ack 2',
      'A . 2:2(0) ack 2',
    ]);
    expect(a.state).toBe('TIME_WAIT');
    expect(b.state).toBe('TIME_WAIT');
    // FINs at 100 arrive at 110 (CLOSING), the ACKs at 120 (TIME_WAIT)
    expect(enteredAt(a, 'CLOSING')).toBe(110);
    expect(enteredAt(a, 'TIME_WAIT')).toBe(120);
    expect(enteredAt(b, 'TIME_WAIT')).toBe(120);
    w.runUntil(120 + 60_000 - 1);
    expect(a.state).toBe('TIME_WAIT');
    expect(b.state).toBe('TIME_WAIT');
    w.runUntil(120 + 60_000);
    expect(a.state).toBe('CLOSED');
    expect(b.state).toBe('CLOSED');
    expect(w.log.length).toBe(mark + 4);
    a.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED');
    b.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED');
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('both write and close at once: each FIN follows its data, each CLOSING ACK covers data and FIN, all data is read', () => {
    const w = connectedPair();
    const { a, b } = w;
    const mark = w.log.length;
    a.write('from-a');
    b.write('from-b!');
    a.close();
    b.close();
    w.runUntil(200);
    expect(w.since(mark)).toEqual([
      'A P. 1:7(6) ack 1',
      'A F. 7:7(0) ack 1',
      'B P. 1:8(7) ack 1',
      'B F. 8:8(0) ack 1',
      // one immediate ACK each, for the data and the FIN together (the delayed ACK for the data is absorbed)
      'B . 9:9(0) ack 8',
      'A . 8:8(0) ack 9',
    ]);
    expect(a.read()).toBe('from-b!');
    expect(b.read()).toBe('from-a');
    w.runUntil(60_200);
    a.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED');
    b.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED');
  });

  it("one FIN lost: its sender goes CLOSING, the other FIN_WAIT_2, and the retransmitted FIN ends both in TIME_WAIT", () => {
    let lost = false;
    const w = connectedPair((from, text) => {
      if (from === 'A' && text.startsWith('A F.') && !lost) return (lost = true);
      return false;
    });
    const { a, b } = w;
    const mark = w.log.length;
    a.close();
    b.close();
    w.runUntil(5_000);
    expect(w.since(mark)).toEqual([
      'A F. 1:1(0) ack 1 (lost)',
      'B F. 1:1(0) ack 1',
      // A gets B's FIN, which does not ACK A's: CLOSING. B gets the ACK of its FIN: FIN_WAIT_2
      'A . 2:2(0) ack 2',
      // A's RTO (1 s): the FIN again; B takes it in FIN_WAIT_2 → TIME_WAIT and ACKs; A → TIME_WAIT
      'A F. 1:1(0) ack 2',
      'B . 2:2(0) ack 2',
    ]);
    a.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT');
    b.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT');
    w.runUntil(70_000);
    expect(a.state).toBe('CLOSED');
    expect(b.state).toBe('CLOSED');
  });
});

describe('simultaneous close with data still queued behind our FIN (issue 10, first finding)', () => {
  // The client writes 64 KiB and closes while the server sends 1 KiB and closes, on a clean 10 ms
  // link. The server's FIN reaches the client while most of its 64 KiB is still queued behind the
  // initial window: the client goes FIN_WAIT_1 → CLOSING with its own FIN not yet sent. In CLOSING
  // the peer's ACKs must keep clocking the queue out (RFC 9293 §3.10.7.4: "in addition to the
  // processing for the ESTABLISHED state"); once they stopped doing so the client sat in CLOSING
  // with 51 KiB unsent and no timer, and the server in FIN_WAIT_2.
  const SIZE = 64 * 1024;

  function run(drop?: (from: Side, text: string) => boolean): { w: Wire; got: string } {
    const w = connectedPair(drop);
    const { a, b } = w;
    a.write('a'.repeat(SIZE));
    a.close();
    b.write('b'.repeat(1024));
    b.close();
    let got = '';
    for (let t = 200; t <= 60_000; t += 100) {
      w.runUntil(t);
      got += b.read();
      if (a.state === 'TIME_WAIT' && b.state === 'TIME_WAIT') break;
    }
    expect(a.read()).toBe('b'.repeat(1024));
    return { w, got };
  }

  it('in CLOSING the ACKs of queued data clock out the rest of the queue and then the FIN: every byte arrives, both reach TIME_WAIT then CLOSED', () => {
    const { w, got } = run();
    const { a, b } = w;
    expect(got.length).toBe(SIZE);
    expect(got).toBe('a'.repeat(SIZE));
    expect(a.state).toBe('TIME_WAIT');
    expect(b.state).toBe('TIME_WAIT');
    a.expectPath('CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT');
    b.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT');
    // a clean link: nothing was retransmitted to get there
    expect(a.tcb.stats.retransSegs).toBe(0);
    w.runUntil(w.now + 60_000);
    expect(a.state).toBe('CLOSED');
    expect(b.state).toBe('CLOSED');
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('in CLOSING after a go-back-N retransmission (a data segment lost), the queue and the FIN still go out and both reach TIME_WAIT', () => {
    // lose the third data segment once: the RTO pulls SND.NXT back to SND.UNA while the rest of
    // the first flight (and more) lies between SND.NXT and SND.MAX
    let lost = false;
    const { w, got } = run((from, text) => {
      if (from === 'A' && text.startsWith('A . 2897:') && !lost) return (lost = true);
      return false;
    });
    const { a, b } = w;
    expect(lost).toBe(true);
    expect(got).toBe('a'.repeat(SIZE));
    expect(a.state).toBe('TIME_WAIT');
    expect(b.state).toBe('TIME_WAIT');
    expect(a.path).toContain('CLOSING');
  });
});
