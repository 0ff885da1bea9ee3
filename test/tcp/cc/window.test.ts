import { describe, expect, it } from 'vitest';
import { Cubic } from '../../../src/tcp/cc/cubic.js';
import { CSS_GROWTH_DIVISOR, CSS_ROUNDS, HyStartPlusPlus, N_RTT_SAMPLE } from '../../../src/tcp/cc/hystart.js';
import { createCongestionControl } from '../../../src/tcp/cc/index.js';
import { Prr } from '../../../src/tcp/cc/prr.js';
import { Reno } from '../../../src/tcp/cc/reno.js';
import { initialWindow } from '../../../src/tcp/cc/types.js';

const MSS = 1000;
const ack = (now: number, acked: number, extra: Partial<{ rtt: number; ack: number; sndNxt: number }> = {}) => ({
  now,
  mss: MSS,
  acked,
  rtt: extra.rtt ?? -1,
  srtt: 0,
  ack: extra.ack ?? 0,
  sndNxt: extra.sndNxt ?? 0,
});

describe('RFC 5681 / RFC 3465 NewReno window', () => {
  it('slow start grows by the bytes acknowledged, at most 2·SMSS per ACK (L = 2)', () => {
    const cc = new Reno();
    cc.cwnd = 10 * MSS;
    cc.onAck(ack(0, 3 * MSS));
    expect(cc.cwnd).toBe(12 * MSS);
    cc.onAck(ack(0, MSS));
    expect(cc.cwnd).toBe(13 * MSS);
  });

  it('congestion avoidance grows by one SMSS per cwnd of bytes acknowledged, delayed ACKs or not', () => {
    const cc = new Reno();
    cc.cwnd = 10 * MSS;
    cc.ssthresh = 5 * MSS;
    for (let i = 0; i < 4; i++) cc.onAck(ack(0, 2 * MSS)); // 8 segments: not yet a window
    expect(cc.cwnd).toBe(10 * MSS);
    cc.onAck(ack(0, 2 * MSS));
    expect(cc.cwnd).toBe(11 * MSS);
  });

  it('a loss sets ssthresh = max(FlightSize/2, 2·SMSS); recovery ends with cwnd = ssthresh', () => {
    const cc = new Reno();
    cc.cwnd = 20 * MSS;
    cc.onCongestion(0, 20 * MSS, MSS);
    expect(cc.ssthresh).toBe(10 * MSS);
    cc.onRecoveryEnd(0, MSS);
    expect(cc.cwnd).toBe(10 * MSS);
    cc.onCongestion(0, 3 * MSS, MSS);
    expect(cc.ssthresh).toBe(2 * MSS);
  });

  it('a timeout collapses cwnd to 1 SMSS; ssthresh is held on a repeated timeout', () => {
    const cc = new Reno();
    cc.cwnd = 20 * MSS;
    cc.onRto(0, 20 * MSS, MSS, true);
    expect([cc.cwnd, cc.ssthresh]).toEqual([MSS, 10 * MSS]);
    cc.onRto(0, 20 * MSS, MSS, false);
    expect([cc.cwnd, cc.ssthresh]).toEqual([MSS, 10 * MSS]);
  });
});

describe('RFC 6928 initial window and restart after idle (tcp_slow_start_after_idle)', () => {
  it('IW = min(10·MSS, max(2·MSS, 14600))', () => {
    expect(initialWindow(1460)).toBe(14600);
    expect(initialWindow(536)).toBe(5360);
    expect(initialWindow(9000)).toBe(18000);
  });

  it('idle longer than an RTO halves the window per RTO idle, not below the initial window; ssthresh keeps ¾ of it', () => {
    const cc = new Reno();
    cc.cwnd = 100 * MSS;
    cc.ssthresh = 50 * MSS;
    cc.onIdleRestart(0, 350, 100, MSS); // idle 3.5 RTOs: halved for each RTO after the first
    expect(cc.cwnd).toBe(12.5 * MSS);
    expect(cc.ssthresh).toBe(75 * MSS);
    cc.onIdleRestart(0, 10_000, 100, MSS);
    expect(cc.cwnd).toBe(10 * MSS);
  });

  it('a CUBIC epoch is shifted by the idle time, so the curve does not jump', () => {
    const cc = new Cubic();
    cc.cwnd = 50 * MSS;
    cc.ssthresh = 1;
    cc.onAck(ack(1000, MSS));
    expect(cc.epochStart).toBe(1000);
    cc.onIdleRestart(5000, 3000, 1000, MSS);
    expect(cc.epochStart).toBe(4000);
  });
});

describe('tcp_congestion_control names', () => {
  it('cubic and reno create their algorithms', () => {
    expect(createCongestionControl('cubic').name).toBe('cubic');
    expect(createCongestionControl('reno').name).toBe('reno');
  });
});

