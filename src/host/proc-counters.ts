/**
 * Parsers for the counter files next to /proc/net/tcp:
 * - /proc/net/netstat and /proc/net/snmp: pairs of lines, "TcpExt: Name1 Name2..." then
 *   "TcpExt: 1 2...". Counters are cumulative since the namespace was created (nstat shows deltas).
 * - /proc/net/sockstat: "TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1" (mem in pages).
 * - /proc/net/softnet_stat: one hex row per CPU; column 2 counts packets dropped because the
 *   per-CPU input queue (net.core.netdev_max_backlog) was full.
 */

export type CounterGroups = Record<string, Record<string, number>>;

/**
 * Parses netstat/snmp style files into { TcpExt: { ListenOverflows: 6, ... }, Tcp: {...} }.
 * A line of names is remembered per group; the next all-numeric line of that group gives the
 * values. A group whose two lines disagree in length is left out rather than misaligned.
 */
export function parseCounterPairs(text: string): CounterGroups {
  const out: CounterGroups = {};
  const names = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.length < 2 || !words[0]!.endsWith(':')) continue;
    const group = words[0]!.slice(0, -1);
    const rest = words.slice(1);
    const numeric = rest.every((w) => /^-?\d+$/.test(w));
    if (!numeric) {
      names.set(group, rest);
      continue;
    }
    const header = names.get(group);
    names.delete(group);
    if (!header || header.length !== rest.length) continue;
    const g: Record<string, number> = (out[group] ??= {});
    header.forEach((name, k) => (g[name] = Number(rest[k])));
  }
  return out;
}

/** Parses /proc/net/sockstat into { sockets: { used }, TCP: { inuse, orphan, tw, alloc, mem }, ... }. */
export function parseSockstat(text: string): CounterGroups {
  const out: CounterGroups = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const group = line.slice(0, colon).trim();
    const words = line.slice(colon + 1).trim().split(/\s+/);
    const g: Record<string, number> = {};
    for (let k = 0; k + 1 < words.length; k += 2) {
      const v = Number(words[k + 1]);
      if (Number.isFinite(v)) g[words[k]!] = v;
    }
    out[group] = g;
  }
  return out;
}

export interface SoftnetTotals {
  cpus: number;
  processed: number;
  /** Packets dropped because the CPU's input backlog (netdev_max_backlog) was full. */
  dropped: number;
  /** Times net_rx_action ran out of budget/time with work left (netdev_budget). */
  timeSqueeze: number;
}

export function parseSoftnetStat(text: string): SoftnetTotals {
  const t: SoftnetTotals = { cpus: 0, processed: 0, dropped: 0, timeSqueeze: 0 };
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 3 || cols[0] === '') continue;
    t.cpus++;
    t.processed += Number.parseInt(cols[0]!, 16) || 0;
    t.dropped += Number.parseInt(cols[1]!, 16) || 0;
    t.timeSqueeze += Number.parseInt(cols[2]!, 16) || 0;
  }
  return t;
}

/** A counter or 0 when absent (older kernels lack some, e.g. TCPReqQFullDrop). */
export function counter(groups: CounterGroups, group: string, name: string): number {
  return groups[group]?.[name] ?? 0;
}
