/**
 * Entering a named network namespace (`ip netns add NAME` creates /run/netns/NAME) without setns,
 * which Node does not offer: we start a child we own, `ip netns exec NAME cat`, wait until its
 * /proc/PID/ns/net is that namespace, then read /proc/PID/net/* (the files a process sees are those
 * of its own namespace). The child is killed by PID when done; its stdin is a pipe from us, so
 * even if we are killed outright it reads end-of-file and exits (a `sleep N` would linger).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync, statSync } from 'node:fs';
import { UsageError } from './errors.js';

const NETNS_DIRS = ['/run/netns', '/var/run/netns'];

/** Path of the namespace's bind mount, or undefined when no such namespace exists. */
export function netnsPath(name: string): string | undefined {
  if (!/^[A-Za-z0-9_.@:+-]+$/.test(name) || name === '.' || name === '..') return undefined;
  for (const dir of NETNS_DIRS) {
    try {
      statSync(`${dir}/${name}`);
      return `${dir}/${name}`;
    } catch {
      /* try the next */
    }
  }
  return undefined;
}

export interface NetnsHandle {
  name: string;
  /** PID of the helper living in the namespace. */
  pid: number;
  /** /proc/PID/net of the helper: the namespace's tcp, tcp6, netstat, snmp, sockstat. */
  netDir: string;
  close(): void;
}

function nsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

function linkInode(pid: number): number | undefined {
  try {
    const m = readlinkSync(`/proc/${pid}/ns/net`).match(/\[(\d+)\]/);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Enters `name`. Throws UsageError for an unknown name or when entering is not permitted. */
export async function enterNetns(name: string): Promise<NetnsHandle> {
  const path = netnsPath(name);
  if (!path) throw new UsageError(`unknown network namespace "${name}" (see: ip netns list)`);
  const want = nsInode(path);
  const child: ChildProcess = spawn('ip', ['netns', 'exec', name, 'cat'], { stdio: ['pipe', 'ignore', 'pipe'] });
  child.stdin?.on('error', () => {}); // EPIPE if it is already gone
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let spawnError: Error | undefined;
  child.on('error', (e) => (spawnError = e));
  const kill = () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  };
  process.once('exit', kill);
  const close = () => {
    kill();
    process.removeListener('exit', kill);
    child.stdin?.destroy();
    child.stderr?.destroy();
  };
  // Bounded wait: 300 polls of 10 ms.
  for (let i = 0; i < 300; i++) {
    if (spawnError) {
      close();
      throw new UsageError(`cannot enter network namespace "${name}": ${spawnError.message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      close();
      const why = stderr.trim().split('\n')[0] || `ip exited with ${child.exitCode ?? child.signalCode}`;
      throw new UsageError(`cannot enter network namespace "${name}": ${why}`);
    }
    if (child.pid !== undefined && want !== undefined && linkInode(child.pid) === want) {
      const pid = child.pid;
      child.unref();
      for (const s of [child.stdin, child.stderr] as ({ unref?: () => void } | null)[]) s?.unref?.();
      return { name, pid, netDir: `/proc/${pid}/net`, close };
    }
    await delay(10);
  }
  close();
  throw new UsageError(`cannot enter network namespace "${name}": timed out waiting for ip netns exec`);
}
