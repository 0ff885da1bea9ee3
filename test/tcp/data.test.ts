import { describe, expect, it } from 'vitest';
import { SYSCTL_DEFAULTS, applySysctl, type Sysctl } from '../../src/tcp/sysctl.js';
import { DELACK_MS, Tcb, type TcbErrorCode, type TcbHooks } from '../../src/tcp/tcb.js';
import type { TcpState } from '../../src/tcp/state.js';
import type { Segment } from '../../src/wire/segment.js';
import { established } from '../support/tcb-harness.js';

describe('RFC 1122 §4.2.3.2 / RFC 5681 §4.2 delayed ACK', () => {
  it('the delayed-ACK timer is under RFC 1122’s 500 ms and Linux’s 200 ms (40 ms)', () => {
    expect(DELACK_MS).toBeGreaterThan(0);
    expect(DELACK_MS).toBeLessThanOrEqual(200);
  });

  it('one full-sized segment is acknowledged when the delayed-ACK timer fires, not before', () => {
    const h = established();
    h.run(`
      +0    < P. 1:1461(1460) ack 1 win 65535
      +0.04 > . 1:1(0) ack 1461
    `);
  });

  it('a second full-sized segment is acknowledged at once', () => {
    const h = established();
    h.run(`
      +0    < . 1:1461(1460) ack 1 win 65535
      +0.01 < . 1461:2921(1460) ack 1 win 65535
      +0    > . 1:1(0) ack 2921
    `);
    h.advance(1000);
    h.expectNothingPending('after the immediate ACK');
  });

  it('a small segment is acknowledged after the delayed-ACK timer too', () => {
    const h = established();
    h.run(`
      +0    < P. 1:11(10) ack 1 win 65535
      +0.04 > . 1:1(0) ack 11
    `);
  });

  it('the timer runs from the first unacknowledged segment, not the latest', () => {
    const h = established();
    h.run(`
      +0    < P. 1:11(10) ack 1 win 65535
      +0.03 < P. 11:21(10) ack 1 win 65535
      +0.01 > . 1:1(0) ack 21
    `);
  });

  it('data sent before the timer fires carries the ACK: no separate ACK follows', () => {
    const h = established();
    h.run(`+0 < P. 1:101(100) ack 1 win 65535`);
    h.advance(10);
    h.write('reply');
    // the peer's ACK comes well after the 40 ms timer would have fired: nothing else went out
    h.run(`
       0   > P. 1:6(5) ack 101
      +0.1 < . 101:101(0) ack 6 win 65535
    `);
    h.advance(1000);
    h.expectNothingPending('after the piggybacked ACK');
  });
});

// ===================== two TCBs joined by a tiny in-test wire, in virtual time =====================

/** mulberry32: a tiny seeded PRNG, so that loss patterns are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Endpoint implements TcbHooks {
  readonly tcb: Tcb;
  peer!: Endpoint;
  errors: TcbErrorCode[] = [];
  path: TcpState[] = ['CLOSED'];
  received: Uint8Array[] = [];
  receivedBytes = 0;

  constructor(
    private readonly wire: Wire,
    sysctl: Sysctl,
    iss: number,
    localPort: number,
    remotePort: number,
  ) {
    this.tcb = new Tcb(this, { sysctl, iss, localPort, remotePort, mss: 1460 });
  }

  send(_tcb: Tcb, seg: Segment): void {
    this.wire.carry(this.peer, seg);
  }
  transition(_tcb: Tcb, _from: TcpState, to: TcpState): void {
    this.path.push(to);
  }
  established(): void {}
  readable(): void {}
  writable(): void {}
  error(_tcb: Tcb, code: TcbErrorCode): void {
    this.errors.push(code);
  }

  /** The application: read everything readable. */
  drain(now: number): void {
    if (this.tcb.readable === 0) return;
    for (const c of this.tcb.receive(Infinity, now)) {
      this.received.push(c);
      this.receivedBytes += c.length;
    }
  }
}

