/**
 * The sysctl surface on a running stack: `stack.setSysctl` validates like creation does, applies
 * to what happens next, and refuses a bad value or an unknown name with an error naming the key,
 * leaving the settings as they were.
 */
import { describe, expect, it } from 'vitest';
import type { SynackError } from '../../src/errors.js';
import { SimNetwork, Stack, VirtualClock } from '../../src/index.js';
import { SYN, decode } from './helpers.js';

function thrown(fn: () => unknown): SynackError {
  try {
    fn();
  } catch (e) {
    return e as SynackError;
  }
  throw new Error('expected an error');
}

/** Connect to an address nobody answers; resolve with the SYN send times and the error. */
async function connectIntoTheVoid(net: SimNetwork, c: Stack) {
  const syns: number[] = [];
  c.on('packet', (p: Uint8Array) => {
    if (decode(p).seg.flags & SYN) syns.push(net.now());
  });
  const start = net.now();
  const sock = c.net.connect(80, '10.0.0.99');
  let err: (NodeJS.ErrnoException & { at: number }) | undefined;
  sock.on('error', (e: NodeJS.ErrnoException) => (err = Object.assign(e, { at: net.now() - start })));
  await net.runUntil(() => err !== undefined, 300_000);
  return { syns: syns.map((t) => t - start), err };
}

describe('Linux sysctl at run time: setSysctl applies to what happens next', () => {
  it('tcp_syn_retries = 2 set at run time: the next connect sends 3 SYNs (0, 1, 3 s) and fails with ETIMEDOUT at 7 s', async () => {
    const net = new SimNetwork({ seed: 40 });
    const c = net.host('10.0.0.1');
    expect(c.sysctl.tcp_syn_retries).toBe(6);
    c.setSysctl({ tcp_syn_retries: 2 });
    expect(c.sysctl.tcp_syn_retries).toBe(2);
    const { syns, err } = await connectIntoTheVoid(net, c);
    expect(syns).toEqual([0, 1000, 3000]);
    expect(err?.code).toBe('ETIMEDOUT');
    expect(err?.at).toBe(7000);
  });

  it('the default tcp_syn_retries = 6 gives up after 127 s (1 + 2 + ... + 64)', async () => {
    const net = new SimNetwork({ seed: 41 });
    const c = net.host('10.0.0.1');
    const { syns, err } = await connectIntoTheVoid(net, c);
    expect(syns).toHaveLength(7);
    expect(err?.code).toBe('ETIMEDOUT');
    expect(err?.at).toBe(127_000);
  });

  it('the net.ipv4. prefix and the text form sysctl -w takes are accepted at run time', () => {
    const st = new Stack({ addresses: ['10.0.0.1'], clock: new VirtualClock() });
    st.setSysctl({ 'net.ipv4.tcp_syn_retries': '3', 'net.ipv4.ip_local_port_range': '40000 40010', 'net.core.somaxconn': 128 });
    expect(st.sysctl.tcp_syn_retries).toBe(3);
    expect(st.sysctl.ip_local_port_range).toEqual([40000, 40010]);
    expect(st.sysctl.somaxconn).toBe(128);
  });

  it('ip_local_port_range changed at run time governs the next connect', () => {
    const st = new Stack({ addresses: ['10.0.0.1'], clock: new VirtualClock(), seed: 1 });
    st.setSysctl({ ip_local_port_range: [61000, 61000] });
    expect(st.net.connect(80, '10.0.0.2').localPort).toBe(61000);
  });

  it('the settings object is frozen: changing it directly is impossible', () => {
    const st = new Stack({ addresses: ['10.0.0.1'], clock: new VirtualClock() });
    expect(Object.isFrozen(st.sysctl)).toBe(true);
    expect(() => {
      (st.sysctl as { tcp_syn_retries: number }).tcp_syn_retries = 1;
    }).toThrow(TypeError);
  });
});

