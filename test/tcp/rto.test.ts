import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtoEstimator } from '../../src/tcp/rto.js';

/** Linux's defaults, as the TCB builds it: min 200 ms, max 120 s, initial 1 s. */
const linux = (): RtoEstimator => new RtoEstimator(200, 120_000, 1000);

describe('RFC 6298 §2 computing the RTO', () => {
  it('§2.1 before any sample the RTO is the initial 1 s', () => {
    const r = linux();
    expect(r.rto).toBe(1000);
    expect(r.hasSample).toBe(false);
  });

  it('§2.2 the first sample R sets SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR', () => {
    const r = linux();
    r.sample(100);
    expect(r.srtt).toBe(100);
    expect(r.rttvar).toBe(50);
    expect(r.rto).toBe(300);
  });

  it('§2.3 a later sample updates RTTVAR (with the old SRTT) before SRTT, beta 1/4, alpha 1/8', () => {
    const r = linux();
    r.sample(100);
    r.sample(200);
    // RTTVAR = 3/4·50 + 1/4·|100 - 200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5
    expect(r.rttvar).toBe(62.5);
    expect(r.srtt).toBe(112.5);
    expect(r.rto).toBe(112.5 + 4 * 62.5);
  });

  it('§2.3 the estimator follows any sample sequence by the RFC formulas', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 30 }), (samples) => {
        const r = new RtoEstimator(1, 1e9, 1000);
        let srtt = samples[0]!;
        let rttvar = samples[0]! / 2;
        for (const [i, s] of samples.entries()) {
          r.sample(s);
          if (i > 0) {
            rttvar = 0.75 * rttvar + 0.25 * Math.abs(srtt - s);
            srtt = 0.875 * srtt + 0.125 * s;
          }
          expect(r.srtt).toBeCloseTo(srtt, 9);
          expect(r.rttvar).toBeCloseTo(rttvar, 9);
          expect(r.rto).toBeCloseTo(srtt + Math.max(1, 4 * rttvar), 9);
        }
      }),
    );
  });

  it('§2.3 clock granularity G = 1 ms bounds the variance term from below', () => {
    const r = new RtoEstimator(1, 120_000, 1000);
    for (let i = 0; i < 200; i++) r.sample(50); // RTTVAR decays towards 0
    expect(r.rto).toBeCloseTo(51, 6);
  });

  it('§2.4 the RTO never falls below the minimum (Linux 200 ms, not the RFC 1 s)', () => {
    const r = linux();
    r.sample(10);
    expect(r.rto).toBe(200);
  });

  it('§2.4 the minimum is tunable (tcp_rto_min_us)', () => {
    const r = new RtoEstimator(50, 120_000, 1000);
    r.sample(10); // 10 + 4·5 = 30
    expect(r.rto).toBe(50);
  });

  it('§2.5 the RTO is capped at the maximum (120 s, tunable via tcp_rto_max_ms)', () => {
    const r = linux();
    r.sample(100_000);
    expect(r.rto).toBe(120_000);
    const small = new RtoEstimator(200, 5000, 1000);
    small.sample(3000);
    expect(small.rto).toBe(5000);
  });
});

describe('RFC 6298 §5 managing the RTO timer', () => {
  it('§5.5 each timeout doubles the RTO, up to the maximum', () => {
    const r = linux();
    const seen = [r.rto];
    for (let i = 0; i < 9; i++) {
      r.backOff();
      seen.push(r.rto);
    }
    expect(seen).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 120_000, 120_000, 120_000]);
  });

  it('§5.5 backoff doubles the estimated RTO, not the initial one', () => {
    const r = linux();
    r.sample(100); // 300
    r.backOff();
    expect(r.rto).toBe(600);
    r.backOff();
    expect(r.rto).toBe(1200);
  });

  it('§5.5 backoff doubles the RTO after the minimum is applied: 200, 400, 800 ms when SRTT + 4·RTTVAR is 60 ms', () => {
    const r = linux();
    r.sample(20); // 20 + 4·10 = 60, raised to 200
    const seen = [r.rto];
    for (let i = 0; i < 3; i++) {
      r.backOff();
      seen.push(r.rto);
    }
    expect(seen).toEqual([200, 400, 800, 1600]);
  });

  it('a new ACK ends the backoff (resetBackoff): the RTO collapses to the estimate', () => {
    const r = linux();
    r.sample(100);
    r.backOff();
    r.backOff();
    r.resetBackoff();
    expect(r.rto).toBe(300);
  });

  it('a new sample also ends the backoff', () => {
    const r = linux();
    r.backOff();
    r.backOff();
    r.sample(100);
    expect(r.rto).toBe(300);
  });

  it('the backoff count stops growing at the maximum, so one reset always collapses it', () => {
    const r = linux();
    for (let i = 0; i < 100; i++) r.backOff();
    expect(r.rto).toBe(120_000);
    expect(r.backoff).toBeLessThan(10);
    r.resetBackoff();
    expect(r.rto).toBe(1000);
  });
});
