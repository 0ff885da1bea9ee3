/**
 * Listen backlogs. /proc/net/tcp shows a listener's accept-queue length (rx_queue) but not its
 * backlog (the kernel prints tx_queue 0 for LISTEN); only the sock_diag netlink interface reports
 * it, as ss's Send-Q column. Node has no netlink sockets, so we ask `ss -ltn` for listeners only
 * (cheap even with 100,000 connections) and fall back to "unknown" when ss is missing.
 */
import { spawn } from 'node:child_process';

/** Key `address|port` (address as addr.ts prints it; wildcard "0.0.0.0" or "::") -> backlogs. */
export type ListenBacklogs = Map<string, number[]>;

export function backlogKey(address: string, port: number): string {
  return `${address}|${port}`;
}

/** Parses `ss -ltnH` output: "LISTEN 0 511 127.0.0.1:80 0.0.0.0:*", "[::1]:22", "*:443", "127.0.0.53%lo:53". */
export function parseSsListeners(text: string): ListenBacklogs {
  const out: ListenBacklogs = new Map();
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || cols[0] !== 'LISTEN') continue;
    const backlog = Number(cols[2]);
    const local = cols[3]!;
    const colon = local.lastIndexOf(':');
    if (colon < 0 || !Number.isFinite(backlog)) continue;
    const port = Number(local.slice(colon + 1));
    let address = local.slice(0, colon).replace(/^\[/, '').replace(/\]$/, '');
    const pct = address.indexOf('%');
    if (pct >= 0) address = address.slice(0, pct);
    if (address === '*') address = '::'; // ss prints a dual-stack IPv6 wildcard as "*"
    const key = backlogKey(address, port);
    const list = out.get(key);
    if (list) list.push(backlog);
    else out.set(key, [backlog]);
  }
  return out;
}

/**
 * Runs `ss -ltnH`, optionally behind a prefix such as ["ip", "netns", "exec", NAME]; null if
 * unusable. Asynchronous so it runs while /proc/net/tcp is being read. Bounded to 5 s.
 */
export function readListenBacklogs(prefix: readonly string[] = []): Promise<ListenBacklogs | null> {
  const argv = [...prefix, 'ss', '-ltnH'];
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => {
      if (child.pid !== undefined) child.kill('SIGKILL');
    }, 5000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? parseSsListeners(out) : null);
    });
  });
}
