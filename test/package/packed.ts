/**
 * The package as users get it: `npm pack` of this checkout (dist/ built by the test setup), and
 * scratch projects that install the tarball. Installs use npm's cache first (--prefer-offline).
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

/** `npm pack` into a fresh temporary directory; returns the tarball's path. */
export function packTarball(dir: string): string {
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack left no tarball in ${dir}`);
  return join(dir, tgz);
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `synack-${label}-${process.pid}-`));
}

/** Find a command on the current PATH (the real file, not a shim that needs the rest of PATH). */
function which(cmd: string): string | null {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    const r = spawnSync('readlink', ['-f', join(d, cmd)], { encoding: 'utf8' });
    const p = r.stdout.trim();
    if (r.status === 0 && p && spawnSync('test', ['-x', p]).status === 0) return p;
  }
  return null;
}

/**
 * A bin directory with only what npm needs (node, npm, sh, env, python3): no cc, gcc, g++, clang or
 * make — a container without a C toolchain.
 */
export function toolchainlessBin(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const cmd of ['node', 'npm', 'npx', 'sh', 'env']) {
    const p = which(cmd);
    if (p) symlinkSync(p, join(bin, cmd));
  }
  // python3 behind a shim (pyenv) needs its own PATH: link the interpreter itself
  const py = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  if (py.status === 0 && py.stdout.trim()) symlinkSync(py.stdout.trim(), join(bin, 'python3'));
  return bin;
}

/** A scratch ESM project in `dir`/`name`. */
export function scratchProject(dir: string, name: string): string {
  const app = join(dir, name);
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  return app;
}

export function npmInstall(app: string, args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', ...args], {
    cwd: app,
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
}
