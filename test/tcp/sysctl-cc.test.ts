import { describe, expect, it } from 'vitest';
import type { SynackError } from '../../src/errors.js';
import { SYSCTL_DEFAULTS, applySysctl } from '../../src/tcp/sysctl.js';

function thrown(fn: () => unknown): SynackError {
  try {
    fn();
  } catch (e) {
    return e as SynackError;
  }
  throw new Error('expected an error');
}
const apply = (changes: Record<string, unknown>) => applySysctl(SYSCTL_DEFAULTS, changes);

describe('sysctl: loss recovery and congestion control, Linux names and defaults', () => {
  it('defaults are Linux’s: cubic, RACK (tcp_recovery 1), TLP (tcp_early_retrans 3), slow start after idle, D-SACK', () => {
    expect(SYSCTL_DEFAULTS.tcp_congestion_control).toBe('cubic');
    expect(SYSCTL_DEFAULTS.tcp_recovery).toBe(1);
    expect(SYSCTL_DEFAULTS.tcp_early_retrans).toBe(3);
    expect(SYSCTL_DEFAULTS.tcp_slow_start_after_idle).toBe(1);
    expect(SYSCTL_DEFAULTS.tcp_dsack).toBe(1);
  });

  it('tcp_congestion_control takes an algorithm name, with the net.ipv4. prefix and surrounding spaces too', () => {
    expect(apply({ tcp_congestion_control: 'reno' }).tcp_congestion_control).toBe('reno');
    expect(apply({ 'net.ipv4.tcp_congestion_control': ' cubic ' }).tcp_congestion_control).toBe('cubic');
  });

  it('an algorithm synack does not have is refused, naming the ones it has', () => {
    const e = thrown(() => apply({ tcp_congestion_control: 'bbr' }));
    expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(e.message).toBe('sysctl tcp_congestion_control: unknown algorithm "bbr"; allowed: one of cubic, reno');
  });

  it('a number is refused for tcp_congestion_control with ERR_INVALID_ARG_TYPE', () => {
    const e = thrown(() => apply({ tcp_congestion_control: 1 }));
    expect(e.code).toBe('ERR_INVALID_ARG_TYPE');
    expect(e.message).toContain('expected one of cubic, reno');
  });

  it('tcp_recovery takes the bits 0..7, tcp_early_retrans 0..4; beyond is ERR_OUT_OF_RANGE', () => {
    expect(apply({ tcp_recovery: 5 }).tcp_recovery).toBe(5);
    expect(thrown(() => apply({ tcp_recovery: 8 })).code).toBe('ERR_OUT_OF_RANGE');
    expect(apply({ tcp_early_retrans: 0 }).tcp_early_retrans).toBe(0);
    expect(thrown(() => apply({ tcp_early_retrans: 5 })).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => apply({ tcp_slow_start_after_idle: 2 })).code).toBe('ERR_OUT_OF_RANGE');
  });
});
