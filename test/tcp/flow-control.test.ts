import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seqDiff } from '../../src/tcp/seq.js';
import { ACK, SYN } from '../../src/wire/segment.js';
import { buildInbound, parseScript } from '../support/script.js';
import { type HarnessOptions, type TcbHarness, established, listening } from '../support/tcb-harness.js';

const MSS = 1460;

/** ESTABLISHED with window scaling negotiated: the peer's shift is 7, ours 7 (tcp_rmem max 6 MiB). */
function establishedScaled(opts: HarnessOptions = {}, finalWin = 65535): TcbHarness {
  const h = listening(opts);
  h.run(`
     0 < S 0:0(0) win 65535 <mss 1460,nop,wscale 7>
    +0 > S. 0:0(0) ack 1 win ${Math.min(65535, opts.rcvBuf ?? 65535)} <mss 1460,nop,wscale 7>
  `);
  // RFC 7323 §2.2: the window in a SYN is never scaled
  expect(h.tcb.sndWnd).toBe(65535);
  h.run(`+0 < . 1:1(0) ack 1 win ${finalWin}`);
  return h;
}

/** ESTABLISHED with a peer that has only ever offered `win` bytes (so Max(SND.WND) = win). */
function establishedSmallPeer(win: number, opts: HarnessOptions = {}): TcbHarness {
  const h = listening(opts);
  h.run(`
     0 < S 0:0(0) win ${win} <mss 1460>
    +0 > S. 0:0(0) ack 1 <mss 1460>
    +0 < . 1:1(0) ack 1 win ${win}
  `);
  return h;
}

/** Bytes `from`..`to`-1 of the harness's inbound filler stream, as read() returns them. */
function filler(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(0x61 + (i % 26));
  return s;
}