interface InFlight {
  t: number;
  to: Endpoint;
  seg: Segment;
}

/**
 * A wire with a fixed one-way delay and seeded random loss in both directions. Every segment is
 * copied when sent (the TCB's segment is valid during the call only) and delivered in order.
 */
class Wire {
  now = 0;
  /** deliveries in time order: one fixed delay and a clock that only moves forward keep it sorted */
  private queue: InFlight[] = [];
  private head = 0;
  /** the peer has vanished: everything is dropped */
  down = false;
  sent = 0;
  dropped = 0;
  private readonly rand: () => number;

  constructor(
    readonly delayMs: number,
    readonly loss: number,
    seed: number,
  ) {
    this.rand = mulberry32(seed);
  }

  carry(to: Endpoint, seg: Segment): void {
    this.sent++;
    if (this.down || this.rand() < this.loss) {
      this.dropped++;
      return;
    }
    const options = { ...seg.options };
    if (seg.options.sack) options.sack = seg.options.sack.slice();
    this.queue.push({ t: this.now + this.delayMs, to, seg: { ...seg, options, payload: seg.payload.slice() } });
  }

  /** Run until `done()` or virtual time `limit`; after every event `app(now)` plays the applications. */
  run(ends: Endpoint[], limit: number, app: (now: number) => void, done: () => boolean): void {
    while (!done()) {
      const next = this.head < this.queue.length ? this.queue[this.head]!.t : Infinity;
      let t = next;
      for (const e of ends) t = Math.min(t, e.tcb.nextDeadline());
      if (t > limit) return;
      this.now = t;
      if (next === t) {
        const d = this.queue[this.head++]!;
        if (this.head > 1024) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        d.to.tcb.segmentArrives(d.seg, t);
      } else {
        for (const e of ends) if (e.tcb.nextDeadline() <= t) e.tcb.onTimer(t);
      }
      app(t);
    }
  }
}

const MiB = 1 << 20;

