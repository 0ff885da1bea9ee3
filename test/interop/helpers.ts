/**
 * Interop test support: a throwaway network namespace per test file (synack-it-<pid>-<n>), with
 * `synack serve` (the compiled CLI) attached to a TUN/TAP device inside it and the namespace's
 * kernel as the peer. Every process started is tracked by PID and killed in `destroy()`, which
 * deletes the namespace too; tests call it from afterAll, so it runs even when a test failed.
 * All traffic stays inside the namespace: addresses 10.99.x / fd00:99:: exist only there.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

let counter = 0;

/** Why interop tests cannot run here (null when they can). */
export function interopUnavailable(tools: string[] = []): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, TUN devices)';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  for (const t of ['ip', 'ss', ...tools]) {
    if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) return `${t} is not installed`;
  }
  // no check for the addon: `npm install` builds it, and without it these tests must fail, not skip
  return null;
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export class Netns {
  readonly name = `synack-it-${process.pid}-${++counter}`;
  private readonly children = new Set<ChildProcess>();
  private created = false;

  create(): this {
    const r = spawnSync('ip', ['netns', 'add', this.name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns add ${this.name}: ${r.stderr}`);
    this.created = true;
    this.sync(['ip', 'link', 'set', 'lo', 'up']);
    return this;
  }

  /** Run to completion inside the namespace, synchronously (for quick commands only). */
  sync(argv: string[], timeoutMs = 10_000): string {
    const r = spawnSync('ip', ['netns', 'exec', this.name, ...argv], { encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} (exit ${r.status}): ${r.stderr || r.error?.message || ''}`);
    return r.stdout;
  }

  /** Run inside the namespace, asynchronously, bounded by `timeoutMs`; stdin given, empty, or left open. */
  run(argv: string[], opts: { input?: Buffer | string; timeoutMs?: number; stdinOpen?: boolean } = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = execFile(
        'ip',
        ['netns', 'exec', this.name, ...argv],
        { encoding: 'buffer', timeout: opts.timeoutMs ?? 30_000, maxBuffer: 256 * 1024 * 1024, killSignal: 'SIGKILL' },
        (err, stdout, stderr) => {
          this.children.delete(child);
          const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
          resolve({ code: typeof code === 'number' ? code : null, stdout, stderr: stderr.toString() });
        },
      );
      this.children.add(child);
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else if (!opts.stdinOpen) child.stdin?.end();
    });
  }

  /** Start a long-running process in the namespace (`ip netns exec` execs it: same PID). */
  start(argv: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Start `synack serve` on a TUN (or TAP) device in the namespace and wait for its ready line. */
  async serve(args: string[], timeoutMs = 30_000): Promise<Served> {
    const child = this.start([process.execPath, CLI, 'serve', ...args]);
    const out = new Output(child);
    await out.waitFor(/^synack serve: .* on (tun|tap) /, timeoutMs);
    return { child, out };
  }

  /** Kill every process we started (by PID) and delete the namespace. Safe to call twice. */
  async destroy(): Promise<void> {
    for (const c of this.children) {
      if (c.exitCode === null && c.pid) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    const waits = [...this.children].map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))));
    await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, 3000))]);
    this.children.clear();
    if (this.created) {
      // what our processes started in the namespace (socat's forked children, say) goes too
      const r = spawnSync('ip', ['netns', 'pids', this.name], { encoding: 'utf8' });
      for (const pid of (r.stdout ?? '').split('\n').filter(Boolean).map(Number)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      spawnSync('ip', ['netns', 'del', this.name]);
      this.created = false;
    }
  }
}

export interface Served {
  child: ChildProcess;
  out: Output;
}

/** Collects a child's stdout/stderr and waits for lines on it. */
export class Output {
  text = '';
  err = '';
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.text += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.err += d.toString()));
  }

  waitFor(re: RegExp, timeoutMs = 20_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = this.text.split('\n').find((l) => re.test(l));
        if (line !== undefined) {
          cleanup();
          resolve(line);
          return true;
        }
        return false;
      };
      const onData = (): void => void check();
      const onExit = (code: number | null): void => {
        if (check()) return;
        cleanup();
        reject(new Error(`exited (${code}) before ${re}:\n${this.text}\n${this.err}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}:\n${this.text}\n${this.err}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.child.stdout?.off('data', onData);
        this.child.off('exit', onExit);
      };
      this.child.stdout?.on('data', onData);
      this.child.once('exit', onExit);
      check();
    });
  }

  /** Wait (bounded) for the process to exit; resolves with its exit code. */
  exit(timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`did not exit within ${timeoutMs} ms:\n${this.text}\n${this.err}`)), timeoutMs);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }
}

/** Read one Prometheus sample, e.g. metric(text, 'synack_tcp_connections', 'state="TIME_WAIT"'). */
export function metric(text: string, name: string, labels = ''): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name && (labels === '' || (m[2] ?? '').includes(labels))) return Number(m[3]);
  }
  return NaN;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
