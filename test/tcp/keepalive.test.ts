import { describe, expect, it } from 'vitest';
import { type HarnessOptions, type TcbHarness, established } from '../support/tcb-harness.js';

/** ESTABLISHED at t=0 with keepalive switched on (optionally with a custom idle time). */
function keepalive(opts: HarnessOptions = {}, idleMs?: number): TcbHarness {
  const h = established(opts);
  h.tcb.setKeepAlive(true, idleMs, h.now);
  return h;
}

/** `n` probe lines, the first at `first` (script time), then every `every` seconds. */
function probes(n: number, first: string, every: number): string {
  const lines = [`${first} > . 0:0(0) ack 1 <>`];
  for (let i = 1; i < n; i++) lines.push(`+${every} > . 0:0(0) ack 1 <>`);
  return lines.join('\n');
}

describe('RFC 1122 §4.2.3.6 TCP keep-alives', () => {
  it('are off by default: no probe in three hours of idle', () => {
    const h = established();
    h.advance(3 * 3600_000);
    h.expectNothingPending('after three idle hours');
    expect(h.tcb.tKeepalive).toBe(Infinity);
  });

  it('the first probe goes after tcp_keepalive_time (7200 s) idle: <SEQ=SND.UNA-1>, no data, no options', () => {
    const h = keepalive();
    h.advance(7_199_999);
    h.expectNothingPending('before two hours');
    h.run(`0.001 > . 0:0(0) ack 1 <>`);
  });

  it('setKeepAlive with an idle time sets when the first probe goes (60 s)', () => {
    const h = keepalive({}, 60_000);
    h.run(`60 > . 0:0(0) ack 1`);
  });

  it('unanswered, probes repeat every tcp_keepalive_intvl (75 s); after tcp_keepalive_probes (9) a RST and ETIMEDOUT', () => {
    const h = keepalive();
    h.run(`
      ${probes(9, '7200', 75)}
      +75 > R. 1:1(0) ack 1
    `);
    expect(h.now).toBe(7200_000 + 9 * 75_000);
    expect(h.errors).toEqual(['ETIMEDOUT']);
    expect(h.state).toBe('CLOSED');
  });

  it('tcp_keepalive_time, _intvl and _probes are honoured (600 s, 10 s, 3)', () => {
    const h = keepalive({ sysctl: { tcp_keepalive_time: 600, tcp_keepalive_intvl: 10, tcp_keepalive_probes: 3 } });
    h.run(`
      ${probes(3, '600', 10)}
      +10 > R. 1:1(0) ack 1
    `);
    expect(h.errors).toEqual(['ETIMEDOUT']);
  });

  it('an answered probe resets the count: after an answer, a full idle period and nine fresh probes', () => {
    const h = keepalive();
    h.run(`
      ${probes(3, '7200', 75)}
      +1 < . 1:1(0) ack 1 win 65535
    `);
    const answered = h.now;
    h.run(`
      ${probes(9, '7200', 75)}
      +75 > R. 1:1(0) ack 1
    `);
    expect(h.now - answered).toBe(7200_000 + 9 * 75_000);
    expect(h.errors).toEqual(['ETIMEDOUT']);
  });

  it('the idle time counts from the last segment received', () => {
    const h = keepalive();
    h.run(`
      1000      < P. 1:11(10) ack 1 win 65535
      +0.04     > . 1:1(0) ack 11
      8200      > . 0:0(0) ack 11
    `);
  });

  it('setKeepAlive(false) stops the probes', () => {
    const h = keepalive({}, 60_000);
    h.run(`60 > . 0:0(0) ack 1`);
    h.tcb.setKeepAlive(false, undefined, h.now);
    h.advance(3 * 3600_000);
    h.expectNothingPending('with keepalive switched off');
    expect(h.state).toBe('ESTABLISHED');
  });

  it('no probe while data is unacknowledged: the retransmission timer is in charge', () => {
    const h = keepalive({}, 10_000);
    h.write('x'.repeat(100));
    h.advance(120_000);
    const sent = h.pending.splice(0).map((s) => h.fmt(s.seg));
    expect(sent.length).toBeGreaterThan(1);
    expect(new Set(sent)).toEqual(new Set(['P. 1:101(100) ack 1 win 65535']));
  });
});
