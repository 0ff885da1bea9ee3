import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backlogKey } from '../../src/host/listen-backlog.js';
import { summarize } from '../../src/host/summary.js';
import { STATE_NAMES } from '../../src/host/tcp-states.js';
import { owners, sock } from './helpers/build.js';

describe('summarize', () => {
  it('rule: every state is counted under its netstat name, zeros included, and they add up to the total', () => {
    const s = summarize([
      sock({ state: 'LISTEN', local: '0.0.0.0:80' }),
      sock({ local: '10.0.0.1:80', remote: '10.0.0.9:40000' }),
      sock({ state: 'TIME_WAIT', local: '10.0.0.1:80', remote: '10.0.0.9:40001' }),
      sock({ state: 'CLOSE_WAIT', local: '10.0.0.1:80', remote: '10.0.0.8:40002' }),
    ]);
    expect(Object.keys(s.states)).toEqual([...STATE_NAMES]);
    expect(s.states).toMatchObject({ LISTEN: 1, ESTABLISHED: 1, TIME_WAIT: 1, CLOSE_WAIT: 1, SYN_RECV: 0, CLOSING: 0 });
    expect(s.total).toBe(4);
  });

  it('rule: IPv4 and IPv6 totals follow the file; IPv4-mapped sockets are IPv6 sockets, counted apart', () => {
    const s = summarize([
      sock({ local: '10.0.0.1:80', remote: '10.0.0.2:1' }),
      sock({ local: '::1:22', remote: '::1:5000' }),
      sock({ local: '::ffff:10.0.0.1:80', remote: '::ffff:10.0.0.3:2' }),
    ]);
    expect(s.families).toEqual({ ipv4: 1, ipv6: 2, ipv4Mapped: 1 });
  });

  it('rule: a listener owns connections on its port: exact address first, else its wildcard; SYN_RECV is its SYN queue', () => {
    const s = summarize(
      [
        sock({ state: 'LISTEN', local: '0.0.0.0:80', rxQueue: 3 }),
        sock({ state: 'LISTEN', local: '127.0.0.1:8080' }),
        sock({ state: 'LISTEN', local: ':::443' }),
        sock({ local: '10.0.0.1:80', remote: '10.0.0.9:40000' }),
        sock({ state: 'SYN_RECV', local: '10.0.0.1:80', remote: '10.0.0.9:40001' }),
        sock({ state: 'SYN_RECV', local: '10.0.0.1:80', remote: '10.0.0.7:40001' }),
        sock({ local: '127.0.0.1:8080', remote: '127.0.0.1:50000' }),
        sock({ local: '::ffff:10.0.0.1:443', remote: '::ffff:10.0.0.9:3' }),
        // an outgoing connection's local port is not a listener's
        sock({ local: '10.0.0.1:50000', remote: '10.0.0.5:80' }),
      ],
      { backlogs: new Map([[backlogKey('0.0.0.0', 80), [511]], [backlogKey('::', 443), [4096]]]) },
    );
    const by = Object.fromEntries(s.listeners.map((l) => [l.endpoint, l]));
    expect(by['0.0.0.0:80']).toMatchObject({ acceptQueue: 3, backlog: 511, synRecv: 2, connections: 1 });
    expect(by['127.0.0.1:8080']).toMatchObject({ backlog: null, synRecv: 0, connections: 1 });
    expect(by['[::]:443']).toMatchObject({ backlog: 4096, connections: 1 });
  });

  it('rule: top peers and local ports are per state, busiest first, decoded', () => {
    const s = summarize(
      [
        ...Array.from({ length: 5 }, (_, i) => sock({ state: 'TIME_WAIT', local: `10.0.0.1:${40000 + i}`, remote: '10.0.0.5:443' })),
        ...Array.from({ length: 2 }, (_, i) => sock({ state: 'TIME_WAIT', local: `10.0.0.1:${41000 + i}`, remote: '2001:db8::5:443' })),
        sock({ state: 'CLOSE_WAIT', local: '10.0.0.1:8080', remote: '10.0.0.9:1' }),
      ],
      { top: 2 },
    );
    expect(s.top.TIME_WAIT?.peers).toEqual([
      { address: '10.0.0.5', count: 5 },
      { address: '2001:db8::5', count: 2 },
    ]);
    expect(s.top.TIME_WAIT?.localPorts).toHaveLength(2);
    expect(s.top.CLOSE_WAIT?.localPorts).toEqual([{ port: 8080, count: 1 }]);
    expect(s.top.LISTEN).toBeUndefined();
    expect(s.top.ESTABLISHED).toBeUndefined();
  });

  it('rule: inode 0 means no process: accept-queued when ESTABLISHED, orphan when closing', () => {
    const s = summarize([
      sock({ local: '10.0.0.1:80', remote: '10.0.0.2:1', inode: 0 }),
      sock({ state: 'FIN_WAIT2', local: '10.0.0.1:80', remote: '10.0.0.2:2', inode: 0 }),
      sock({ state: 'LAST_ACK', local: '10.0.0.1:80', remote: '10.0.0.2:3', inode: 0 }),
      sock({ state: 'FIN_WAIT2', local: '10.0.0.1:80', remote: '10.0.0.2:4' }),
    ]);
    expect(s.unowned).toEqual({ acceptQueued: 1, orphans: 2 });
  });

  it('rule: LISTEN rx_queue counts connections, so it stays out of rx_queued_bytes', () => {
    const s = summarize([sock({ state: 'LISTEN', rxQueue: 7 }), sock({ local: '10.0.0.1:80', remote: '10.0.0.2:1', rxQueue: 100, txQueue: 5 })]);
    expect(s.queues).toEqual({ rxBytes: 100, txBytes: 5 });
  });

  it('rule: with process mapping, counts per process and listener owners; partial when some /proc/PID/fd were unreadable', () => {
    const l = sock({ state: 'LISTEN', local: '0.0.0.0:80' });
    const c1 = sock({ state: 'CLOSE_WAIT', local: '10.0.0.1:80', remote: '10.0.0.2:1' });
    const c2 = sock({ state: 'CLOSE_WAIT', local: '10.0.0.1:80', remote: '10.0.0.2:2' });
    const e = sock({ local: '10.0.0.1:5000', remote: '10.0.0.3:5432' });
    const map = owners(
      [
        [l.inode, 42],
        [c1.inode, 42],
        [c2.inode, 42],
        [e.inode, 7],
      ],
      [
        { pid: 42, name: 'api', cmdline: 'api --port 80' },
        { pid: 7, name: 'worker', cmdline: 'worker' },
      ],
      3,
    );
    const s = summarize([l, c1, c2, e], { owners: map });
    expect(s.processes?.[0]).toMatchObject({ pid: 42, name: 'api', total: 3, states: { LISTEN: 1, CLOSE_WAIT: 2 } });
    expect(s.processes?.[1]).toMatchObject({ pid: 7, total: 1 });
    expect(s.listeners[0]?.owners).toEqual([{ pid: 42, name: 'api' }]);
    expect(s.processMapping).toEqual({ scanned: 2, denied: 3, partial: true });
  });

  it('property: state counts always sum to the number of sockets, and top counts never exceed their state', () => {
    const stateArb = fc.constantFrom(...STATE_NAMES);
    fc.assert(
      fc.property(
        fc.array(fc.record({ state: stateArb, port: fc.integer({ min: 1, max: 20 }), peer: fc.integer({ min: 1, max: 5 }) }), { maxLength: 200 }),
        (rows) => {
          const s = summarize(rows.map((r) => sock({ state: r.state, local: `10.0.0.1:${r.port}`, remote: `10.0.1.${r.peer}:9` })));
          expect(STATE_NAMES.reduce((a, st) => a + s.states[st], 0)).toBe(rows.length);
          for (const [st, t] of Object.entries(s.top)) {
            const c = s.states[st as keyof typeof s.states];
            expect(t.peers.reduce((a, p) => a + p.count, 0)).toBeLessThanOrEqual(c);
            expect(t.peers[0]!.count).toBeGreaterThanOrEqual(t.peers[t.peers.length - 1]!.count);
          }
        },
      ),
    );
  });
});
