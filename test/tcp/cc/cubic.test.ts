import { describe, expect, it } from 'vitest';
import { CUBIC_ALPHA, CUBIC_BETA, CUBIC_C, Cubic, cubicK, cubicWindow } from '../../../src/tcp/cc/cubic.js';

const MSS = 1000;

/**
 * Drive congestion avoidance: one ACK of one segment every rtt/cwnd ms (the window's ACKs spread
 * over each round trip), from `from` to `to` ms. Returns cwnd in segments at each whole second.
 */
function drive(cc: Cubic, from: number, to: number, rtt: number): Map<number, number> {
  const at = new Map<number, number>();
  let now = from;
  let seq = 0;
  for (let guard = 0; guard < 5_000_000 && now < to; guard++) {
    cc.onAck({ now, mss: MSS, acked: MSS, rtt, srtt: rtt, ack: seq, sndNxt: seq + cc.cwnd });
    seq += MSS;
    const next = now + rtt / (cc.cwnd / MSS);
    for (let s = Math.ceil(now / 1000) * 1000; s < next && s <= to; s += 1000) if (s >= now) at.set(s, cc.cwnd / MSS);
    now = next;
  }
  return at;
}

/** A CUBIC sender in congestion avoidance that has just lost at a window of `w` segments. */
function afterLossAt(w: number): Cubic {
  const cc = new Cubic();
  cc.cwnd = w * MSS;
  cc.ssthresh = 1; // congestion avoidance
  cc.onCongestion(0, w * MSS, MSS);
  cc.onRecoveryEnd(0, MSS);
  return cc;
}

describe('RFC 9438 CUBIC', () => {
  it('§4.6 multiplicative decrease: ssthresh = flight_size · β_cubic (0.7), W_max = cwnd before the loss', () => {
    const cc = afterLossAt(100);
    expect(cc.ssthresh).toBe(70 * MSS);
    expect(cc.cwnd).toBe(70 * MSS);
    expect(cc.wMax).toBe(100);
    expect(cc.cwndPrior).toBe(100);
  });

  it('§4.2 K = ∛(W_max·(1−β)/C): 100 segments give K = ∛75 ≈ 4.217 s', () => {
    expect(cubicK(100, 70)).toBeCloseTo(Math.cbrt(75), 10);
    expect(cubicK(100, 70)).toBeCloseTo(4.2172, 3);
    expect(cubicWindow(0, cubicK(100, 70), 100)).toBeCloseTo(70, 10); // starts at cwnd_epoch
    expect(cubicWindow(cubicK(100, 70), cubicK(100, 70), 100)).toBe(100); // plateau at W_max
  });

  it('§4.4/§4.5 the window follows W_cubic(t): concave below W_max, flat at t = K, convex beyond', () => {
    // a large window (1000 segments, K = ∛750 ≈ 9.09 s) keeps the Reno-friendly estimate far below
    const cc = afterLossAt(1000);
    const rtt = 100;
    const at = drive(cc, 0, 13_000, rtt);
    const k = cubicK(1000, 700);
    expect(cc.k).toBeCloseTo(k, 10);
    // the sender aims one RTT ahead, so at time t its window is about W_cubic(t + RTT)
    for (let t = 1; t <= 13; t++) {
      const expected = cubicWindow(t + rtt / 1000, k, 1000);
      expect(Math.abs(at.get(t * 1000)! - expected)).toBeLessThan(expected * 0.01);
    }
    // concave: growth slows toward W_max; convex: it speeds up past it
    const g = (a: number, b: number) => at.get(b * 1000)! - at.get(a * 1000)!;
    expect(g(1, 2)).toBeGreaterThan(g(3, 4));
    expect(g(3, 4)).toBeGreaterThan(g(6, 7));
    expect(g(10, 11)).toBeLessThan(g(11, 12));
    expect(g(11, 12)).toBeLessThan(g(12, 13));
    expect(at.get(8000)!).toBeLessThan(1000);
    expect(at.get(9000)!).toBeCloseTo(1000, -1);
    expect(at.get(11_000)!).toBeGreaterThan(1000);
    expect(cc.wEst).toBeLessThan(800);
  });

  it('§4.3 Reno-friendly region: with a short RTT the window follows W_est, α_cubic ≈ 0.53 segments per RTT', () => {
    expect(CUBIC_ALPHA).toBeCloseTo((3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA), 12);
    const cc = afterLossAt(10);
    const rtt = 10;
    const k = cubicK(10, 7);
    // four round trips: W_est = 7 + 4α ≈ 9.1 while W_cubic(0.05 s) ≈ 7.2
    drive(cc, 0, 40, rtt);
    expect(cubicWindow(0.05, k, 10)).toBeLessThan(7.5);
    expect(cc.cwnd / MSS).toBeGreaterThan(7 + 4 * CUBIC_ALPHA - 0.6);
    expect(cc.cwnd / MSS).toBeLessThan(7 + 4 * CUBIC_ALPHA + 0.6);
    // past cwnd_prior (10) α is 1: one segment per RTT, far above W_cubic(1 s) ≈ 9.7
    drive(cc, 40, 1000, rtt);
    expect(cubicWindow(1, k, 10)).toBeLessThan(10);
    expect(cc.cwnd / MSS).toBeGreaterThan(60);
    expect(Math.abs(cc.cwnd / MSS - cc.wEst)).toBeLessThan(1);
  });

  it('§4.7 fast convergence: a loss below the previous W_max sets W_max = cwnd·(1+β)/2', () => {
    const cc = afterLossAt(100);
    cc.onCongestion(1000, 70 * MSS, MSS);
    expect(cc.wMax).toBeCloseTo((70 * (1 + CUBIC_BETA)) / 2, 10);
    expect(cc.ssthresh).toBe(49 * MSS);
  });

  it('§4.8 timeout: cwnd = 1 segment, ssthresh by β; the next epoch starts with K = 0 at the window it has', () => {
    const cc = afterLossAt(100);
    cc.cwnd = 80 * MSS;
    cc.onRto(0, 80 * MSS, MSS, true);
    expect(cc.cwnd).toBe(MSS);
    expect(cc.ssthresh).toBe(56 * MSS);
    cc.cwnd = 56 * MSS; // slow start has climbed back to ssthresh
    cc.onAck({ now: 2000, mss: MSS, acked: MSS, rtt: 50, srtt: 50, ack: 0, sndNxt: 0 });
    expect(cc.k).toBe(0);
    expect(cc.wMax).toBeCloseTo(56, 0);
  });

  it('RFC 3465 slow start counts bytes, at most L = 2 segments per ACK', () => {
    const cc = new Cubic();
    cc.cwnd = 10 * MSS;
    cc.onAck({ now: 0, mss: MSS, acked: 5 * MSS, rtt: -1, srtt: 0, ack: 0, sndNxt: 10 * MSS });
    expect(cc.cwnd).toBe(12 * MSS);
    cc.onAck({ now: 0, mss: MSS, acked: 500, rtt: -1, srtt: 0, ack: 500, sndNxt: 10 * MSS });
    expect(cc.cwnd).toBe(12 * MSS + 500);
  });

  it('C is 0.4 and β is 0.7', () => {
    expect(CUBIC_C).toBe(0.4);
    expect(CUBIC_BETA).toBe(0.7);
  });
});
