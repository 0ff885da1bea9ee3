import { describe, expect, it } from 'vitest';
import type { SynackError } from '../../src/errors.js';
import { SYSCTL_DEFAULTS, applySysctl, parseSysctlAssignment, sysctlKey } from '../../src/tcp/sysctl.js';

/** The error `fn` throws (failing the test if it throws none). */
function thrown(fn: () => unknown): SynackError {
  try {
    fn();
  } catch (e) {
    return e as SynackError;
  }
  throw new Error('expected an error');
}

const apply = (changes: Record<string, unknown>) => applySysctl(SYSCTL_DEFAULTS, changes);

describe('sysctl: Linux names and defaults', () => {
  it('defaults are Linux’s (keepalive 7200/75/9, retries2 15, rto 200 ms..120 s)', () => {
    expect(SYSCTL_DEFAULTS.tcp_keepalive_time).toBe(7200);
    expect(SYSCTL_DEFAULTS.tcp_keepalive_intvl).toBe(75);
    expect(SYSCTL_DEFAULTS.tcp_keepalive_probes).toBe(9);
    expect(SYSCTL_DEFAULTS.tcp_retries2).toBe(15);
    expect(SYSCTL_DEFAULTS.tcp_rto_min_us).toBe(200_000);
    expect(SYSCTL_DEFAULTS.tcp_rto_max_ms).toBe(120_000);
  });

  it('a valid change yields a new frozen object and leaves the base untouched', () => {
    const s = apply({ tcp_keepalive_time: 60 });
    expect(s.tcp_keepalive_time).toBe(60);
    expect(SYSCTL_DEFAULTS.tcp_keepalive_time).toBe(7200);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('the net.ipv4. and net.core. prefixes (dotted or slashed) are accepted', () => {
    expect(apply({ 'net.ipv4.tcp_keepalive_time': 60 }).tcp_keepalive_time).toBe(60);
    expect(apply({ 'net.core.somaxconn': 128 }).somaxconn).toBe(128);
    expect(apply({ 'net/ipv4/tcp_fin_timeout': 30 }).tcp_fin_timeout).toBe(30);
    expect(sysctlKey('net.ipv4.tcp_sack')).toBe('tcp_sack');
  });

  it('values may be given as text, as sysctl -w takes them', () => {
    expect(apply({ tcp_retries2: '8' }).tcp_retries2).toBe(8);
    expect(apply({ tcp_rmem: '4096 131072 6291456' }).tcp_rmem).toEqual([4096, 131072, 6291456]);
    expect(parseSysctlAssignment('net.ipv4.tcp_retries2 = 8')).toEqual(['net.ipv4.tcp_retries2', '8']);
  });

  it('array settings take arrays of the right length', () => {
    expect(apply({ tcp_wmem: [4096, 16384, 4194304] }).tcp_wmem).toEqual([4096, 16384, 4194304]);
    expect(apply({ ip_local_port_range: [1024, 65535] }).ip_local_port_range).toEqual([1024, 65535]);
  });
});

describe('sysctl: validation errors carry a code and say what is allowed', () => {
  it('an unknown name is refused with a suggestion of the nearest known one', () => {
    const e = thrown(() => apply({ tcp_keepalive_tme: 60 }));
    expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(e.message).toContain('unknown setting');
    expect(e.message).toContain('did you mean tcp_keepalive_time?');
  });

  it('an unknown name behind the net.ipv4. prefix still gets a suggestion', () => {
    const e = thrown(() => apply({ 'net.ipv4.tcp_retries': 5 }));
    expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(e.message).toMatch(/did you mean tcp_retries2\?/);
  });

  it('a name far from every known one gets no suggestion', () => {
    const e = thrown(() => apply({ completely_unrelated_knob: 1 }));
    expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(e.message).not.toContain('did you mean');
  });

  it('an Object.prototype name (constructor, toString, __proto__) is an unknown setting', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      const e = thrown(() => apply({ [name]: 1 }));
      expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(e.message).toContain('unknown setting');
    }
    const proto = thrown(() => applySysctl(SYSCTL_DEFAULTS, JSON.parse('{"__proto__": 1}') as Record<string, unknown>));
    expect(proto.message).toContain('unknown setting');
  });

  it('out of range is refused with the allowed range', () => {
    const e = thrown(() => apply({ tcp_keepalive_probes: 0 }));
    expect(e.code).toBe('ERR_OUT_OF_RANGE');
    expect(e.message).toContain('tcp_keepalive_probes');
    expect(e.message).toContain('from 1 to 127');
    expect(thrown(() => apply({ tcp_rto_max_ms: 120_001 })).code).toBe('ERR_OUT_OF_RANGE');
  });

  it('a non-integer number is out of range', () => {
    expect(thrown(() => apply({ tcp_retries2: 1.5 })).code).toBe('ERR_OUT_OF_RANGE');
  });

  it('the wrong type (boolean, object, non-numeric text) is refused as a type error', () => {
    for (const v of [true, {}, 'fast', null, [5]]) {
      const e = thrown(() => apply({ tcp_sack: v }));
      expect(e.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(e.message).toContain('tcp_sack');
    }
  });

  it('an array setting given the wrong number of values is a type error', () => {
    const e = thrown(() => apply({ tcp_rmem: [4096, 87380] }));
    expect(e.code).toBe('ERR_INVALID_ARG_TYPE');
    expect(e.message).toContain('3 integers');
    expect(thrown(() => apply({ tcp_rmem: 4096 })).code).toBe('ERR_INVALID_ARG_TYPE');
  });

  it('an array setting out of order or out of range is refused', () => {
    const e = thrown(() => apply({ tcp_rmem: [8192, 4096, 6291456] }));
    expect(e.code).toBe('ERR_OUT_OF_RANGE');
    expect(e.message).toContain('min <= default <= max');
    expect(thrown(() => apply({ ip_local_port_range: [60000, 1024] })).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => apply({ tcp_wmem: [0, 16384, 4194304] })).code).toBe('ERR_OUT_OF_RANGE');
  });

  it('tcp_tw_recycle is refused with the Linux 4.12 / NAT explanation', () => {
    for (const name of ['tcp_tw_recycle', 'net.ipv4.tcp_tw_recycle']) {
      const e = thrown(() => apply({ [name]: 1 }));
      expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(e.message).toContain('Linux 4.12');
      expect(e.message).toContain('NAT');
      expect(e.message).toContain('tcp_tw_reuse');
    }
  });

  it('a malformed NAME=VALUE assignment is refused with a code', () => {
    expect(thrown(() => parseSysctlAssignment('tcp_retries2')).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(thrown(() => parseSysctlAssignment('=5')).code).toBe('ERR_INVALID_ARG_VALUE');
  });
});
