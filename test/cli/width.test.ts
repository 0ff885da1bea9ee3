/**
 * Output fits the terminal: `synack demo` and `synack stat` lay out for process.stdout.columns
 * (a compact demo below 120 columns, the full diagram from 120 up), for --width when given, and
 * the same whatever the terminal when piped.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FULL_LAYOUT_MIN, chooseLayout } from '../../src/cli/demo/layout.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');
// relative to the checkout (the tests run from it), so the header's path does not grow with where it lives
const PROC_NET = 'test/host/fixtures/proc-net';
const ANSI = /\x1b\[[0-9;]*m/g;

function run(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  expect(r.stderr).toBe('');
  return r.stdout;
}

/** Lines longer than `width` characters (colour codes do not count). */
function overlong(text: string, width: number): string[] {
  return text.split('\n').filter((l) => [...l.replace(ANSI, '')].length > width);
}

const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;

describe('demo layout by width', () => {
  it('below 120 columns the compact layout, from 120 up the full one; piped (no width) the full one unbounded', () => {
    expect(FULL_LAYOUT_MIN).toBe(120);
    expect(chooseLayout(80)).toEqual({ kind: 'compact', width: 80 });
    expect(chooseLayout(119).kind).toBe('compact');
    expect(chooseLayout(120)).toEqual({ kind: 'full', width: 120 });
    expect(chooseLayout(undefined)).toEqual({ kind: 'full', width: undefined });
  });

  it.each([80, 120, 200])('demo --width %i: every line of the tour fits (also under loss)', (w) => {
    for (const extra of [[], ['--loss', '0.3', '--seed', '5', '--delay', '3000']]) {
      expect(overlong(run(['demo', '--width', String(w), ...extra]), w)).toEqual([]);
    }
  });

  it('compact (80): one line per segment, time first and the states at both ends abbreviated', () => {
    const out = run(['demo', '--scenario', 'handshake-and-close', '--width', '80']);
    expect(out).toMatch(/^0\.025 FIN_WT1 {2}F\. 6:6\(0\) ack 11 win 512 <TS> ──▶ +CLOSE_WT$/m);
    expect(out).toContain('ESTAB=ESTABLISHED');
  });

  it('full (200): the two-column diagram with tcpdump\'s options in full', () => {
    const out = run(['demo', '--scenario', 'handshake-and-close', '--width', '200']);
    expect(out).toMatch(/^ +0\.025 s {2}FIN_WAIT_1 {3}F\. 6:6\(0\) ack 11 win 512 <TS val \d+ ecr \d+> ──▶ +CLOSE_WAIT$/m);
  });

  it('piped output is the same whatever COLUMNS says, unless --width is given', () => {
    const a = run(['demo'], { COLUMNS: '80' });
    const b = run(['demo'], { COLUMNS: '250' });
    expect(a).toBe(b);
    expect(a).toContain('TS val');
    expect(run(['demo', '--width', '80'])).not.toBe(a);
  });

  it.skipIf(!hasScript)('on a terminal the demo follows process.stdout.columns (80 columns: compact, fits)', () => {
    const r = spawnSync('script', ['-qec', `stty cols 80 rows 50; "${process.execPath}" "${CLI}" demo --scenario handshake-and-close --no-color`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const out = r.stdout.replace(/\r/g, '');
    expect(out).toContain('ESTAB=ESTABLISHED');
    expect(overlong(out, 80)).toEqual([]);
  });
});

describe('stat layout by width', () => {
  const modes = [[], ['--diagnose', '--sample', '0'], ['--sysctl'], ['-p']];
  it.each([80, 120, 200])('stat --width %i on saved files: the summary, --diagnose, --sysctl and -p fit', (w) => {
    for (const m of modes) {
      const r = spawnSync(process.execPath, [CLI, 'stat', '--proc-net', PROC_NET, '--width', String(w), ...m], { encoding: 'utf8', timeout: 30_000 });
      expect(overlong(r.stdout, w), m.join(' ')).toEqual([]);
    }
  });

  it('stat tables at 80 columns wrap a long cell onto more lines instead of cutting it', () => {
    const out = run(['stat', '--proc-net', PROC_NET, '--width', '80']);
    const wide = run(['stat', '--proc-net', PROC_NET, '--width', '200']);
    // every local port of the ESTABLISHED row is still there
    const ports = (s: string) => [...s.matchAll(/\b(\d{4,5}) ×\d+/g)].map((m) => m[1]).sort();
    expect(ports(out)).toEqual(ports(wide));
  });
});