function pattern(n: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

function sameBytes(chunks: Uint8Array[], want: Uint8Array): boolean {
  return Buffer.concat(chunks).equals(Buffer.from(want.buffer, want.byteOffset, want.length));
}

/**
 * Client (ISS just below 2^32, so the stream crosses the wrap) connects to a listening server,
 * writes `data` as the send buffer allows, and closes; the server reads everything and closes
 * when it sees the end of the stream.
 */
function transfer(data: Uint8Array, opts: { loss: number; seed: number; delayMs?: number; limitMs?: number; sysctl?: Record<string, unknown> }) {
  const sysctl = applySysctl(SYSCTL_DEFAULTS, opts.sysctl);
  const wire = new Wire(opts.delayMs ?? 10, opts.loss, opts.seed);
  const client = new Endpoint(wire, sysctl, 0xffff_f000, 40_000, 8080);
  const server = new Endpoint(wire, sysctl, 123_456_789, 8080, 40_000);
  client.peer = server;
  server.peer = client;
  server.tcb.openPassive(0);
  client.tcb.openActive(0);
  let written = 0;
  let closed = false;
  let serverClosed = false;
  const app = (now: number): void => {
    const c = client.tcb;
    while (written < data.length && c.canSend && c.state === 'ESTABLISHED' && c.sendSpace > 0) {
      const n = Math.min(64 * 1024, data.length - written, c.sendSpace);
      c.send(data.subarray(written, written + n), now);
      written += n;
    }
    if (written === data.length && !closed && c.state === 'ESTABLISHED') {
      closed = true;
      c.close(now);
    }
    server.drain(now);
    if (server.tcb.rcvClosed && !serverClosed) {
      serverClosed = true;
      server.tcb.close(now);
    }
  };
  const bothDone = (): boolean => client.tcb.state === 'CLOSED' && server.tcb.state === 'CLOSED';
  wire.run([client, server], opts.limitMs ?? 3600_000, app, bothDone);
  return { wire, client, server };
}

describe('data transfer between two TCBs over a simulated wire', () => {
  it('1 MiB over a lossless path arrives byte-exact, in order, and both ends close cleanly', () => {
    const data = pattern(MiB, 1);
    const { wire, client, server } = transfer(data, { loss: 0, seed: 1 });
    expect(server.receivedBytes).toBe(MiB);
    expect(sameBytes(server.received, data)).toBe(true);
    expect(client.errors).toEqual([]);
    expect(server.errors).toEqual([]);
    expect(client.path).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
    expect(server.path).toEqual(['CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    expect(client.tcb.stats.retransSegs).toBe(0);
    expect(wire.dropped).toBe(0);
    // with no loss the transfer is window-limited, not timer-limited: well under a minute of
    // virtual time besides TIME_WAIT's 60 s
    expect(wire.now).toBeLessThan(60_000 + 10_000);
  });

  it('1 MiB with 10 % seeded loss in both directions still arrives byte-exact', () => {
    const data = pattern(MiB, 2);
    const { wire, client, server } = transfer(data, { loss: 0.1, seed: 42 });
    expect(wire.dropped).toBeGreaterThan(wire.sent * 0.05);
    expect(client.tcb.stats.retransSegs).toBeGreaterThan(0);
    expect(server.receivedBytes).toBe(MiB);
    expect(sameBytes(server.received, data)).toBe(true);
    expect(client.errors).toEqual([]);
    expect(server.errors).toEqual([]);
    expect(server.tcb.state).toBe('CLOSED');
  });

  it.each([7, 1234, 99_999])('the same holds for loss pattern seed %i (64 KiB)', (seed) => {
    const data = pattern(64 * 1024, seed);
    const { server } = transfer(data, { loss: 0.1, seed });
    expect(sameBytes(server.received, data)).toBe(true);
  });

  it('a peer that vanishes mid-transfer: ETIMEDOUT after tcp_retries2 (15) retransmissions, ≈ 924.6 s as Linux', () => {
    const sysctl = SYSCTL_DEFAULTS;
    const wire = new Wire(10, 0, 1);
    const client = new Endpoint(wire, sysctl, 1, 40_000, 8080);
    const server = new Endpoint(wire, sysctl, 2, 8080, 40_000);
    client.peer = server;
    server.peer = client;
    server.tcb.openPassive(0);
    client.tcb.openActive(0);
    const ends = [client, server];
    // some data first, so that the RTO is measured (20 ms RTT: raised to the 200 ms minimum)
    client.tcb.send(pattern(20_000, 3), 0);
    wire.run(ends, 10_000, (now) => server.drain(now), () => server.receivedBytes === 20_000 && client.tcb.sndUna === client.tcb.sndNxt);
    expect(client.tcb.rto.rto).toBe(200);
    wire.down = true;
    const start = wire.now;
    const before = client.tcb.stats.retransSegs;
    client.tcb.send(pattern(1000, 4), start);
    wire.run([client], start + 3600_000, () => {}, () => client.tcb.state === 'CLOSED');
    expect(client.errors).toEqual(['ETIMEDOUT']);
    // RACK-TLP (RFC 8985 §7): a tail loss probe goes first, at min(PTO, RTO) = 200 ms, then the
    // 15 timeouts, as in Linux (the probe does not count toward tcp_retries2)
    expect(client.tcb.stats.retransSegs - before).toBe(16);
    expect(client.tcb.loss.retransmits.tlp).toBe(1);
    expect(client.tcb.loss.retransmits.rto).toBe(15);
    // 200 ms for the probe, then 200 ms doubling to the 120 s cap: 0.2 + 0.4 + ... + 102.4 + 6 × 120 = 924.6 s
    expect(wire.now - start).toBe(200 + 924_600);
  });
});
