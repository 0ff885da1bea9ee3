import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { counter, parseCounterPairs, parseSockstat, parseSoftnetStat } from '../../src/host/proc-counters.js';
import { parseSsListeners, backlogKey } from '../../src/host/listen-backlog.js';

const fixture = (f: string) => readFileSync(new URL(`./fixtures/proc-net/${f}`, import.meta.url), 'latin1');

describe('/proc/net counter files', () => {
  it('rule: netstat pairs a header line with a value line per group (TcpExt, IpExt, MPTcpExt)', () => {
    const g = parseCounterPairs(fixture('netstat'));
    expect(Object.keys(g)).toEqual(expect.arrayContaining(['TcpExt', 'IpExt']));
    // The fixture namespace had a listener with a full accept queue: its SYNs were dropped.
    expect(counter(g, 'TcpExt', 'ListenOverflows')).toBeGreaterThan(0);
    expect(counter(g, 'TcpExt', 'ListenDrops')).toBe(counter(g, 'TcpExt', 'ListenOverflows'));
    expect(counter(g, 'TcpExt', 'NoSuchCounter')).toBe(0);
  });

  it('rule: snmp has the Tcp group with CurrEstab and RetransSegs (negative MaxConn kept)', () => {
    const g = parseCounterPairs(fixture('snmp'));
    expect(g.Tcp?.CurrEstab).toBeGreaterThan(0);
    expect(g.Tcp?.MaxConn).toBe(-1);
    expect(g.Tcp).toHaveProperty('RetransSegs');
  });

  it('rule: a group whose header and value lines disagree is skipped, later groups still parse', () => {
    const g = parseCounterPairs('TcpExt: A B C\nTcpExt: 1 2\nIpExt: C D\nIpExt: 3 4\n');
    expect(g.TcpExt).toBeUndefined();
    expect(g.IpExt).toEqual({ C: 3, D: 4 });
    // A value line with no header before it is ignored too.
    expect(parseCounterPairs('Tcp: 1 2 3\n')).toEqual({});
  });

  it('rule: sockstat gives TCP inuse/orphan/tw/alloc/mem', () => {
    const s = parseSockstat(fixture('sockstat'));
    expect(s.TCP).toMatchObject({ orphan: expect.any(Number), tw: expect.any(Number), inuse: expect.any(Number) });
    expect(parseSockstat('TCP: inuse 5 orphan 2 tw 7 alloc 9 mem 1\n').TCP).toEqual({ inuse: 5, orphan: 2, tw: 7, alloc: 9, mem: 1 });
  });

  it('rule: softnet_stat column 2 (hex) counts backlog drops, summed over CPUs', () => {
    const t = parseSoftnetStat(
      '0000a000 00000003 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n' +
        '00000010 0000000a 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001\n',
    );
    expect(t).toEqual({ cpus: 2, processed: 0xa010, dropped: 13, timeSqueeze: 1 });
  });
});

describe('listener backlogs from ss -ltn', () => {
  it('rule: Send-Q of a LISTEN line is its backlog; "*" is the dual-stack IPv6 wildcard; %iface is dropped', () => {
    const m = parseSsListeners(
      [
        'LISTEN 0      511        127.0.0.1:7002      0.0.0.0:*',
        'LISTEN 2      1          127.0.0.1:7005      0.0.0.0:*',
        'LISTEN 0      4096               *:443             *:*',
        'LISTEN 0      128             [::1]:22          [::]:*',
        'LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*',
        'LISTEN 0      10     [::ffff:127.0.0.1]:81     *:*',
        'ESTAB  0      0          127.0.0.1:7002  127.0.0.1:5555',
      ].join('\n'),
    );
    expect(m.get(backlogKey('127.0.0.1', 7002))).toEqual([511]);
    expect(m.get(backlogKey('127.0.0.1', 7005))).toEqual([1]);
    expect(m.get(backlogKey('::', 443))).toEqual([4096]);
    expect(m.get(backlogKey('::1', 22))).toEqual([128]);
    expect(m.get(backlogKey('127.0.0.53', 53))).toEqual([4096]);
    expect(m.get(backlogKey('::ffff:127.0.0.1', 81))).toEqual([10]);
    expect(m.size).toBe(6);
  });

  it('rule: the captured ss -ltn of the fixture namespace has every listener of /proc/net/tcp*', () => {
    const m = parseSsListeners(fixture('ss-ltn.txt'));
    expect([...m.values()].flat()).toHaveLength(7);
    expect(m.get(backlogKey('127.0.0.1', 7005))).toEqual([1]);
  });
});
