/**
 * State names: synack's sockets and the demo use the RFC's (`SYN_RCVD`, `FIN_WAIT_1`, `CLOSED`);
 * `synack stat` shows the kernel's sockets in the kernel's names (`SYN_RECV`, `FIN_WAIT1`, `CLOSE`)
 * and says so once. src/host/tcp-states.ts is the one place that maps between them.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNEL_NAMES_NOTE, STATE_NAMES, kernelStateName, synackStateName } from '../../src/host/tcp-states.js';
import { TCP_STATES } from '../../src/tcp/state.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const PROC_NET = join(process.cwd(), 'test/host/fixtures/proc-net');

describe('state names, mapped in one place', () => {
  it('every synack state has exactly one kernel name and back (a bijection over the eleven states)', () => {
    const mapped = TCP_STATES.map(kernelStateName);
    expect(new Set(mapped).size).toBe(11);
    expect([...mapped].sort()).toEqual([...STATE_NAMES].sort());
    for (const s of TCP_STATES) expect(synackStateName(kernelStateName(s))).toBe(s);
  });

  it('the names that differ: SYN_RCVD/SYN_RECV, FIN_WAIT_1/FIN_WAIT1, FIN_WAIT_2/FIN_WAIT2, CLOSED/CLOSE', () => {
    const differ = TCP_STATES.filter((s) => kernelStateName(s) !== s).map((s) => `${s}=${kernelStateName(s)}`);
    expect(differ.sort()).toEqual(['CLOSED=CLOSE', 'FIN_WAIT_1=FIN_WAIT1', 'FIN_WAIT_2=FIN_WAIT2', 'SYN_RCVD=SYN_RECV']);
  });

  it('synack stat says once that its names are the kernel\'s, and how they map', () => {
    for (const args of [[], ['--diagnose', '--sample', '0']]) {
      const out = spawnSync(process.execPath, [CLI, 'stat', '--proc-net', PROC_NET, '--width', '200', ...args], { encoding: 'utf8' }).stdout;
      expect(out.split(KERNEL_NAMES_NOTE).length - 1, args.join(' ')).toBe(1);
    }
    expect(KERNEL_NAMES_NOTE).toBe(
      "States in the kernel's names (netstat, ss); synack's own sockets and its demo spell CLOSE, SYN_RECV, FIN_WAIT1, FIN_WAIT2 as CLOSED, SYN_RCVD, FIN_WAIT_1, FIN_WAIT_2.",
    );
  });

  it('the demo prints synack\'s (the RFC\'s) names', () => {
    const out = spawnSync(process.execPath, [CLI, 'demo', '--scenario', 'handshake-and-close'], { encoding: 'utf8' }).stdout;
    expect(out).toContain('FIN_WAIT_1');
    expect(out).not.toMatch(/\bFIN_WAIT1\b|\bSYN_RECV\b/);
  });
});
