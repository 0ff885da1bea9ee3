/**
 * Start a process in a network namespace for the benchmarks that need real peers (tun, gateway):
 * `ip netns exec NS argv...`, remembered in `children` (the caller kills them by PID when done), and
 * resolved once its output matches `ready` (at once when `ready` is null).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export function spawnInNs(
  children: ChildProcess[],
  ns: string,
  argv: string[],
  ready: RegExp | null,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  if (ready === null) return Promise.resolve(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} not ready: ${out}`)), timeoutMs);
    const on = (d: Buffer): void => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} exited ${code}: ${out}`));
    });
  });
}
