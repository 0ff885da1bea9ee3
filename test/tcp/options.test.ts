/**
 * Options negotiated on the SYNs: MSS (RFC 9293 §3.7.1), window scale, timestamps and PAWS
 * (RFC 7323), SACK-permitted (RFC 2018). Each is proved by the segments that go out afterwards.
 */
import { describe, expect, it } from 'vitest';
import { TcbHarness, listening, synSent, type HarnessOptions } from '../support/tcb-harness.js';

/** Passive open with every option on both sides, TSval 700 on the SYN and 750 on the final ACK. */
function establishedWithOptions(opts?: HarnessOptions): TcbHarness {
  const h = listening(opts);
  h.run(`
    0     < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7>
    +0    > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 0 ecr 700,nop,wscale 7>
    +0.05 < . 1:1(0) ack 1 win 2048 <TS val 750 ecr 0>
  `);
  return h;
}

describe('RFC 9293 §3.7.1 maximum segment size', () => {
  it('the peer\'s MSS below ours bounds our segments: MSS 1000 → 1000-byte segments', () => {
    const h = listening({ noDelay: true });
    h.run(`
      0     < S 0:0(0) win 65535 <mss 1000>
      +0    > S. 0:0(0) ack 1 <mss 1460>
      +0.05 < . 1:1(0) ack 1 win 65535
    `);
    expect(h.tcb.sndMss).toBe(1000);
    h.write('m'.repeat(2500));
    h.run(`
      +0 > . 1:1001(1000) ack 1
      +0 > . 1001:2001(1000) ack 1
      +0 > P. 2001:2501(500) ack 1
    `);
  });

  it('our MSS below the peer\'s bounds our segments too: min(1200, 1460) = 1200', () => {
    const h = listening({ mss: 1200, noDelay: true });
    h.run(`
      0     < S 0:0(0) win 65535 <mss 1460>
      +0    > S. 0:0(0) ack 1 <mss 1200>
      +0.05 < . 1:1(0) ack 1 win 65535
    `);
    h.write('m'.repeat(2500));
    h.run(`
      +0 > . 1:1201(1200) ack 1
      +0 > . 1201:2401(1200) ack 1
      +0 > P. 2401:2501(100) ack 1
    `);
  });

  it('with timestamps on, 12 bytes of every segment go to the option: MSS 1000 → 988-byte segments', () => {
    const h = listening({ noDelay: true });
    h.run(`
      0     < S 0:0(0) win 65535 <mss 1000,TS val 700 ecr 0>
      +0    > S. 0:0(0) ack 1 <mss 1460,TS val 0 ecr 700>
      +0.05 < . 1:1(0) ack 1 win 65535 <TS val 750 ecr 0>
    `);
    expect(h.tcb.sndMss).toBe(988);
    h.write('m'.repeat(2000));
    h.run(`
      +0 > . 1:989(988) ack 1 <TS val 50 ecr 750>
      +0 > . 989:1977(988) ack 1 <TS val 50 ecr 750>
      +0 > P. 1977:2001(24) ack 1 <TS val 50 ecr 750>
    `);
  });

  it('no MSS option from the peer → 536 bytes (the default), even though ours is 1460', () => {
    const h = listening({ noDelay: true });
    h.run(`
      0     < S 0:0(0) win 65535
      +0    > S. 0:0(0) ack 1 win 65535 <mss 1460>
      +0.05 < . 1:1(0) ack 1 win 65535
    `);
    expect(h.tcb.sndMss).toBe(536);
    h.write('m'.repeat(1200));
    h.run(`
      +0 > . 1:537(536) ack 1
      +0 > . 537:1073(536) ack 1
      +0 > P. 1073:1201(128) ack 1
    `);
  });

  it('active open: our SYN carries our MSS, and the SYN-ACK\'s (less the TS option) bounds what we send', () => {
    const h = new TcbHarness({ mss: 1200, noDelay: true });
    h.connect();
    h.run(`
      0     > S 0:0(0) win 65535 <mss 1200,sackOK,TS val 0 ecr 0,nop,wscale 7>
      +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1000,TS val 700 ecr 0>
      +0    > . 1:1(0) ack 1 <TS val 50 ecr 700>
    `);
    h.write('m'.repeat(1000));
    h.run(`
      +0 > . 1:989(988) ack 1 <TS val 50 ecr 700>
      +0 > P. 989:1001(12) ack 1 <TS val 50 ecr 700>
    `);
  });
});

