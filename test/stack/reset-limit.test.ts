/**
 * RSTs for segments to connections that do not exist (RFC 9293 §3.10.7.1) are rate-limited per
 * stack: a token bucket of tcp_rst_msgs_per_sec (1000) with a burst of tcp_rst_msgs_burst (50),
 * shaped like Linux's host-wide ICMP limiter. Linux itself answers every one (tcp_v4_send_reset
 * has no limit); FreeBSD limits them under net.inet.icmp.icmplim. Issue 10, resource bounds.
 */
import { describe, expect, it } from 'vitest';
import { ACK, RST, RawHost, SYN, SERVER, seg } from './helpers.js';

const ATTACKER = '10.9.9.9';

function flood(h: RawHost, n: number, flags = SYN): void {
  for (let i = 0; i < n; i++) h.send(ATTACKER, seg({ srcPort: 1024 + (i % 60000), dstPort: 9, seq: i * 7919, ack: i, flags }));
}

describe('RSTs to connections that do not exist are rate-limited (tcp_rst_msgs_per_sec, tcp_rst_msgs_burst)', () => {
  it('a burst of 1,000 SYNs to a closed port at one instant draws the burst of 50 RSTs; the rest are counted', () => {
    const h = new RawHost(SERVER);
    flood(h, 1000);
    const rsts = h.take().filter((c) => c.seg.flags & RST);
    expect(rsts.length).toBe(50);
    expect(h.stack.counters.resetsRateLimited).toBe(950);
    expect(h.stack.counters.resetsSent).toBe(50);
  });

  it('a sustained flood draws at most tcp_rst_msgs_per_sec a second, plus the burst', () => {
    const h = new RawHost(SERVER);
    // 10,000 segments a second for 5 s (one every 0.1 ms)
    for (let i = 0; i < 50_000; i++) {
      h.clock.advance(0.1);
      h.send(ATTACKER, seg({ srcPort: 2000 + (i % 50000), dstPort: 9, seq: i, ack: i, flags: ACK }));
    }
    const sent = h.take().length;
    expect(sent).toBeGreaterThanOrEqual(5 * 1000);
    expect(sent).toBeLessThanOrEqual(5 * 1000 + 50);
  });

  it('the answer itself is unchanged: <SEQ=SEG.ACK><CTL=RST> for an ACK', () => {
    const h = new RawHost(SERVER);
    h.send(ATTACKER, seg({ srcPort: 5555, dstPort: 9, seq: 10, ack: 777, flags: ACK }));
    const [c] = h.take();
    expect(c!.seg.flags & (RST | ACK)).toBe(RST);
    expect(c!.seg.seq).toBe(777);
  });

  it('tcp_rst_msgs_per_sec = 0 answers every segment, as Linux does', () => {
    const h = new RawHost(SERVER, { tcp_rst_msgs_per_sec: 0 });
    flood(h, 1000);
    expect(h.take().length).toBe(1000);
    expect(h.stack.counters.resetsRateLimited).toBe(0);
  });
});
