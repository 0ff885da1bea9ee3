/**
 * RFC 5961 §7 ACK throttling, as Linux does it (src/tcp/ack-throttle.ts): per connection one ACK
 * for invalid segments (out of window, PAWS, challenges) per tcp_invalid_ratelimit (500 ms), and
 * a per-stack tcp_challenge_ack_limit (off by default since Linux 6.0). Issue 10: a blind sweep
 * drew 136,074 ACKs a second at each end before.
 */
import { describe, expect, it } from 'vitest';
import { CHALLENGE_ACK_UNLIMITED, TcpNetns } from '../../src/tcp/ack-throttle.js';
import { SYSCTL_DEFAULTS, applySysctl } from '../../src/tcp/sysctl.js';
import { established } from '../support/tcb-harness.js';

describe("Linux's defaults: tcp_invalid_ratelimit 500 ms, tcp_challenge_ack_limit INT_MAX (Linux ≥ 6.0)", () => {
  it('defaults and validation', () => {
    expect(SYSCTL_DEFAULTS.tcp_invalid_ratelimit).toBe(500);
    expect(SYSCTL_DEFAULTS.tcp_challenge_ack_limit).toBe(CHALLENGE_ACK_UNLIMITED);
    expect(applySysctl(SYSCTL_DEFAULTS, { 'net.ipv4.tcp_challenge_ack_limit': '1000' }).tcp_challenge_ack_limit).toBe(1000);
    expect(() => applySysctl(SYSCTL_DEFAULTS, { tcp_invalid_ratelimit: -1 })).toThrow(/tcp_invalid_ratelimit: out of range/);
    expect(() => applySysctl(SYSCTL_DEFAULTS, { tcp_challenge_ack_limit: 2 ** 31 })).toThrow(/out of range/);
  });
});

describe('tcp_invalid_ratelimit: one challenge ACK per connection per 500 ms (Linux __tcp_oow_rate_limited)', () => {
  it('a second in-window RST within 500 ms draws nothing; one 500 ms after the first ACK draws a challenge ACK again', () => {
    const h = established();
    h.run(`
      +0.1  < R 1001:1001(0) win 0
      +0    > . 1:1(0) ack 1
      +0.1  < R 2001:2001(0) win 0
      +0.39 < R 3001:3001(0) win 0
      +0.01 < R 4001:4001(0) win 0
      +0    > . 1:1(0) ack 1
    `);
    expect(h.tcb.stats.challengeAcks).toBe(2);
    expect(h.tcb.netns.mib.TCPACKSkippedChallenge).toBe(2);
    expect(h.tcb.netns.mib.TCPChallengeACK).toBe(2);
    expect(h.state).toBe('ESTABLISHED');
  });

  it('SYNs and RSTs share the one budget; an ACK of data never sent (RFC 5961 §5.2) too', () => {
    const h = established();
    h.run(`
      +0.1  < S 500:500(0) win 65535 <mss 1460>
      +0    > . 1:1(0) ack 1
      +0    < R 600:600(0) win 0
      +0    < . 1:1(0) ack 90000 win 65535
      +0.5  < . 1:1(0) ack 90000 win 65535
      +0    > . 1:1(0) ack 1
    `);
    expect(h.tcb.netns.mib.TCPSYNChallenge).toBe(1);
    expect(h.tcb.netns.mib.TCPACKSkippedChallenge).toBe(2);
  });

  it('a SYN outside the window is challenged like one inside it (RFC 5961 §4.2, Linux syn_challenge)', () => {
    const h = established();
    h.run(`
      +0.1 < S 900000:900000(0) win 65535 <mss 1460>
      +0   > . 1:1(0) ack 1
    `);
    expect(h.tcb.stats.challengeAcks).toBe(1);
    expect(h.tcb.netns.mib.TCPSYNChallenge).toBe(1);
  });

  it('tcp_invalid_ratelimit = 0 turns the per-connection limit off', () => {
    const h = established({ sysctl: { tcp_invalid_ratelimit: 0 } });
    h.run(`
      +0.1 < R 1001:1001(0) win 0
      +0   > . 1:1(0) ack 1
      +0   < R 2001:2001(0) win 0
      +0   > . 1:1(0) ack 1
    `);
    expect(h.tcb.stats.challengeAcks).toBe(2);
  });
});