describe('RFC 7323 §2 window scale', () => {
  it('both SYNs carry it: the peer\'s windows are scaled after the handshake, never on its SYN', () => {
    const h = listening();
    h.run(`
      0  < S 0:0(0) win 1000 <mss 1460,wscale 2>
      +0 > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 7>
    `);
    expect(h.tcb.sndWnd).toBe(1000);
    h.run(`+0.05 < . 1:1(0) ack 1 win 1000`);
    expect(h.tcb.sndWnd).toBe(4000);
    expect(h.tcb.sndWscale).toBe(2);
  });

  it('both SYNs carry it: our SYN-ACK\'s window is not scaled, our later windows are (65536 >> 7 = 512 until data grows the offer)', () => {
    const h = listening({ noDelay: true });
    h.run(`
      0     < S 0:0(0) win 65535 <mss 1460,wscale 2>
      +0    > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 7>
      +0.05 < . 1:1(0) ack 1 win 65535
    `);
    h.write('hi');
    h.run(`+0 > P. 1:3(2) ack 1 win 512`);
    expect(h.tcb.rcvWscale).toBe(7);
  });

  it('the peer\'s SYN has none: no wscale in our SYN-ACK, no scaling either way (our window caps at 65535)', () => {
    const h = listening({ noDelay: true });
    h.run(`
      0     < S 0:0(0) win 65535 <mss 1460>
      +0    > S. 0:0(0) ack 1 win 65535 <mss 1460>
      +0.05 < . 1:1(0) ack 1 win 1000
    `);
    expect(h.tcb.sndWnd).toBe(1000);
    h.write('hi');
    h.run(`+0 > P. 1:3(2) ack 1 win 65535`);
    expect([h.tcb.sndWscale, h.tcb.rcvWscale]).toEqual([0, 0]);
  });

  it('active open, the SYN-ACK has none though our SYN offered it: no scaling either way', () => {
    const h = synSent();
    h.run(`
      +0.05 < S. 0:0(0) ack 1 win 1000 <mss 1460>
      +0    > . 1:1(0) ack 1 win 65535
      +0.05 < . 1:1(0) ack 1 win 1000
    `);
    expect(h.tcb.sndWnd).toBe(1000);
    expect([h.tcb.sndWscale, h.tcb.rcvWscale]).toEqual([0, 0]);
  });

  it('active open, both offered: the SYN-ACK\'s window unscaled, the next one scaled, ours 512 (65536 >> 7)', () => {
    const h = synSent();
    h.run(`
      +0.05 < S. 0:0(0) ack 1 win 1000 <mss 1460,wscale 3>
      +0    > . 1:1(0) ack 1 win 512
    `);
    expect(h.tcb.sndWnd).toBe(1000);
    h.run(`+0.05 < . 1:1(0) ack 1 win 1000`);
    expect(h.tcb.sndWnd).toBe(8000);
  });

  it('a shift above 14 is used as 14 (§2.3)', () => {
    const h = listening();
    h.run(`
      0     < S 0:0(0) win 65535 <mss 1460,wscale 15>
      +0    > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 7>
      +0.05 < . 1:1(0) ack 1 win 3
    `);
    expect(h.tcb.sndWscale).toBe(14);
    expect(h.tcb.sndWnd).toBe(3 << 14);
  });

  it('tcp_window_scaling=0: our SYN offers none, and a peer\'s offer is not taken', () => {
    const a = new TcbHarness({ sysctl: { tcp_window_scaling: 0 } });
    a.connect();
    a.run(`0 > S 0:0(0) win 65535 <mss 1460,sackOK,TS val 0 ecr 0>`);
    const p = listening({ sysctl: { tcp_window_scaling: 0 } });
    p.run(`
      0     < S 0:0(0) win 65535 <mss 1460,wscale 7>
      +0    > S. 0:0(0) ack 1 win 65535 <mss 1460>
      +0.05 < . 1:1(0) ack 1 win 1000
    `);
    expect(p.tcb.sndWnd).toBe(1000);
  });
});