describe('sysctl validation: a bad value is refused with an error naming the key', () => {
  const stack = () => new Stack({ addresses: ['10.0.0.1'], clock: new VirtualClock() });

  it('a value out of range: ERR_OUT_OF_RANGE naming the key and what is allowed', () => {
    const e = thrown(() => stack().setSysctl({ tcp_syn_retries: 0 }));
    expect(e.code).toBe('ERR_OUT_OF_RANGE');
    expect(e.message).toContain('tcp_syn_retries');
    expect(e.message).toContain('an integer from 1 to 127');
  });

  it('a value of the wrong type: ERR_INVALID_ARG_TYPE naming the key', () => {
    for (const bad of ['many', true, null, {}, [2]]) {
      const e = thrown(() => stack().setSysctl({ tcp_syncookies: bad }));
      expect(e.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(e.message).toContain('tcp_syncookies');
    }
  });

  it('a non-integer, NaN or infinite value is refused', () => {
    for (const bad of [1.5, Number.NaN, Infinity]) {
      const e = thrown(() => stack().setSysctl({ tcp_max_tw_buckets: bad }));
      expect(e.message).toContain('tcp_max_tw_buckets');
    }
  });

  it('an unknown name (a typo) is refused with the nearest known name suggested', () => {
    const e = thrown(() => stack().setSysctl({ tcp_tw_resue: 1 }));
    expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(e.message).toContain('tcp_tw_resue');
    expect(e.message).toContain('did you mean tcp_tw_reuse?');
  });

  it('tcp_tw_recycle is refused with the reason it was removed (Linux 4.12, clients behind NAT)', () => {
    const e = thrown(() => stack().setSysctl({ 'net.ipv4.tcp_tw_recycle': 1 }));
    expect(e.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(e.message).toContain('tcp_tw_recycle');
    expect(e.message).toContain('4.12');
    expect(e.message).toContain('NAT');
  });

  it('ip_local_port_range must be low ≤ high, two ports in 1..65535', () => {
    expect(thrown(() => stack().setSysctl({ ip_local_port_range: [40000, 30000] })).message).toContain('ip_local_port_range');
    expect(thrown(() => stack().setSysctl({ ip_local_port_range: [0, 30000] })).message).toContain('ip_local_port_range');
    expect(thrown(() => stack().setSysctl({ ip_local_port_range: [1024] })).code).toBe('ERR_INVALID_ARG_TYPE');
  });

  it('each issue-4 knob rejects a value just outside its range', () => {
    const cases: [string, unknown][] = [
      ['tcp_syncookies', 3],
      ['tcp_tw_reuse', 3],
      ['tcp_abort_on_overflow', 2],
      ['tcp_max_tw_buckets', -1],
      ['tcp_max_syn_backlog', 0],
      ['somaxconn', 0],
      ['tcp_rfc1337', 2],
    ];
    for (const [key, value] of cases) {
      const e = thrown(() => stack().setSysctl({ [key]: value }));
      expect({ key, code: e.code, named: e.message.includes(key) }).toEqual({ key, code: 'ERR_OUT_OF_RANGE', named: true });
    }
  });

  it('a refused change leaves every setting as it was, even the valid ones given with it', () => {
    const st = stack();
    const before = st.sysctl;
    expect(() => st.setSysctl({ tcp_syn_retries: 3, tcp_fin_timeout: -1 })).toThrow(/tcp_fin_timeout/);
    expect(st.sysctl).toBe(before);
    expect(st.sysctl.tcp_syn_retries).toBe(6);
  });

  it('the same validation applies at creation', () => {
    const e = thrown(() => new Stack({ addresses: ['10.0.0.1'], clock: new VirtualClock(), sysctl: { tcp_syncookies: 5 } }));
    expect(e.code).toBe('ERR_OUT_OF_RANGE');
    expect(e.message).toContain('tcp_syncookies');
  });
});
