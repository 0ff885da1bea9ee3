/** Small helpers shared by the checks: numbers, sysctls, counters, connection keys, owners. */
import { formatEndpoint } from '../addr.js';
import { counter } from '../proc-counters.js';
import type { TcpSocket } from '../proc-net-tcp.js';
import type { ProcessInfo } from '../processes.js';
import type { Context } from './types.js';

export function n(x: number): string {
  return x.toLocaleString('en-US');
}

export function pct(part: number, whole: number): string {
  if (whole <= 0) return '?';
  const p = (100 * part) / whole;
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)}%`;
}

export function bytes(b: number): string {
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / 1024 / 1024).toFixed(1)} MiB`;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

/** A sysctl as a number, or undefined when absent or not numeric. */
export function sysctlNum(ctx: Context, key: string): number | undefined {
  const v = ctx.sysctls.get(key);
  if (v === undefined) return undefined;
  const x = Number(v.split(' ')[0]);
  return Number.isFinite(x) ? x : undefined;
}

export function portRange(ctx: Context): { lo: number; hi: number; size: number } | undefined {
  const v = ctx.sysctls.get('net.ipv4.ip_local_port_range');
  const m = v?.match(/^(\d+)\s+(\d+)$/);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return { lo, hi, size: hi - lo + 1 };
}

/** A counter now, and its change since `before` when there is one. */
export function counterDelta(ctx: Context, group: string, name: string): { total: number; delta?: number } {
  const total = counter(ctx.now.counters, group, name);
  if (!ctx.before) return { total };
  return { total, delta: total - counter(ctx.before.counters, group, name) };
}

export function describeCounter(name: string, c: { total: number; delta?: number }, interval: number): string {
  const since = `${n(c.total)} since the namespace started`;
  return c.delta === undefined ? `${name}: ${since}` : `${name}: +${n(c.delta)} in the last ${interval.toFixed(1)} s (${since})`;
}

export { connKey } from '../conn-key.js';

export function localEndpoint(ctx: Context, s: TcpSocket): string {
  return formatEndpoint(ctx.dec.decode(s.localHex), s.localPort);
}

export function remoteEndpoint(ctx: Context, s: TcpSocket): string {
  return formatEndpoint(ctx.dec.decode(s.remoteHex), s.remotePort);
}

/** Pids owning a socket inode (deduplicated), [] when unknown. */
export function ownersOf(ctx: Context, inode: number): number[] {
  if (inode === 0 || !ctx.owners) return [];
  const list = ctx.owners.owners.get(inode);
  return list ? [...new Set(list.map((o) => o.pid))] : [];
}

export function processLabel(p: ProcessInfo | undefined, pid: number): string {
  return `${p?.name ?? '?'} (pid ${pid})`;
}

/** "31 open fds of 1024 allowed; running 2m13s; cmd: node server.js" as far as known. */
export function processDetails(p: ProcessInfo | undefined, nowMs: number): string {
  if (!p) return 'process details unavailable';
  const parts: string[] = [];
  if (p.fds !== undefined) parts.push(p.fdLimit !== undefined ? `${n(p.fds)} open fds of ${n(p.fdLimit)} allowed` : `${n(p.fds)} open fds`);
  if (p.startedAt !== undefined) parts.push(`running ${duration((nowMs - p.startedAt) / 1000)}`);
  if (p.cmdline) parts.push(`cmd: ${p.cmdline.length > 80 ? `${p.cmdline.slice(0, 77)}...` : p.cmdline}`);
  return parts.join('; ');
}

/** Top-k of a count map as "key (count)" text. */
export function topText<K>(m: Map<K, number>, k: number, label: (key: K) => string): string {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([key, c]) => `${label(key)} (${n(c)})`)
    .join(', ');
}

export function bump<K>(m: Map<K, number>, key: K, by = 1): void {
  m.set(key, (m.get(key) ?? 0) + by);
}
