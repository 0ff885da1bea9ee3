/**
 * `npm run fuzz` as a user runs it (node dist/bench/fuzz/main.js, built by the test setup): seeded,
 * bounded by --inputs or --seconds, reporting inputs/s, refusing a bad option with a clear message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function fuzz(args: string[], env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['dist/bench/fuzz/main.js', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('npm run fuzz', () => {
  it('runs a bounded, seeded run and reports inputs/s and the states it held; a clean run writes no corpus file', () => {
    const corpus = mkdtempSync(join(tmpdir(), `synack-fuzz-${process.pid}-`));
    try {
      const r = fuzz(['--seed', '7', '--inputs', '2000', '--corpus', corpus]);
      expect(r.status, r.out).toBe(0);
      expect(r.out).toContain('fuzz: seed 7, 2000 inputs; replay with --seed 7');
      expect(r.out).toMatch(/[\d,]+ inputs in [\d.]+ s \([\d,]+ inputs\/s\), \d+ worlds, \d+ legitimate transfers byte-exact .* 0 findings/);
      expect(r.out).toMatch(/states held: CLOSED, CLOSE_WAIT, CLOSING, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, LISTEN, SYN_RCVD, SYN_SENT, TIME_WAIT/);
      expect(readdirSync(corpus)).toEqual([]);
    } finally {
      rmSync(corpus, { recursive: true, force: true });
    }
  });

  it('takes its seed from SYNACK_FUZZ_SEED, and the same seed gives the same run', () => {
    const a = fuzz(['--inputs', '600'], { SYNACK_FUZZ_SEED: '99' });
    const b = fuzz(['--seed', '99', '--inputs', '600']);
    const figures = (s: string) => s.match(/\d+ worlds, \d+ legitimate transfers byte-exact \([\d.]+ MiB\)/)?.[0];
    expect(a.out).toContain('fuzz: seed 99');
    expect(figures(a.out)).toBeDefined();
    expect(figures(a.out)).toBe(figures(b.out));
  });

  it('refuses a bad number with the option it belongs to', () => {
    const r = fuzz(['--seconds', 'soon']);
    expect(r.status).toBe(2);
    expect(r.out).toContain('fuzz: --seconds wants a non-negative number (got "soon")');
  });
});
