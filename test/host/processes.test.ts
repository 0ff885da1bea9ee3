import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapSocketOwners, ownerLabel } from '../../src/host/processes.js';

/** A fake /proc: pid 100 (two sockets, one shared with pid 200), pid 200, pid 300 (no sockets). */
function fakeProc(): string {
  const root = mkdtempSync(join(tmpdir(), 'synack-proc-'));
  writeFileSync(join(root, 'stat'), 'cpu  1 2 3\nbtime 1700000000\n');
  const proc = (pid: number, name: string, cmd: string[], fds: Record<number, string>, startTicks: number) => {
    const d = join(root, String(pid));
    mkdirSync(join(d, 'fd'), { recursive: true });
    writeFileSync(join(d, 'comm'), `${name}\n`);
    writeFileSync(join(d, 'cmdline'), cmd.join('\0') + '\0');
    writeFileSync(join(d, 'limits'), 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n');
    // Field 22 (starttime) after "pid (comm) state": 19 fields after the state.
    const after = ['S', ...Array(18).fill('0'), String(startTicks), '0'];
    writeFileSync(join(d, 'stat'), `${pid} (${name}) ${after.join(' ')}\n`);
    for (const [fd, target] of Object.entries(fds)) symlinkSync(target, join(d, 'fd', fd));
  };
  proc(100, 'api server', ['node', 'api.js'], { 0: '/dev/null', 3: 'socket:[5001]', 4: 'socket:[5002]', 5: 'pipe:[9]' }, 500);
  proc(200, 'worker', ['worker', '--x'], { 3: 'socket:[5002]' }, 1000);
  proc(300, 'idle', ['idle'], { 0: '/dev/null' }, 0);
  mkdirSync(join(root, 'self'));
  return root;
}

describe('socket owners through /proc/PID/fd', () => {
  let root: string;
  beforeAll(() => (root = fakeProc()));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('rule: socket:[INODE] links map inodes to pids and fds; other links are ignored', () => {
    const m = mapSocketOwners(undefined, root);
    expect(m.owners.get(5001)).toEqual([{ pid: 100, fd: 3 }]);
    expect(m.owners.get(5002)).toEqual(expect.arrayContaining([{ pid: 100, fd: 4 }, { pid: 200, fd: 3 }]));
    expect(m.owners.size).toBe(2);
    expect(m.scanned).toBe(3);
    expect(m.denied).toBe(0);
  });

  it('rule: process details come from comm (with spaces), cmdline, limits and stat starttime', () => {
    const m = mapSocketOwners(undefined, root);
    expect(m.processes.get(100)).toEqual({ pid: 100, name: 'api server', cmdline: 'node api.js', fds: 4, fdLimit: 1024, startedAt: 1_700_000_005_000 });
    expect(m.processes.has(300)).toBe(false);
  });

  it('rule: with a wanted set only those inodes are recorded', () => {
    const m = mapSocketOwners(new Set([5001]), root);
    expect([...m.owners.keys()]).toEqual([5001]);
    expect([...m.processes.keys()]).toEqual([100]);
  });

  it('rule: a shared socket is labelled with its first owner and how many more', () => {
    const m = mapSocketOwners(undefined, root);
    expect(ownerLabel(m, 5001)).toBe('api server(100)');
    expect(ownerLabel(m, 5002)).toMatch(/^(api server\(100\)|worker\(200\))\+1$/);
    expect(ownerLabel(m, 1)).toBeUndefined();
  });
});