describe('RFC 9406 HyStart++', () => {
  /** One round of N ACKs, all with the same RTT; round r covers sequence [r·100, (r+1)·100). */
  function round(h: HyStartPlusPlus, r: number, rtt: number, n = N_RTT_SAMPLE): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(h.onAck(r * 100 + i, (r + 1) * 100, rtt));
    return out;
  }

  it('stays in slow start while the RTT is flat', () => {
    const h = new HyStartPlusPlus();
    for (let r = 0; r < 10; r++) expect(round(h, r, 50)).toEqual(Array(N_RTT_SAMPLE).fill(1));
    expect(h.phase).toBe('slow-start');
  });

  it('an RTT rise of at least max(4 ms, min(minRTT/8, 16 ms)) after N_RTT_SAMPLE samples enters CSS (growth ÷ 4)', () => {
    const h = new HyStartPlusPlus();
    round(h, 0, 40);
    // threshold for 40 ms is 5 ms: a 4 ms rise is not enough
    round(h, 1, 44);
    expect(h.phase).toBe('slow-start');
    // the previous round's minimum is now 44: 49 ms crosses 44 + 5.5
    const r = round(h, 2, 50);
    expect(r.slice(0, N_RTT_SAMPLE - 1)).toEqual(Array(N_RTT_SAMPLE - 1).fill(1));
    expect(r[N_RTT_SAMPLE - 1]).toBe(CSS_GROWTH_DIVISOR);
    expect(h.phase).toBe('css');
    expect(h.cssBaselineMinRtt).toBe(50);
  });

  it('CSS_ROUNDS rounds of CSS end slow start', () => {
    const h = new HyStartPlusPlus();
    round(h, 0, 40);
    round(h, 1, 60);
    expect(h.phase).toBe('css');
    for (let r = 2; r < 2 + CSS_ROUNDS - 1; r++) round(h, r, 60);
    expect(h.phase).toBe('css');
    expect(h.onAck((2 + CSS_ROUNDS) * 100, (3 + CSS_ROUNDS) * 100, 60)).toBe(0);
    expect(h.phase).toBe('done');
  });

  it('an RTT below the CSS baseline returns to slow start (the rise was spurious)', () => {
    const h = new HyStartPlusPlus();
    round(h, 0, 40);
    round(h, 1, 60);
    expect(h.phase).toBe('css');
    round(h, 2, 45);
    expect(h.phase).toBe('slow-start');
  });

  it('CUBIC: HyStart++ ends slow start with ssthresh = cwnd, then congestion avoidance', () => {
    const cc = new Cubic();
    cc.cwnd = 10 * MSS;
    let seq = 0;
    let now = 0;
    const roundOf = (rtt: number) => {
      const end = seq + cc.cwnd;
      for (let i = 0; i < 8; i++) {
        cc.onAck({ now, mss: MSS, acked: MSS, rtt, srtt: rtt, ack: seq, sndNxt: end });
        seq += MSS;
      }
      seq = end;
      now += rtt;
    };
    roundOf(40);
    roundOf(40);
    expect(cc.ssthresh).toBe(0x7fffffff);
    roundOf(80); // RTT rise: CSS
    expect(cc.hystart.phase).toBe('css');
    for (let i = 0; i < CSS_ROUNDS; i++) roundOf(80);
    expect(cc.hystart.phase).toBe('done');
    expect(cc.ssthresh).toBeLessThan(0x7fffffff);
    expect(cc.cwnd).toBeGreaterThanOrEqual(cc.ssthresh);
  });
});

describe('RFC 6937 Proportional Rate Reduction', () => {
  it('while pipe > ssthresh, sends ssthresh/RecoverFS of what is delivered (CEIL(prr_delivered·ssthresh/RecoverFS) − prr_out, in segments)', () => {
    const prr = new Prr();
    prr.start(20 * MSS); // ssthresh 10 segments: one segment out per two delivered
    expect(prr.onAck(MSS, 19 * MSS, 10 * MSS, MSS)).toBe(MSS); // the fast retransmit always goes
    prr.onSend(MSS);
    expect(prr.onAck(MSS, 18 * MSS, 10 * MSS, MSS)).toBe(0);
    expect(prr.onAck(MSS, 17 * MSS, 10 * MSS, MSS)).toBe(MSS); // CEIL(3·10/20) − 1 segment
    prr.onSend(MSS);
    expect(prr.onAck(MSS, 16 * MSS, 10 * MSS, MSS)).toBe(0);
    // over the recovery, sent/delivered → ssthresh/RecoverFS = 1/2
    let sent = 2 * MSS;
    for (let i = 0; i < 16; i++) {
      const n = prr.onAck(MSS, 15 * MSS, 10 * MSS, MSS);
      const whole = Math.floor(n / MSS) * MSS;
      prr.onSend(whole);
      sent += whole;
    }
    expect(sent).toBe(10 * MSS);
  });

  it('PRR-SSRB: once pipe ≤ ssthresh, grows back toward ssthresh by at most delivered + 1 MSS per ACK', () => {
    const prr = new Prr();
    prr.start(20 * MSS);
    prr.onSend(MSS);
    // heavy losses took the pipe to 4 segments; an ACK delivers 1: up to 2 may go, not 6
    expect(prr.onAck(MSS, 4 * MSS, 10 * MSS, MSS)).toBe(2 * MSS);
    // never beyond ssthresh − pipe
    expect(prr.onAck(5 * MSS, 9 * MSS, 10 * MSS, MSS)).toBe(MSS);
  });
});