describe('RFC 7323 §3–§4 timestamps', () => {
  it('negotiated when both SYNs carry TS: every later segment carries TSval and echoes the peer\'s latest TSval', () => {
    const h = establishedWithOptions({ noDelay: true });
    expect(h.tcb.tsOk).toBe(true);
    h.write('hello');
    h.run(`
      +0    > P. 1:6(5) ack 1 <TS val 50 ecr 750>
      +0.05 < P. 1:11(10) ack 6 win 2048 <TS val 800 ecr 50>
      +0.04 > . 6:6(0) ack 11 <TS val 140 ecr 800>
    `);
  });

  it('TS.Recent is taken only from a segment that covers Last.ACK.sent (§4.3): an out-of-order TSval is not echoed', () => {
    const h = establishedWithOptions();
    h.run(`
      +0.05 < P. 11:21(10) ack 1 win 2048 <TS val 900 ecr 0>
      +0    > . 1:1(0) ack 1 <TS val 100 ecr 750,sack 11:21>
      +0.01 < P. 1:11(10) ack 1 win 2048 <TS val 910 ecr 0>
      +0    > . 1:1(0) ack 21 <TS val 110 ecr 910>
    `);
  });

  it('the peer\'s SYN has no TS: none in our SYN-ACK nor in any later segment', () => {
    const h = listening({ noDelay: true });
    h.run(`
      0     < S 0:0(0) win 65535 <mss 1460,sackOK>
      +0    > S. 0:0(0) ack 1 <mss 1460,sackOK>
      +0.05 < . 1:1(0) ack 1 win 65535
    `);
    h.write('hi');
    h.run(`+0 > P. 1:3(2) ack 1 <>`);
    expect(h.tcb.tsOk).toBe(false);
  });

  it('active open, the SYN-ACK has no TS though our SYN offered it: our ACK carries none', () => {
    const h = synSent();
    h.run(`
      +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,nop,wscale 7>
      +0    > . 1:1(0) ack 1 win 512 <>
    `);
    expect(h.tcb.tsOk).toBe(false);
  });

  it('tcp_timestamps=0: our SYN offers none, and our SYN-ACK ignores a peer\'s offer', () => {
    const a = new TcbHarness({ sysctl: { tcp_timestamps: 0 } });
    a.connect();
    a.run(`0 > S 0:0(0) win 65535 <mss 1460,sackOK,nop,wscale 7>`);
    const p = listening({ sysctl: { tcp_timestamps: 0 } });
    p.run(`
      0  < S 0:0(0) win 65535 <mss 1460,TS val 700 ecr 0>
      +0 > S. 0:0(0) ack 1 <mss 1460>
    `);
  });
});

