import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { currentNamespace, fromDirectory } from '../../src/host/proc-source.js';
import { auditSysctls, auditValues } from '../../src/host/sysctl-audit.js';
import { KNOBS } from '../../src/host/sysctl-knobs.js';

const ISSUE_KNOBS = [
  'tcp_syn_retries',
  'tcp_synack_retries',
  'tcp_keepalive_time',
  'tcp_keepalive_intvl',
  'tcp_keepalive_probes',
  'tcp_orphan_retries',
  'tcp_fin_timeout',
  'tcp_max_syn_backlog',
  'tcp_syncookies',
  'tcp_tw_reuse',
  'tcp_tw_recycle',
  'netdev_max_backlog',
  'somaxconn',
  'ip_local_port_range',
  'tcp_max_tw_buckets',
];

describe('sysctl audit', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('rule: every knob of the classic advice is audited with default, advice and verdict', () => {
    const keys = KNOBS.map((k) => k.key.split('.').pop());
    for (const k of ISSUE_KNOBS) expect(keys).toContain(k);
    for (const k of KNOBS) {
      expect(k.linuxDefault).not.toBe('');
      expect(k.note.length).toBeGreaterThan(30);
    }
  });

  it('rule: the outdated advice is marked: tw_recycle wrong (removed in 4.12, NAT), fin_timeout is not TIME_WAIT, keepalive does not end CLOSE_WAIT', () => {
    const by = Object.fromEntries(KNOBS.map((k) => [k.key, k]));
    expect(by['net.ipv4.tcp_tw_recycle']!.verdict).toBe('wrong');
    expect(by['net.ipv4.tcp_tw_recycle']!.note).toMatch(/4\.12.*NAT/s);
    expect(by['net.ipv4.tcp_fin_timeout']!.note).toMatch(/orphaned FIN_WAIT2.*does NOT\s+shorten TIME_WAIT/s);
    expect(by['net.ipv4.tcp_keepalive_time']!.note).toMatch(/does NOT end CLOSE_WAIT/);
  });

  it('rule: remarks read this host: an absent tw_recycle, tw_reuse without timestamps, softnet drops', () => {
    const rows = auditValues(
      new Map([
        ['net.ipv4.tcp_tw_reuse', '1'],
        ['net.ipv4.tcp_timestamps', '0'],
      ]),
      { cpus: 2, processed: 10, dropped: 5, timeSqueeze: 0 },
    );
    const by = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(by['net.ipv4.tcp_tw_recycle']!.current).toBeNull();
    expect(by['net.ipv4.tcp_tw_recycle']!.remark).toContain('removed');
    expect(by['net.ipv4.tcp_tw_reuse']!.remark).toContain('tcp_timestamps is 0');
    expect(by['net.core.netdev_max_backlog']!.remark).toContain('5 packets dropped');
  });

  const noSysctl = Boolean(spawnSync('sysctl', ['-V']).error);
  it.skipIf(noSysctl)(`rule: current values equal what sysctl -n reports on this machine${noSysctl ? ' (skipped: no sysctl binary)' : ''}`, () => {
    const rows = auditSysctls(currentNamespace());
    for (const r of rows) {
      const res = spawnSync('sysctl', ['-n', r.key], { encoding: 'utf8' });
      if (res.status !== 0) {
        expect(r.current, r.key).toBeNull();
        continue;
      }
      expect(r.current, r.key).toBe(res.stdout.trim().replace(/\s+/g, ' '));
    }
  });

  it('rule: auditing never writes: files of a copied /proc/sys tree keep their content and mtime', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-sysctl-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'tcp'), readFileSync('/proc/net/tcp'));
    mkdirSync(join(dir, 'sys/net/ipv4'), { recursive: true });
    const f = join(dir, 'sys/net/ipv4/tcp_fin_timeout');
    writeFileSync(f, '30\n');
    const before = statSync(f);
    const rows = auditSysctls(fromDirectory(dir));
    expect(rows.find((r) => r.key === 'net.ipv4.tcp_fin_timeout')!.current).toBe('30');
    expect(readFileSync(f, 'utf8')).toBe('30\n');
    expect(statSync(f).mtimeMs).toBe(before.mtimeMs);
  });
});
