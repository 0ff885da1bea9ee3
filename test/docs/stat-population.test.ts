/**
 * docs/stat.md's namespace can be recreated: examples/stat-population/build.sh builds the socket
 * population its examples show (as root, with socat), and `--proc-net` on saved files is documented.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BUILD = join(ROOT, 'examples', 'stat-population', 'build.sh');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const why =
  process.platform !== 'linux' ? 'not Linux' : process.getuid?.() !== 0 ? 'needs root (a network namespace)' : !has('socat') ? 'socat is not installed' : !has('ss') ? 'ss is not installed' : null;

describe('the population docs/stat.md shows', () => {
  it('is built by a script shipped in examples/, which docs/stat.md names, with --proc-net for saved files', () => {
    expect(existsSync(BUILD)).toBe(true);
    const doc = readFileSync(join(ROOT, 'docs', 'stat.md'), 'utf8');
    expect(doc).toContain('sh examples/stat-population/build.sh');
    expect(doc).toContain('## Saved files: `--proc-net`');
    for (const f of ['population.mjs', 'leaky-server.mjs', 'stuck-server.mjs']) expect(existsSync(join(ROOT, 'examples', 'stat-population', f)), f).toBe(true);
  });

  it.skipIf(why !== null)(`build.sh recreates it: the same counts by state as the docs (345 sockets)${why ? ` (skipped: ${why})` : ''}`, () => {
    const ns = `synack-docs-${process.pid}`;
    const env = { ...process.env, SYNACK_STAT_NS: ns };
    try {
      // output to a file: the servers it leaves running must not hold a pipe this test waits on
      const log = join(tmpdir(), `synack-docs-${process.pid}.log`);
      const fd = openSync(log, 'w');
      const up = spawnSync('sh', [BUILD], { env, stdio: ['ignore', fd, fd], timeout: 60_000 });
      closeSync(fd);
      expect(up.status, readFileSync(log, 'utf8')).toBe(0);
      rmSync(log, { force: true });
      const r = spawnSync(process.execPath, [CLI, 'stat', '--json', '--netns', ns], { encoding: 'utf8', timeout: 30_000 });
      const j = JSON.parse(r.stdout) as { states: Record<string, number>; total: number };
      expect(j.states).toMatchObject({ ESTABLISHED: 114, SYN_RECV: 4, FIN_WAIT2: 48, TIME_WAIT: 120, CLOSE_WAIT: 48, LISTEN: 7 });
      expect(j.total).toBe(345);
    } finally {
      spawnSync('sh', [BUILD, 'down'], { env, timeout: 30_000 });
    }
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(ns);
  }, 90_000);
});
