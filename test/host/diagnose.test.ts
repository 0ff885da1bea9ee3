import { describe, expect, it } from 'vitest';
import { backlogKey } from '../../src/host/listen-backlog.js';
import { diagnose, type CheckResult, type Diagnosis } from '../../src/host/diagnose/index.js';
import { DEFAULT_SYSCTLS, owners, snap, sock } from './helpers/build.js';

const check = (d: Diagnosis, id: string): CheckResult => d.checks.find((c) => c.check === id)!;

describe('diagnose', () => {
  it('rule: a quiet host has six ok checks and no findings', () => {
    const d = diagnose({ now: snap([sock({ state: 'LISTEN', local: '0.0.0.0:22' }), sock({ local: '10.0.0.1:22', remote: '10.0.0.2:50000' })]), sysctls: DEFAULT_SYSCTLS });
    expect(d.checks.map((c) => c.check)).toEqual(['close-wait', 'time-wait', 'syn-recv', 'listen-queue', 'orphans', 'retransmits']);
    expect(d.severity).toBe('ok');
    expect(d.checks.flatMap((c) => c.findings)).toEqual([]);
  });

  describe('CLOSE_WAIT', () => {
    const cw = Array.from({ length: 12 }, (_, i) =>
      sock({ state: 'CLOSE_WAIT', local: '10.0.0.1:8080', remote: `10.0.0.${2 + (i % 3)}:${40000 + i}`, rxQueue: i < 2 ? 100 : 0 }),
    );
    const map = owners(
      cw.map((s) => [s.inode, 4242] as [number, number]),
      [{ pid: 4242, name: 'leaky-api', cmdline: 'node leaky-api.js', fds: 40, fdLimit: 1024, startedAt: 1_700_000_000_000 - 3_600_000 }],
    );

    it('rule: the finding names the process (name and pid) and the local port holding them', () => {
      const d = diagnose({ now: snap(cw), sysctls: DEFAULT_SYSCTLS, owners: map });
      const f = check(d, 'close-wait').findings[0]!;
      expect(f.severity).toBe('warning');
      expect(f.title).toContain('leaky-api (pid 4242)');
      expect(f.title).toContain('port 8080');
      expect(f.evidence.join('\n')).toContain('holds 12 on 10.0.0.1:8080');
      expect(f.evidence.join('\n')).toContain('40 open fds of 1,024 allowed; running 1h00m');
      expect(f.data).toMatchObject({ total: 12, groups: [{ pid: 4242, process: 'leaky-api', port: 8080, count: 12, unreadBytes: 200 }] });
    });

    it('rule: unread data in the receive queue is reported as evidence', () => {
      const d = diagnose({ now: snap(cw), sysctls: DEFAULT_SYSCTLS, owners: map });
      expect(check(d, 'close-wait').findings[0]!.evidence.join('\n')).toContain('2 of them still have 200 B in the receive queue');
    });

    it('rule: with an earlier reading, the age evidence says how many were already there', () => {
      const before = snap(cw.slice(0, 5), { takenAt: 1_700_000_000_000 - 2000 });
      const d = diagnose({ now: snap(cw), before, sysctls: DEFAULT_SYSCTLS, owners: map });
      expect(check(d, 'close-wait').findings[0]!.evidence.join('\n')).toContain('5 of 12 were already in CLOSE_WAIT 2.0 s earlier');
    });

    it('rule: "what does not work" corrects the keepalive advice and tcp_fin_timeout', () => {
      const f = check(diagnose({ now: snap(cw), sysctls: DEFAULT_SYSCTLS, owners: map }), 'close-wait').findings[0]!;
      expect(f.doesNotWork.join('\n')).toMatch(/keepalive does not end CLOSE_WAIT held by an application that never closes/);
      expect(f.doesNotWork.join('\n')).toMatch(/tcp_fin_timeout/);
      expect(f.fix.join('\n')).toContain("ss -tnp state close-wait '( sport = :8080 )'");
    });

    it('rule: without permission to see the owner the finding says so instead of guessing', () => {
      const d = diagnose({ now: snap(cw), sysctls: DEFAULT_SYSCTLS, owners: owners([], [], 5) });
      const f = check(d, 'close-wait').findings[0]!;
      expect(f.title).toContain('an owner this user cannot see');
      expect(f.evidence.join('\n')).toContain('process mapping partial: 5 processes not readable');
    });

    it('rule: severity grows with the count (notice < 10 <= warning < 1000 <= critical)', () => {
      expect(check(diagnose({ now: snap(cw.slice(0, 3)), sysctls: DEFAULT_SYSCTLS }), 'close-wait').severity).toBe('notice');
      const many = Array.from({ length: 1000 }, (_, i) => sock({ state: 'CLOSE_WAIT', local: '10.0.0.1:8080', remote: `10.0.1.1:${1024 + i}` }));
      expect(check(diagnose({ now: snap(many), sysctls: DEFAULT_SYSCTLS }), 'close-wait').severity).toBe('critical');
    });
  });

  describe('TIME_WAIT', () => {
    it('rule: a client closing first to one ip:port is measured against the ephemeral range, and tw_reuse/port range are the fixes', () => {
      // 16,000 of 28,232 ports to one destination: 57% -> warning.
      const tw = Array.from({ length: 16000 }, (_, i) => sock({ state: 'TIME_WAIT', local: `10.0.0.1:${32768 + i}`, remote: '10.0.0.5:5432' }));
      const d = diagnose({ now: snap(tw), sysctls: DEFAULT_SYSCTLS });
      const f = check(d, 'time-wait').findings[0]!;
      expect(f.severity).toBe('warning');
      expect(f.title).toContain('of ephemeral ports to 10.0.0.5:5432');
      expect(f.evidence.join('\n')).toContain('16,000 are outgoing connections this host closed (client side), 0 are connections it accepted');
      expect(f.fix.join('\n')).toContain('net.ipv4.tcp_tw_reuse=1');
      expect(f.fix.join('\n')).toContain('ip_local_port_range');
      expect(f.cause).toContain('EADDRNOTAVAIL');
    });

    it('rule: the classic TIME_WAIT advice is listed as not working: tw_recycle removed in 4.12, fin_timeout is not TIME_WAIT', () => {
      const tw = Array.from({ length: 20000 }, (_, i) => sock({ state: 'TIME_WAIT', local: `10.0.0.1:${32768 + i}`, remote: '10.0.0.5:443' }));
      const f = check(diagnose({ now: snap(tw), sysctls: DEFAULT_SYSCTLS }), 'time-wait').findings[0]!;
      const dnw = f.doesNotWork.join('\n');
      expect(dnw).toMatch(/tcp_tw_recycle=1: removed in Linux 4\.12.*NAT/);
      expect(dnw).toMatch(/tcp_fin_timeout: it bounds orphaned FIN_WAIT2, not TIME_WAIT, which is fixed at 60 s/);
    });

    it('rule: TIME_WAIT on a listening port means the server closes first; measured against tcp_max_tw_buckets', () => {
      const tw = [
        sock({ state: 'LISTEN', local: '0.0.0.0:80' }),
        ...Array.from({ length: 600 }, (_, i) => sock({ state: 'TIME_WAIT', local: '10.0.0.1:80', remote: `10.9.${i >> 8}.${i & 255}:5000` })),
      ];
      const sysctls = new Map(DEFAULT_SYSCTLS).set('net.ipv4.tcp_max_tw_buckets', '1000');
      const f = check(diagnose({ now: snap(tw), sysctls }), 'time-wait').findings[0]!;
      expect(f.severity).toBe('warning');
      expect(f.title).toContain('600 of 1,000 tcp_max_tw_buckets');
      expect(f.evidence.join('\n')).toContain('0 are outgoing connections this host closed (client side), 600 are connections it accepted and closed (server side)');
      expect(f.cause).toContain('closes them first');
      expect(f.fix.join('\n')).toContain('Let clients close first');
    });

    it('rule: a few TIME_WAIT are normal and reported ok with the numbers', () => {
      const tw = Array.from({ length: 30 }, (_, i) => sock({ state: 'TIME_WAIT', local: `10.0.0.1:${40000 + i}`, remote: '10.0.0.5:80' }));
      const c = check(diagnose({ now: snap(tw), sysctls: DEFAULT_SYSCTLS }), 'time-wait');
      expect(c.severity).toBe('ok');
      expect(c.summary).toContain('30 of 262,144 tcp_max_tw_buckets');
      expect(c.summary).toContain('uses 30 of 28,232 ephemeral ports');
    });
  });

  describe('SYN_RECV and listen queues', () => {
    const listener = sock({ state: 'LISTEN', local: '0.0.0.0:80', inode: 77 });
    const half = (n: number) =>
      Array.from({ length: n }, (_, i) => sock({ state: 'SYN_RECV', local: '10.0.0.1:80', remote: `10.7.${i >> 8}.${i & 255}:1234`, retransmits: 1 }));

    it('rule: SYN_RECV is measured per listener against its listen backlog (the SYN queue cap)', () => {
      const d = diagnose({ now: snap([listener, ...half(60)]), sysctls: DEFAULT_SYSCTLS, backlogs: new Map([[backlogKey('0.0.0.0', 80), [100]]]) });
      const f = check(d, 'syn-recv').findings[0]!;
      expect(f.severity).toBe('warning');
      expect(f.title).toContain('60 half-open on 0.0.0.0:80 (60% of its SYN queue)');
      expect(f.doesNotWork.join('\n')).toContain('tcp_max_syn_backlog');
    });

    it('rule: with syncookies off, passing 3/4 of tcp_max_syn_backlog is critical (SYNs from new peers dropped)', () => {
      const sysctls = new Map(DEFAULT_SYSCTLS).set('net.ipv4.tcp_syncookies', '0').set('net.ipv4.tcp_max_syn_backlog', '100');
      const d = diagnose({ now: snap([listener, ...half(80)]), sysctls, backlogs: new Map([[backlogKey('0.0.0.0', 80), [4096]]]) });
      const f = check(d, 'syn-recv').findings[0]!;
      expect(f.severity).toBe('critical');
      expect(f.evidence.join('\n')).toContain('0.0.0.0:80 passed 3/4 of tcp_max_syn_backlog (75)');
    });

    it('rule: a full SYN queue with syncookies off is critical', () => {
      const sysctls = new Map(DEFAULT_SYSCTLS).set('net.ipv4.tcp_syncookies', '0');
      const d = diagnose({ now: snap([listener, ...half(100)]), sysctls, backlogs: new Map([[backlogKey('0.0.0.0', 80), [100]]]) });
      expect(check(d, 'syn-recv').severity).toBe('critical');
    });

    it('rule: SyncookiesSent growing between readings is a warning even with few SYN_RECV', () => {
      const before = snap([listener], { takenAt: 1_700_000_000_000 - 1000, counters: { TcpExt: { SyncookiesSent: 10 }, Tcp: {} } });
      const now = snap([listener, ...half(1)], { counters: { TcpExt: { SyncookiesSent: 510 }, Tcp: {} } });
      const f = check(diagnose({ now, before, sysctls: DEFAULT_SYSCTLS }), 'syn-recv').findings[0]!;
      expect(f.evidence.join('\n')).toContain('SyncookiesSent: +500 in the last 1.0 s');
    });

    it('rule: an accept queue at its backlog is critical and names the process; ListenOverflows deltas are evidence', () => {
      const full = sock({ state: 'LISTEN', local: '127.0.0.1:7005', rxQueue: 2, inode: 91 });
      const before = snap([full], { takenAt: 1_700_000_000_000 - 1000, counters: { TcpExt: { ListenOverflows: 10, ListenDrops: 10 }, Tcp: {} } });
      const now = snap([full], { counters: { TcpExt: { ListenOverflows: 13, ListenDrops: 13 }, Tcp: {} } });
      const map = owners([[91, 555]], [{ pid: 555, name: 'stuck', cmdline: 'stuck' }]);
      const d = diagnose({ now, before, sysctls: DEFAULT_SYSCTLS, owners: map, backlogs: new Map([[backlogKey('127.0.0.1', 7005), [1]]]) });
      const f = check(d, 'listen-queue').findings[0]!;
      expect(f.severity).toBe('critical');
      expect(f.title).toBe('Listen queue full: 127.0.0.1:7005 2/1 (stuck, pid 555)');
      expect(f.evidence.join('\n')).toContain('ListenOverflows (accept queue full): +3 in the last 1.0 s (13 since the namespace started)');
    });
  });

  describe('closing states and retransmits', () => {
    it('rule: orphans are measured against tcp_max_orphans (sockstat), owned FIN_WAIT2 have no time limit', () => {
      const fw2 = [
        ...Array.from({ length: 60 }, (_, i) => sock({ state: 'FIN_WAIT2', local: `10.0.0.1:${40000 + i}`, remote: '10.0.0.5:80', inode: 0 })),
        ...Array.from({ length: 50 }, (_, i) => sock({ state: 'FIN_WAIT2', local: `10.0.0.1:${41000 + i}`, remote: '10.0.0.5:80' })),
      ];
      const now = snap(fw2, { sockstat: { TCP: { orphan: 60000 } } });
      const f = check(diagnose({ now, sysctls: DEFAULT_SYSCTLS }), 'orphans').findings[0]!;
      expect(f.severity).toBe('critical');
      expect(f.evidence[0]).toBe('110 FIN_WAIT2: 60 orphaned (freed after tcp_fin_timeout=60 s), 50 still owned by a process (no time limit)');
      expect(f.doesNotWork.join('\n')).toContain('does not shorten TIME_WAIT');
    });

    it('rule: retransmitting connections (non-zero retrnsmt) are listed worst first; SYN_RECV is left to its own check', () => {
      const r = [
        sock({ state: 'SYN_SENT', local: '10.0.0.1:40000', remote: '10.0.0.9:443', retransmits: 4, timer: 'retransmit', timerSeconds: 3.2 }),
        sock({ local: '10.0.0.1:40001', remote: '10.0.0.8:443', retransmits: 1, txQueue: 1448, timer: 'retransmit' }),
        sock({ state: 'SYN_RECV', local: '10.0.0.1:80', remote: '10.0.0.7:1', retransmits: 5 }),
      ];
      const f = check(diagnose({ now: snap(r), sysctls: DEFAULT_SYSCTLS }), 'retransmits').findings[0]!;
      expect(f.severity).toBe('warning');
      expect(f.title).toBe('2 connections retransmitting (worst 4 timeouts in a row)');
      expect(f.evidence[1]).toBe('10.0.0.1:40000 -> 10.0.0.9:443 SYN_SENT: 4 timeouts in a row, next try in 3.2 s');
      expect(f.evidence[2]).toContain('1,448 bytes unacknowledged');
    });
  });

  it('rule: every finding has a title, evidence with numbers, a one-paragraph cause and concrete fixes', () => {
    const tw = Array.from({ length: 20000 }, (_, i) => sock({ state: 'TIME_WAIT', local: `10.0.0.1:${32768 + i}`, remote: '10.0.0.5:443' }));
    const cw = Array.from({ length: 20 }, (_, i) => sock({ state: 'CLOSE_WAIT', local: '10.0.0.1:8080', remote: `10.0.0.2:${i + 1}` }));
    const d = diagnose({ now: snap([...tw, ...cw]), sysctls: DEFAULT_SYSCTLS });
    const findings = d.checks.flatMap((c) => c.findings);
    expect(findings.length).toBeGreaterThanOrEqual(2);
    for (const f of findings) {
      expect(f.title.length).toBeGreaterThan(10);
      expect(f.evidence.some((e) => /\d/.test(e))).toBe(true);
      expect(f.cause).not.toContain('\n');
      expect(f.fix.length).toBeGreaterThan(0);
      expect(f.doesNotWork.length).toBeGreaterThan(0);
    }
  });
});