describe('RFC 9293 §3.8.6 the receive window comes from free buffer space', () => {
  it('the SYN-ACK offers the whole receive buffer (rcvBuf 4096)', () => {
    const h = listening({ rcvBuf: 4096 });
    h.run(`
       0 < S 0:0(0) win 65535 <mss 1460>
      +0 > S. 0:0(0) ack 1 win 4096 <mss 1460>
    `);
  });

  it('the offered window shrinks as unread data accumulates, down to zero', () => {
    const h = established({ rcvBuf: 4096 });
    h.run(`
      +0    < P. 1:1461(1460) ack 1 win 65535
      +0    < P. 1461:2921(1460) ack 1 win 65535
      +0    > . 1:1(0) ack 2921 win 1176
      +0    < P. 2921:4097(1176) ack 1 win 65535
      +0.04 > . 1:1(0) ack 4097 win 0
    `);
    expect(h.tcb.status(h.now).rcvWnd).toBe(0);
  });

  it('data arriving into a zero window is not queued; it is answered with an ACK', () => {
    const h = established({ rcvBuf: 4096 });
    h.run(`
      +0    < P. 1:1461(1460) ack 1 win 65535
      +0    < P. 1461:2921(1460) ack 1 win 65535
      +0    > . 1:1(0) ack 2921 win 1176
      +0    < P. 2921:4097(1176) ack 1 win 65535
      +0.04 > . 1:1(0) ack 4097 win 0
      +0.1  < P. 4097:4197(100) ack 1 win 65535
      +0    > . 1:1(0) ack 4097 win 0
    `);
    expect(h.tcb.readable).toBe(4096);
  });

  it('reading opens the window and a window update is sent at once', () => {
    const h = established({ rcvBuf: 4096 });
    h.run(`
      +0    < P. 1:1461(1460) ack 1 win 65535
      +0    < P. 1461:2921(1460) ack 1 win 65535
      +0    > . 1:1(0) ack 2921 win 1176
      +0    < P. 2921:4097(1176) ack 1 win 65535
      +0.04 > . 1:1(0) ack 4097 win 0
    `);
    expect(h.read()).toBe(filler(1, 4097));
    h.run(`+0 > . 1:1(0) ack 4097 win 4096`);
  });

  it('RFC 1122 §4.2.3.3 receiver SWS: the window stays shut until it can open by min(RCV.BUFF/2, MSS)', () => {
    const h = established({ rcvBuf: 4096 });
    h.run(`
      +0    < P. 1:1461(1460) ack 1 win 65535
      +0    < P. 1461:2921(1460) ack 1 win 65535
      +0    > . 1:1(0) ack 2921 win 1176
      +0    < P. 2921:4097(1176) ack 1 win 65535
      +0.04 > . 1:1(0) ack 4097 win 0
    `);
    h.read(1000); // 1000 free < min(2048, 1460): no update
    h.expectNothingPending('after reading 1000 bytes');
    // and a zero-window probe is still told 0
    h.run(`
      +1 < . 4096:4096(0) ack 1 win 65535
      +0 > . 1:1(0) ack 4097 win 0
    `);
    h.read(460); // 1460 free: the window opens, by exactly the threshold
    h.run(`+0 > . 1:1(0) ack 4097 win 1460`);
  });

  it('a read that cannot widen the offered window (65535 without scaling) sends nothing', () => {
    const h = established();
    h.run(`
      // the offer has not grown past the SYN's (100 bytes do not grow it): the edge stays put
      +0    < P. 1:101(100) ack 1 win 65535
      +0.04 > . 1:1(0) ack 101 win 65435
    `);
    expect(h.read()).toBe(filler(1, 101));
    h.advance(1000);
    h.expectNothingPending('after a read that changes nothing the peer can see');
  });

  it('§3.8.6 the right edge never moves left: held out-of-order data does not shrink the offer', () => {
    const h = established({ rcvBuf: 4096 });
    h.run(`
      +0 < P. 1:1461(1460) ack 1 win 65535
      +0 < P. 2921:4097(1176) ack 1 win 65535
      +0 > . 1:1(0) ack 1461 win 2636
    `);
    // 1460 bytes free, but 2636 were offered beyond RCV.NXT: the edge stays at 4097
    const s = h.tcb.status(h.now);
    expect((s.rcvNxt + s.rcvWnd) >>> 0).toBe((h.base.remoteIss + 4097) >>> 0);
  });

  it('§3.8.6 for any arrivals (in order, out of order, duplicate, beyond the window) and reads, the right edge never moves left', () => {
    const op = fc.oneof(
      fc.record({ at: fc.integer({ min: -3000, max: 40_000 }), len: fc.integer({ min: 1, max: 1460 }) }),
      fc.record({ read: fc.integer({ min: 1, max: 30_000 }) }),
      fc.record({ wait: fc.integer({ min: 1, max: 300 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const h = establishedScaled({ rcvBuf: 20_001 });
        const rel = (): number => seqDiff(h.tcb.rcvNxt, h.base.remoteIss);
        for (const o of ops) {
          if ('at' in o) {
            const from = Math.max(1, rel() + o.at);
            const [line] = parseScript(`0 < P. ${from}:${from + o.len}(${o.len}) ack 1 win 65535`);
            h.tcb.segmentArrives(buildInbound(line!, h.base, { local: h.tcb.localPort, remote: h.tcb.remotePort }), h.now);
          } else if ('read' in o) {
            h.read(o.read);
          } else {
            h.advance(o.wait);
          }
        }
        let edge: number | null = null;
        for (const { seg } of h.sentAll) {
          if (!(seg.flags & ACK)) continue;
          const right = seg.ack + (seg.flags & SYN ? seg.window : seg.window * 128);
          if (edge !== null) expect(seqDiff(right >>> 0, edge)).toBeGreaterThanOrEqual(0);
          edge = right >>> 0;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('RFC 7323 §2.3 our window field is the offer shifted right by our scale (7): the SYN\'s 65535 aligned up, 512, as Linux\'s', () => {
    const h = establishedScaled();
    h.run(`
      +0    < P. 1:101(100) ack 1 win 65535
      +0.04 > . 1:1(0) ack 101 win 512
    `);
  });

  it('the offer grows as data arrives, by twice each segment of 128 bytes or more (Linux\'s tcp_grow_window), up to the free buffer', () => {
    const h = establishedScaled();
    h.run(`
      // 65535 + 2 × 65535 = 196605, aligned up: 196608 >> 7 = 1536 (an ACK at once: 44 full segments)
      +0 < . 1:65536(65535) ack 1 win 65535
      +0 > . 1:1(0) ack 65536 win 1536
    `);
    expect(h.read().length).toBe(65535);
    h.run(`
      // the offer reaches the 262144-byte buffer; 65535 unread bytes leave 196609 free: 1536 again
      +0 < . 65536:131071(65535) ack 1 win 65535
      +0 > . 1:1(0) ack 131071 win 1536
    `);
    expect(h.tcb.rcvSsthresh).toBe(262_144);
  });

  it('without SACK, out-of-order segments do not grow the offer: the duplicate ACKs keep one window (RFC 5681 §2, as Linux)', () => {
    // a sender without SACK needs three duplicate ACKs for a fast retransmit, and an ACK whose
    // window moved is not a duplicate: a growing offer here would leave the loss to the RTO
    const h = establishedScaled();
    expect(h.tcb.sackOk).toBe(false);
    const before = h.tcb.rcvSsthresh;
    h.run(`
      +0 < . 1461:2921(1460) ack 1 win 65535
      +0 > . 1:1(0) ack 1 win 512
      +0 < . 2921:4381(1460) ack 1 win 65535
      +0 > . 1:1(0) ack 1 win 512
      +0 < . 4381:5841(1460) ack 1 win 65535
      +0 > . 1:1(0) ack 1 win 512
    `);
    expect(h.tcb.rcvSsthresh).toBe(before);
  });

  it('a segment under 128 bytes does not grow the offer', () => {
    const h = establishedScaled();
    const before = h.tcb.rcvSsthresh;
    h.run(`+0 < P. 1:128(127) ack 1 win 65535`);
    expect(h.tcb.rcvSsthresh).toBe(before);
    h.run(`+0 < P. 128:256(128) ack 1 win 65535`);
    expect(h.tcb.rcvSsthresh).toBe(before + 2 * 1460);
  });
});

describe('RFC 7323 §2.3 window scale on the send side', () => {
  it('a scaled window in an ACK is applied: SND.WND = SEG.WND << Snd.Wind.Shift', () => {
    const h = establishedScaled({ noDelay: true }, 100);
    expect(h.tcb.sndWnd).toBe(100 << 7);
    h.write('x'.repeat(12_800 + 1000));
    const lines: string[] = [];
    for (let i = 0; i < 8; i++) lines.push(`+0 > . ${1 + i * MSS}:${1 + (i + 1) * MSS}(${MSS}) ack 1`);
    h.run(lines.join('\n'));
    // 12800 - 8·1460 = 1120 left: less than an MSS with more data behind it (sender SWS holds it);
    // an unscaled 100-byte window would have let almost nothing out
    h.expectNothingPending('with the scaled window used up');
    h.run(`
      +0.1 < . 1:1(0) ack 11681 win 100
      +0   > . 11681:13141(1460) ack 1
      +0   > P. 13141:13801(660) ack 1
    `);
  });
});

describe('RFC 9293 §3.8.6.1 zero-window probing', () => {
  /** established(), the peer then shuts its window, and the user has 100 bytes to send */
  function shut(opts: HarnessOptions = {}): TcbHarness {
    const h = established(opts);
    h.run(`+0 < . 1:1(0) ack 1 win 0`);
    h.write('x'.repeat(100));
    h.expectNothingPending('with the window shut');
    return h;
  }

  it('probes <SEQ=SND.UNA-1> start one RTO after the window shut, then back off: 1, 2, 4, 8 s', () => {
    const h = shut();
    h.run(`
      +1 > . 0:0(0) ack 1
      +2 > . 0:0(0) ack 1
      +4 > . 0:0(0) ack 1
      +8 > . 0:0(0) ack 1
    `);
  });

  it('the window opening stops the probes and the data goes out at once', () => {
    const h = shut();
    h.run(`
      +1    > . 0:0(0) ack 1
      +0.01 < . 1:1(0) ack 1 win 0
      +2    > . 0:0(0) ack 1
      +0.01 < . 1:1(0) ack 1 win 1000
      +0    > P. 1:101(100) ack 1
      +0.1  < . 1:1(0) ack 101 win 1000
    `);
    expect(h.tcb.tPersist).toBe(Infinity);
    h.advance(600_000);
    h.expectNothingPending('after the window opened');
  });

  it('the probe interval is capped at tcp_rto_max_ms', () => {
    const h = shut({ sysctl: { tcp_rto_max_ms: 3000 } });
    h.run(`
      +1 > . 0:0(0) ack 1
      +2 > . 0:0(0) ack 1
      +3 > . 0:0(0) ack 1
      +3 > . 0:0(0) ack 1
    `);
  });

  it('probes never kill a connection whose peer answers them, however long the window stays shut', () => {
    const h = shut();
    let last = h.now;
    for (let i = 0; i < 60; i++) {
      h.advanceTo(h.tcb.nextDeadline());
      const probe = h.pending.shift();
      expect(probe && h.fmt(probe.seg)).toBe('. 0:0(0) ack 1 win 65535');
      h.run(`+0.01 < . 1:1(0) ack 1 win 0`);
      expect(h.now - last).toBeLessThanOrEqual(120_010);
      last = h.now;
    }
    expect(h.now).toBeGreaterThan(3600_000);
    expect(h.state).toBe('ESTABLISHED');
    expect(h.errors).toEqual([]);
  });

  it('TCP_USER_TIMEOUT ends probing the user timeout after the first probe, even while the peer answers (Linux tcp_probe_timer)', () => {
    // issue 10: with setUserTimeout(60000) such a connection was still ESTABLISHED after 2 hours
    const h = shut();
    h.tcb.userTimeoutMs = 60_000;
    const start = h.now;
    // probes at 1, 3, 7, 15, 31 s (backing off), each answered with the window still shut
    h.run(`
      +1     > . 0:0(0) ack 1
      +0.01  < . 1:1(0) ack 1 win 0
      +1.99  > . 0:0(0) ack 1
      +0.01  < . 1:1(0) ack 1 win 0
      +3.99  > . 0:0(0) ack 1
      +0.01  < . 1:1(0) ack 1 win 0
      +7.99  > . 0:0(0) ack 1
      +0.01  < . 1:1(0) ack 1 win 0
      +15.99 > . 0:0(0) ack 1
      +0.01  < . 1:1(0) ack 1 win 0
    `);
    expect(h.state).toBe('ESTABLISHED');
    // the next probe would be due at 63 s; the user timeout (60 s from the first probe) comes first
    h.advanceTo(start + 61_000 - 1);
    expect(h.state).toBe('ESTABLISHED');
    h.advanceTo(start + 61_000);
    expect(h.errors).toEqual(['ETIMEDOUT']);
    expect(h.state).toBe('CLOSED');
    h.expectNothingPending('after the user timeout');
  });

  it('the window opening resets the user timeout clock: a later stall gets the whole timeout again', () => {
    const h = shut();
    h.tcb.userTimeoutMs = 10_000;
    h.run(`
      +1    > . 0:0(0) ack 1
      +0.01 < . 1:1(0) ack 1 win 0
      +2    > . 0:0(0) ack 1
      +0.01 < . 1:1(0) ack 1 win 100
      +0    > P. 1:101(100) ack 1
      +0.01 < . 1:1(0) ack 101 win 0
    `);
    expect(h.tcb.persistSince).toBe(-1);
    h.write('y'.repeat(10));
    // the new stall's first probe starts a new 10 s, unanswered this time
    h.advanceTo(h.tcb.nextDeadline());
    expect(h.pending.splice(0).map((p) => h.fmt(p.seg))).toEqual(['. 100:100(0) ack 1 win 65535']);
    const firstProbe = h.now;
    h.advanceTo(firstProbe + 10_000 - 1);
    h.pending.length = 0;
    expect(h.state).toBe('ESTABLISHED');
    h.advanceTo(firstProbe + 10_000);
    expect(h.errors).toEqual(['ETIMEDOUT']);
  });

  it('unanswered probes end the connection with ETIMEDOUT after tcp_retries2 of them', () => {
    const h = shut({ sysctl: { tcp_retries2: 3 } });
    h.run(`
      +1 > . 0:0(0) ack 1
      +2 > . 0:0(0) ack 1
      +4 > . 0:0(0) ack 1
    `);
    h.advance(8000);
    expect(h.errors).toEqual(['ETIMEDOUT']);
    expect(h.state).toBe('CLOSED');
    h.expectNothingPending('after the timeout');
  });
});

describe('RFC 9293 §3.8.6.2.1 sender SWS avoidance', () => {
  it('with data in flight no tiny window-limited segment is sent: the sender waits for a full one', () => {
    const h = established();
    h.run(`+0 < . 1:1(0) ack 1 win 3000`);
    h.write('x'.repeat(10_000));
    h.run(`
      +0   > . 1:1461(1460) ack 1
      +0   > . 1461:2921(1460) ack 1
      +0.1 < . 1:1(0) ack 1461 win 3000
      +0   > . 2921:4381(1460) ack 1
    `);
    // 80 bytes of window are left over each time; no 80-byte segment goes out
  });

  it('(4) a small window with nothing in flight is used when the override timer fires: no deadlock', () => {
    const h = established();
    h.run(`+0 < . 1:1(0) ack 1 win 3000`);
    h.write('x'.repeat(10_000));
    h.run(`
      +0   > . 1:1461(1460) ack 1
      +0   > . 1461:2921(1460) ack 1
      +0.1 < . 1:1(0) ack 2921 win 100
    `);
    // 100 bytes of window, less than an MSS and than half the largest window (65535): held...
    h.expectNothingPending('right after the small window');
    // ...until the override timeout (one RTO: R = 100 ms, so 300 ms), then sent
    h.run(`
      +0.3 > . 2921:3021(100) ack 1
      +0.1 < . 1:1(0) ack 3021 win 3000
      +0   > . 3021:4481(1460) ack 1
      +0   > . 4481:5941(1460) ack 1
    `);
  });

  it('(3) with nothing in flight, a piece of at least half the largest window offered goes out', () => {
    const h = establishedSmallPeer(1000);
    h.write('x'.repeat(5000));
    h.run(`
      +0   > . 1:1001(1000) ack 1
      +0.1 < . 1:1(0) ack 1001 win 1000
      +0   > . 1001:2001(1000) ack 1
    `);
  });

  it('(3) with data in flight the Nagle bracket holds a piece even of half the largest window', () => {
    const h = establishedSmallPeer(1000);
    h.write('x'.repeat(300));
    h.run(`+0 > P. 1:301(300) ack 1`);
    h.write('y'.repeat(600)); // 600 >= 1000/2, but 300 bytes are in flight
    h.expectNothingPending('while the first piece is unacknowledged');
    h.run(`
      +0.1 < . 1:1(0) ack 301 win 1000
      +0   > P. 301:901(600) ack 1
    `);
  });
});

describe('RFC 9293 §3.7.4 / RFC 896 Nagle algorithm', () => {
  it('on by default: a small write while data is in flight waits for the ACK, then goes coalesced', () => {
    const h = established();
    h.write('a');
    h.run(`+0 > P. 1:2(1) ack 1`);
    h.write('b');
    h.write('c');
    h.advance(500);
    h.expectNothingPending('with 1 byte in flight');
    h.run(`
       0 < . 1:1(0) ack 2 win 65535
      +0 > P. 2:4(2) ack 1
    `);
  });

  it('a full-sized segment is never held by Nagle', () => {
    const h = established();
    h.write('a');
    h.run(`+0 > P. 1:2(1) ack 1`);
    h.write('x'.repeat(MSS + 10));
    h.run(`+0 > . 2:1462(1460) ack 1`);
    // the 10-byte tail waits
    h.expectNothingPending('with the tail held');
  });

  it("as Linux's (Minshall's variant, tcp_nagle_check): a write's short tail goes at once behind full-sized segments in flight", () => {
    const h = established();
    h.write('x'.repeat(2 * MSS + 10));
    h.run(`
      +0 > . 1:1461(1460) ack 1
      +0 > . 1461:2921(1460) ack 1
      +0 > P. 2921:2931(10) ack 1
    `);
    // and that small segment, unacknowledged, now holds the next one
    h.write('y');
    h.expectNothingPending('with a small segment in flight');
    h.run(`
      +0.1 < . 1:1(0) ack 2931 win 65535
      +0   > P. 2931:2932(1) ack 1
    `);
  });

  it('the noDelay option (TCP_NODELAY) sends small writes at once', () => {
    const h = established({ noDelay: true });
    h.write('a');
    h.write('b');
    h.run(`
      +0 > P. 1:2(1) ack 1
      +0 > P. 2:3(1) ack 1
    `);
  });

  it('setting tcb.noDelay on a live connection takes effect from the next write', () => {
    const h = established();
    h.write('a');
    h.run(`+0 > P. 1:2(1) ack 1`);
    h.tcb.noDelay = true;
    h.write('b');
    h.run(`+0 > P. 2:3(1) ack 1`);
  });
});