describe('RFC 9293 §3.10.7.4 ACKs for unacceptable segments, throttled (RFC 5961 §7)', () => {
  it('pure ACKs outside the window draw one ACK per 500 ms (TCPACKSkippedSeq)', () => {
    const h = established();
    h.run(`
      +0.1  < . 200000:200000(0) ack 1 win 65535
      +0    > . 1:1(0) ack 1
      +0.1  < . 300000:300000(0) ack 1 win 65535
      +0.1  < . 400000:400000(0) ack 1 win 65535
      +0.3  < . 500000:500000(0) ack 1 win 65535
      +0    > . 1:1(0) ack 1
    `);
    expect(h.tcb.netns.mib.TCPACKSkippedSeq).toBe(2);
  });

  it('data wholly below RCV.NXT (a retransmission whose ACK was lost) is always acknowledged', () => {
    const h = established();
    h.run(`
      +0    < P. 1:1001(1000) ack 1 win 65535
      +0.04 > . 1:1(0) ack 1001
      +0.1  < P. 1:1001(1000) ack 1 win 65535
      +0    > . 1:1(0) ack 1001
      +0    < P. 1:1001(1000) ack 1 win 65535
      +0    > . 1:1(0) ack 1001
      +0    < P. 501:1001(500) ack 1 win 65535
      +0    > . 1:1(0) ack 1001
    `);
    expect(h.tcb.netns.mib.TCPACKSkippedSeq).toBe(0);
  });

  it('data beyond the right edge of the window (no real sender sends it) is throttled like any invalid segment', () => {
    const h = established();
    h.run(`
      +0.1 < P. 300001:301001(1000) ack 1 win 65535
      +0   > . 1:1(0) ack 1
      +0   < P. 600001:601001(1000) ack 1 win 65535
      +0   < P. 900001:901001(1000) ack 1 win 65535
    `);
    expect(h.tcb.netns.mib.TCPACKSkippedSeq).toBe(2);
  });

  it('the zero-window probe carrying a byte at RCV.NXT still gets its ACK every time (it is acceptable)', () => {
    const h = established({ rcvBuf: 1000 });
    h.run(`
      +0    < P. 1:1001(1000) ack 1 win 65535
      +0.04 > . 1:1(0) ack 1001 win 0
      +0.2  < . 1001:1002(1) ack 1 win 65535
      +0    > . 1:1(0) ack 1001 win 0
      +0.2  < . 1001:1002(1) ack 1 win 65535
      +0    > . 1:1(0) ack 1001 win 0
    `);
  });
});

describe('tcp_challenge_ack_limit: a host-wide budget of challenge ACKs a second, randomised as Linux', () => {
  it('INT_MAX (the default) never refuses', () => {
    const ns = new TcpNetns();
    for (let i = 0; i < 10_000; i++) expect(ns.takeChallenge(0, CHALLENGE_ACK_UNLIMITED)).toBe(true);
  });

  it('with limit 1000, each second allows between 500 and 1499 (a uniform draw from [limit/2, limit*3/2))', () => {
    const ns = new TcpNetns(undefined, 12345);
    const perSecond: number[] = [];
    for (let s = 0; s < 50; s++) {
      let n = 0;
      for (let i = 0; i < 3000; i++) if (ns.takeChallenge(s * 1000 + i / 10, 1000)) n++;
      perSecond.push(n);
    }
    expect(Math.min(...perSecond)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...perSecond)).toBeLessThanOrEqual(1499);
    // not one fixed number: the count an attacker observes does not reveal the budget exactly
    expect(new Set(perSecond).size).toBeGreaterThan(10);
  });

  it('connections of one stack share it: the second connection finds it spent', () => {
    const netns = new TcpNetns();
    const limit = { tcp_challenge_ack_limit: 1 };
    const a = established({ sysctl: limit });
    const b = established({ sysctl: limit });
    (a.tcb as { netns: TcpNetns }).netns = netns;
    (b.tcb as { netns: TcpNetns }).netns = netns;
    a.run(`
      +0.1 < R 1001:1001(0) win 0
      +0   > . 1:1(0) ack 1
    `);
    b.now = a.now;
    b.run(`+0 < R 1001:1001(0) win 0`);
    expect(a.tcb.stats.challengeAcks + b.tcb.stats.challengeAcks).toBe(1);
    expect(netns.mib.TCPACKSkippedChallenge).toBe(1);
  });
});

describe('sysctl validation for the throttles', () => {
  it('unknown near-misses are refused with a suggestion', () => {
    expect(() => applySysctl(SYSCTL_DEFAULTS, { tcp_invalid_rate_limit: 100 })).toThrow(/did you mean tcp_invalid_ratelimit/);
  });
});
