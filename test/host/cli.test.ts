import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { STATE_NAMES, emptyCounts, stateFromSsName } from '../../src/host/tcp-states.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

const FIXTURE = new URL('./fixtures/proc-net/', import.meta.url).pathname;

describe('synack stat CLI (no privileges needed)', () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 180_000);

  it('rule: --proc-net reads saved files; --json counts equal the ss -tan captured with them', async () => {
    const r = await runCli(['stat', '--json', '--proc-net', FIXTURE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const ss = emptyCounts();
    for (const line of readFileSync(`${FIXTURE}/ss-tan.txt`, 'utf8').split('\n')) {
      const st = line ? stateFromSsName(line.split(/\s+/)[0]!) : undefined;
      if (st) ss[st]++;
    }
    expect(j.states).toEqual(ss);
    expect(Object.keys(j.states)).toEqual([...STATE_NAMES]);
    expect(j.families).toEqual({ ipv4: 120, ipv6: 10, ipv4Mapped: 2 });
  });

  it('rule: the default output is the classic STATE count table', async () => {
    const r = await runCli(['stat', '--proc-net', FIXTURE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CLOSE_WAIT\s+25$/m);
    expect(r.stdout).toMatch(/^TIME_WAIT\s+30$/m);
    expect(r.stdout).not.toMatch(/\x1b\[/); // not a TTY: no colours
  });

  it('rule: --diagnose on saved files finds the fixture namespace\'s CLOSE_WAIT and full accept queue', async () => {
    const r = await runCli(['stat', '--diagnose', '--sample', '0', '--proc-net', FIXTURE]);
    expect(r.code, "exit 1: the worst finding is a WARNING").toBe(1);
    expect(r.stdout).toMatch(/^CLOSE_WAIT\s+WARNING\s+25/m);
    expect(r.stdout).toContain('CLOSE_WAIT piling up');
  });

  const oneLineError = (r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) => {
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  };

  it('rule: an unknown --netns is a one-line error and a non-zero exit', async () => {
    oneLineError(await runCli(['stat', '--netns', 'synack-no-such-ns']), /unknown network namespace "synack-no-such-ns"/);
  });

  it('rule: bad --watch / --count / --top values are one-line errors', async () => {
    oneLineError(await runCli(['stat', '--watch', 'abc']), /--watch must be a number of seconds/);
    oneLineError(await runCli(['stat', '--watch', '0']), /--watch must be a number of seconds/);
    oneLineError(await runCli(['stat', '--watch', '1', '--count', '1.5']), /--count must be a whole number/);
    oneLineError(await runCli(['stat', '--count', '3']), /--count needs --watch/);
    oneLineError(await runCli(['stat', '--top', '-1']), /--top/);
  });

  it('rule: conflicting outputs and a directory without tcp are one-line errors', async () => {
    oneLineError(await runCli(['stat', '--json', '--prometheus']), /choose one of --json and --prometheus/);
    oneLineError(await runCli(['stat', '--proc-net', '/nonexistent-synack']), /no tcp file in \/nonexistent-synack/);
  });
});
