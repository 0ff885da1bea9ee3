import { describe, expect, it } from 'vitest';
import { Rack, Tlp, WC_DEL_ACK_MS } from '../../src/tcp/rack.js';
import { Scoreboard } from '../../src/tcp/scoreboard.js';

const MSS = 100;

/** Segments i = 0..n-1 of 100 bytes from 1000, segment i sent at t = i ms. */
function sent(n: number): Scoreboard {
  const b = new Scoreboard();
  for (let i = 0; i < n; i++) b.onSend(1000 + i * MSS, 1000 + (i + 1) * MSS, i);
  return b;
}

describe('RFC 8985 RACK', () => {
  it('§6.2: a segment sent before a delivered one is lost once RACK.rtt + reo_wnd has passed since it was sent, not before', () => {
    const b = sent(4);
    const rack = new Rack();
    rack.rttSample(40);
    // segment 3 (sent at t=3) is SACKed at t=43: RACK.rtt = 40
    b.onAck(1000, [1300, 1400], (s) => rack.onDelivered(s, 43));
    expect(rack.rtt).toBe(40);
    const reo = rack.reoWnd(false, b.sackedSegs, 40, false);
    expect(reo).toBe(10); // min_RTT / 4
    // segment 0 was sent at 0: lost at 0 + 40 + 10 = 50; segment 2 at 52
    expect(rack.detectLoss(b, 43, reo)).toBe(52 - 43);
    expect(b.nextLost()).toBeUndefined();
    expect(rack.detectLoss(b, 49.9, reo)).toBeGreaterThan(0);
    expect(b.nextLost()).toBeUndefined();
    expect(rack.detectLoss(b, 50, reo)).toBe(2);
    expect(b.nextLost()!.start).toBe(1000);
    expect(rack.detectLoss(b, 52, reo)).toBe(0);
    expect(b.at(1).lost && b.at(2).lost).toBe(true);
  });

  it('§6.2 step 4: without reordering seen, the window is zero in recovery or with DupThresh segments SACKed', () => {
    const rack = new Rack();
    rack.rttSample(40);
    expect(rack.reoWnd(true, 0, 40, false)).toBe(0);
    expect(rack.reoWnd(false, 3, 40, false)).toBe(0);
    expect(rack.reoWnd(false, 2, 40, false)).toBe(10);
    expect(rack.reoWnd(true, 3, 40, true)).toBe(10); // tcp_recovery bit 2: static window
    expect(rack.reoWnd(false, 0, 8, false)).toBe(8); // never above SRTT
    expect(rack.reoWnd(false, 3, 40, false, true)).toBe(10); // tcp_recovery bit 4: no DupThresh shortcut
  });

  it('§6.2 step 3: a never-retransmitted segment delivered below RACK.fack is reordering', () => {
    const b = sent(3);
    const rack = new Rack();
    b.onAck(1000, [1200, 1300], (s) => rack.onDelivered(s, 50));
    expect(rack.reorderingSeen).toBe(false);
    b.onAck(1000, [1100, 1200, 1200, 1300], (s) => rack.onDelivered(s, 51));
    expect(rack.reorderingSeen).toBe(true);
    rack.rttSample(40);
    expect(rack.reoWnd(true, 5, 40, false)).toBe(10);
  });

  it('§6.2 step 4: a D-SACK widens the window by min_RTT/4, once per round trip', () => {
    const rack = new Rack();
    rack.rttSample(40);
    rack.reorderingSeen = true;
    rack.onDsack(1000, 2000);
    rack.onDsack(1500, 2000);
    expect(rack.reoWnd(false, 0, 100, false)).toBe(20);
    rack.onDsack(2000, 3000);
    expect(rack.reoWnd(false, 0, 100, false)).toBe(30);
  });

  it('a retransmitted segment ACKed sooner than min_RTT after its retransmission gives no sample (it may be the original)', () => {
    const b = sent(2);
    const rack = new Rack();
    rack.rttSample(40);
    b.onSend(1000, 1100, 100);
    b.onAck(1100, undefined, (s) => rack.onDelivered(s, 105));
    expect(rack.xmitTs).toBe(-1);
  });
});

describe('RFC 8985 §7 tail loss probe', () => {
  it('PTO = 2·SRTT; + WCDelAckT with one segment in flight; 1 s without an RTT; capped by the RTO', () => {
    expect(Tlp.pto(20, true, false, 300)).toBe(40);
    expect(Tlp.pto(20, true, true, 300)).toBe(40 + WC_DEL_ACK_MS);
    expect(Tlp.pto(0, false, false, 3000)).toBe(1000);
    expect(Tlp.pto(200, true, false, 300)).toBe(300);
  });

  it('§7.4: a retransmitted probe whose ACK arrives without a D-SACK repaired a loss', () => {
    const t = new Tlp();
    t.sent(5000, true);
    expect(t.onAck(4000)).toBe(false);
    expect(t.outstanding).toBe(true);
    expect(t.onAck(5000)).toBe(true);
    expect(t.outstanding).toBe(false);
  });

  it('§7.4: a D-SACK of the probe means nothing was lost; a new-data probe repairs nothing', () => {
    const t = new Tlp();
    t.sent(5000, true);
    t.onDsack();
    expect(t.onAck(5000)).toBe(false);
    t.sent(6000, false);
    expect(t.onAck(6000)).toBe(false);
  });
});
