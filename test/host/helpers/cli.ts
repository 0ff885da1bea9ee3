/**
 * Running the compiled CLI (dist/src/cli/main.js) from tests. The build runs once per test run:
 * the first test file to get here takes a lock directory and runs tsc, the others wait for it.
 * tsc errors in files other engineers are editing do not stop emission, so they are tolerated as
 * long as our entry points come out.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const MAIN = join(REPO, 'dist/src/cli/main.js');
const LOCK = join(REPO, 'dist/.synack-stat-build.lock');
const STAMP = join(REPO, 'dist/.synack-stat-build.stamp');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function ensureBuilt(): Promise<void> {
  mkdirSync(join(REPO, 'dist'), { recursive: true });
  for (let i = 0; i < 600; i++) {
    try {
      mkdirSync(LOCK);
    } catch {
      await sleep(100); // someone else is building
      continue;
    }
    try {
      const fresh = existsSync(STAMP) && Date.now() - Number(readFileSync(STAMP, 'utf8')) < 60_000;
      if (!fresh) {
        const r = spawnSync('npx', ['tsc', '-p', REPO], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
        if (r.status !== 0) process.stderr.write(`tsc reported errors (emission continues):\n${r.stdout.slice(0, 2000)}\n`);
        writeFileSync(STAMP, String(Date.now()));
      }
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
    if (!existsSync(MAIN) || statSync(MAIN).size === 0) throw new Error(`build did not produce ${MAIN}`);
    return;
  }
  throw new Error('timed out waiting for the build lock');
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * dist/ is shared with the other engineers' test runs, whose tsc may be rewriting a module at the
 * moment we load it. Such a run fails with a module-loading error, never with one of ours; it is
 * retried (at most 3 times). Any other failure is returned as is.
 */
const HALF_WRITTEN = /SyntaxError|ERR_MODULE_NOT_FOUND|does not provide an export named|Unexpected end of input/;

/** Runs `node dist/src/cli/main.js ARGS`, optionally behind a prefix (e.g. ip netns exec NS), bounded in time. */
export async function runCli(args: string[], opts: { prefix?: string[]; timeoutMs?: number } = {}): Promise<RunResult> {
  for (let attempt = 1; ; attempt++) {
    const r = await runOnce(args, opts);
    if (r.code === 0 || !HALF_WRITTEN.test(r.stderr) || attempt >= 3) return r;
    process.stderr.write(`retrying after a module-loading error (concurrent build?): ${r.stderr.split('\n').slice(0, 3).join(' | ')}\n`);
    await sleep(1000);
  }
}

function runOnce(args: string[], opts: { prefix?: string[]; timeoutMs?: number }): Promise<RunResult> {
  const argv = [...(opts.prefix ?? []), process.execPath, MAIN, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`timed out: ${argv.join(' ')}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
