/**
 * Throwaway network namespaces for tests: unique names (synack-stat-<pid>-<n>), loopback only,
 * every process started in them tracked by PID and killed (then the namespace deleted) in
 * destroy(), which tests call from afterAll even when setup failed half-way.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

let counter = 0;

/** Why namespace tests cannot run here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)';
  for (const tool of ['ip', 'ss']) {
    if (spawnSync(tool, ['-V'], { encoding: 'utf8' }).error) return `${tool} not installed`;
  }
  if (!existsSync('/proc/self/ns/net')) return 'no network namespaces';
  return null;
}

export function toolMissing(tool: string, args = ['-V']): boolean {
  return Boolean(spawnSync(tool, args, { encoding: 'utf8' }).error);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TestNamespace {
  readonly name = `synack-stat-${process.pid}-${++counter}`;
  private readonly children: ChildProcess[] = [];
  private created = false;

  create(): void {
    const add = spawnSync('ip', ['netns', 'add', this.name], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`ip netns add ${this.name}: ${add.stderr}`);
    this.created = true;
    this.exec(['ip', 'link', 'set', 'lo', 'up']);
  }

  /** Runs a command in the namespace to completion (bounded) and returns its output. */
  exec(argv: string[], timeoutMs = 10_000): string {
    const r = spawnSync('ip', ['netns', 'exec', this.name, ...argv], { encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error?.message}`);
    return r.stdout;
  }

  /** Starts a long-running process in the namespace (its PID is the PID of `ip netns exec`, which execs it). */
  start(argv: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
  }

  /** Waits (bounded) for a line matching `re` on the child's stdout; rejects on exit or timeout. */
  waitFor(child: ChildProcess, re: RegExp, timeoutMs = 20_000): Promise<string> {
    return new Promise((resolve, reject) => {
      let buf = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}: ${buf}${err}`)), timeoutMs);
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout?.on('data', (d: Buffer) => {
        buf += d.toString();
        const line = buf.split('\n').find((l) => re.test(l));
        if (line) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before ${re}: ${buf}${err}`));
      });
    });
  }

  /** PIDs of processes living in the namespace. */
  pids(): number[] {
    const r = spawnSync('ip', ['netns', 'pids', this.name], { encoding: 'utf8' });
    return r.stdout.split('\n').filter(Boolean).map(Number);
  }

  /** Kills our children by PID (TERM, then KILL after a bounded wait) and deletes the namespace. */
  async destroy(): Promise<void> {
    for (const c of this.children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    }
    for (let i = 0; i < 50 && this.children.some((c) => c.exitCode === null && c.signalCode === null); i++) await sleep(20);
    for (const c of this.children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    if (this.created) spawnSync('ip', ['netns', 'del', this.name]);
    this.created = false;
  }
}