describe('RFC 7323 §5 PAWS', () => {
  it('a segment whose TSval is older than TS.Recent is dropped with an ACK; its data is not taken', () => {
    const h = establishedWithOptions();
    h.run(`
      +0.05 < P. 1:11(10) ack 1 win 2048 <TS val 600 ecr 0>
      +0    > . 1:1(0) ack 1 <TS val 100 ecr 750>
    `);
    expect(h.tcb.readable).toBe(0);
    expect(h.tcb.rcvNxt).toBe((h.base.remoteIss + 1) >>> 0);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED');
  });

  it('a TSval equal to TS.Recent is not old: the data is taken', () => {
    const h = establishedWithOptions();
    h.run(`
      +0.05 < P. 1:11(10) ack 1 win 2048 <TS val 750 ecr 0>
      +0.04 > . 1:1(0) ack 11 <TS val 140 ecr 750>
    `);
    expect(h.tcb.readable).toBe(10);
  });

  it('TSvals compare modulo 2^32: one that wrapped past 0 is newer', () => {
    const h = listening();
    h.run(`
      0     < S 0:0(0) win 65535 <mss 1460,TS val ${0xfffffff0} ecr 0>
      +0    > S. 0:0(0) ack 1 <mss 1460,TS val 0 ecr ${0xfffffff0}>
      +0.05 < . 1:1(0) ack 1 win 65535 <TS val ${0xfffffffa} ecr 0>
      +0.05 < P. 1:11(10) ack 1 win 65535 <TS val 4 ecr 0>
      +0.04 > . 1:1(0) ack 11 <TS val 140 ecr 4>
    `);
    expect(h.tcb.readable).toBe(10);
  });

  it('a RST is exempt from PAWS (§5.3 R1): an exact RST with an old TSval resets', () => {
    const h = establishedWithOptions();
    h.run(`+0.05 < R 1:1(0) win 0 <TS val 1 ecr 0>`);
    h.expectPath('CLOSED', 'LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'CLOSED');
    expect(h.errors).toEqual(['ECONNRESET']);
  });

  it('a TS.Recent idle for more than 24 days is no longer used (§5.5): an old TSval is accepted', () => {
    const h = establishedWithOptions();
    const day25 = 25 * 24 * 3600 * 1000;
    h.advance(day25);
    // times in this script count from its start (25 days on)
    h.run(`
      0    < P. 1:11(10) ack 1 win 2048 <TS val 600 ecr 0>
      0.04 > . 1:1(0) ack 11 <TS val ${day25 + 90} ecr 600>
    `);
    expect(h.tcb.readable).toBe(10);
  });
});

describe('RFC 2018 SACK-permitted', () => {
  it('both SYNs carry sackOK: an out-of-order segment is answered with a SACK block', () => {
    const h = listening();
    h.run(`
      0     < S 0:0(0) win 65535 <mss 1460,sackOK>
      +0    > S. 0:0(0) ack 1 <mss 1460,sackOK>
      +0.05 < . 1:1(0) ack 1 win 65535
      +0.05 < P. 11:21(10) ack 1 win 65535
      +0    > . 1:1(0) ack 1 <sack 11:21>
    `);
    expect(h.tcb.sackOk).toBe(true);
  });

  it('the peer\'s SYN has no sackOK: none in our SYN-ACK, and duplicate ACKs carry no SACK blocks', () => {
    const h = listening();
    h.run(`
      0     < S 0:0(0) win 65535 <mss 1460>
      +0    > S. 0:0(0) ack 1 <mss 1460>
      +0.05 < . 1:1(0) ack 1 win 65535
      +0.05 < P. 11:21(10) ack 1 win 65535
      +0    > . 1:1(0) ack 1 <>
    `);
    expect(h.tcb.sackOk).toBe(false);
  });

  it('active open, the SYN-ACK has no sackOK though our SYN offered it: no SACK blocks', () => {
    const h = synSent();
    h.run(`
      +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>
      +0    > . 1:1(0) ack 1
      +0.05 < P. 11:21(10) ack 1 win 65535
      +0    > . 1:1(0) ack 1 <>
    `);
    expect(h.tcb.sackOk).toBe(false);
  });

  it('tcp_sack=0: our SYN offers no sackOK, and our SYN-ACK ignores a peer\'s offer', () => {
    const a = new TcbHarness({ sysctl: { tcp_sack: 0 } });
    a.connect();
    a.run(`0 > S 0:0(0) win 65535 <mss 1460,TS val 0 ecr 0,nop,wscale 7>`);
    const p = listening({ sysctl: { tcp_sack: 0 } });
    p.run(`
      0  < S 0:0(0) win 65535 <mss 1460,sackOK>
      +0 > S. 0:0(0) ack 1 <mss 1460>
    `);
    expect(p.tcb.sackOk).toBe(false);
  });
});
