/**
 * The default report: counts by state (netstat's names), IPv4/IPv6 totals, listeners with their
 * accept-queue fill, and the top peers and local ports per state.
 */
import { AddressDecoder, formatEndpoint, isV4MappedHex, isWildcardHex } from './addr.js';
import { backlogKey, type ListenBacklogs } from './listen-backlog.js';
import type { OwnerMap } from './processes.js';
import type { TcpSocket } from './proc-net-tcp.js';
import { STATE_NAMES, emptyCounts, type StateCounts, type StateName } from './tcp-states.js';

export interface PeerCount {
  address: string;
  count: number;
}

export interface PortCount {
  port: number;
  count: number;
}

export interface StateTop {
  peers: PeerCount[];
  localPorts: PortCount[];
}

export interface ProcessRef {
  pid: number;
  name: string;
}

export interface ListenerSummary {
  family: 4 | 6;
  address: string;
  port: number;
  endpoint: string;
  /** Connections completed and waiting for accept() (rx_queue of the LISTEN line). */
  acceptQueue: number;
  /** listen() backlog as the kernel applies it (min(backlog, somaxconn)); null when unknown. */
  backlog: number | null;
  /** Half-open connections for this listener (its SYN queue). */
  synRecv: number;
  /** Accepted-side connections on this address and port, in any state but SYN_RECV. */
  connections: number;
  inode: number;
  owners?: ProcessRef[];
}

export interface ProcessStates {
  pid: number;
  name: string;
  cmdline: string;
  total: number;
  states: Partial<StateCounts>;
}

export interface Summary {
  states: StateCounts;
  total: number;
  /** Sockets in /proc/net/tcp (ipv4) and /proc/net/tcp6 (ipv6, of which ipv4Mapped carry IPv4 peers). */
  families: { ipv4: number; ipv6: number; ipv4Mapped: number };
  /** Bytes queued over all connections (LISTEN lines excluded: their rx_queue counts connections). */
  queues: { rxBytes: number; txBytes: number };
  /** Sockets no process holds: connections waiting in an accept queue, and orphans closing alone. */
  unowned: { acceptQueued: number; orphans: number };
  listeners: ListenerSummary[];
  /** Per state with sockets (LISTEN excluded): busiest peers and local ports. */
  top: Partial<Record<StateName, StateTop>>;
  /** Per-process counts, present when process mapping ran. */
  processes?: ProcessStates[];
  processMapping?: { scanned: number; denied: number; partial: boolean };
}

export interface SummaryOptions {
  top?: number;
  backlogs?: ListenBacklogs | null;
  owners?: OwnerMap;
  decoder?: AddressDecoder;
}

const ORPHAN_STATES = new Set<StateName>(['FIN_WAIT1', 'FIN_WAIT2', 'CLOSING', 'LAST_ACK']);

function topN<K>(m: Map<K, number>, n: number): { key: K; count: number }[] {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, n)
    .map(([key, count]) => ({ key, count }));
}

/** Listener a connection belongs to: same family and port, same address or a wildcard one. */
export class ListenerIndex<L extends { localHex: string }> {
  private readonly byPort = new Map<string, L[]>();
  add(family: 4 | 6, port: number, l: L): void {
    const k = `${family}|${port}`;
    const list = this.byPort.get(k);
    if (list) list.push(l);
    else this.byPort.set(k, [l]);
  }
  find(s: TcpSocket): L | undefined {
    const list = this.byPort.get(`${s.family}|${s.localPort}`);
    if (!list) return undefined;
    return list.find((l) => l.localHex === s.localHex) ?? list.find((l) => isWildcardHex(l.localHex));
  }
}

export function summarize(sockets: readonly TcpSocket[], opts: SummaryOptions = {}): Summary {
  const n = opts.top ?? 5;
  const dec = opts.decoder ?? new AddressDecoder();
  const states = emptyCounts();
  const families = { ipv4: 0, ipv6: 0, ipv4Mapped: 0 };
  const queues = { rxBytes: 0, txBytes: 0 };
  const unowned = { acceptQueued: 0, orphans: 0 };
  const peers = new Map<StateName, Map<string, number>>();
  const ports = new Map<StateName, Map<number, number>>();
  const index = new ListenerIndex<ListenerSummary & { localHex: string }>();
  const listeners: (ListenerSummary & { localHex: string })[] = [];
  const mappedCache = new Map<string, boolean>();

  for (const s of sockets) {
    states[s.state]++;
    if (s.family === 4) families.ipv4++;
    else {
      families.ipv6++;
      let mapped = mappedCache.get(s.localHex);
      if (mapped === undefined) mappedCache.set(s.localHex, (mapped = isV4MappedHex(s.localHex)));
      if (mapped) families.ipv4Mapped++;
    }
    if (s.state === 'LISTEN') {
      const address = dec.decode(s.localHex);
      const l = {
        family: s.family,
        address,
        port: s.localPort,
        endpoint: formatEndpoint(address, s.localPort),
        acceptQueue: s.rxQueue,
        backlog: null,
        synRecv: 0,
        connections: 0,
        inode: s.inode,
        localHex: s.localHex,
      };
      listeners.push(l);
      index.add(s.family, s.localPort, l);
      continue;
    }
    queues.rxBytes += s.rxQueue;
    queues.txBytes += s.txQueue;
    if (s.inode === 0) {
      if (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT') unowned.acceptQueued++;
      else if (ORPHAN_STATES.has(s.state)) unowned.orphans++;
    }
    let pm = peers.get(s.state);
    if (!pm) peers.set(s.state, (pm = new Map()));
    pm.set(s.remoteHex, (pm.get(s.remoteHex) ?? 0) + 1);
    let lm = ports.get(s.state);
    if (!lm) ports.set(s.state, (lm = new Map()));
    lm.set(s.localPort, (lm.get(s.localPort) ?? 0) + 1);
  }

  // Attribute connections to listeners in a second pass (listeners may follow their connections).
  if (listeners.length > 0) {
    for (const s of sockets) {
      if (s.state === 'LISTEN') continue;
      const l = index.find(s);
      if (!l) continue;
      if (s.state === 'SYN_RECV') l.synRecv++;
      else l.connections++;
    }
  }

  if (opts.backlogs) {
    const used = new Map<string, number>();
    for (const l of listeners) {
      const key = backlogKey(l.address, l.port);
      const list = opts.backlogs.get(key);
      const i = used.get(key) ?? 0;
      if (list && i < list.length) {
        l.backlog = list[i]!;
        used.set(key, i + 1);
      }
    }
  }

  const top: Partial<Record<StateName, StateTop>> = {};
  for (const st of STATE_NAMES) {
    if (st === 'LISTEN' || states[st] === 0) continue;
    top[st] = {
      peers: topN(peers.get(st)!, n).map(({ key, count }) => ({ address: dec.decode(key), count })),
      localPorts: topN(ports.get(st)!, n).map(({ key, count }) => ({ port: key, count })),
    };
  }

  const summary: Summary = {
    states,
    total: sockets.length,
    families,
    queues,
    unowned,
    listeners: listeners
      .map(({ localHex: _h, ...l }) => l)
      .sort((a, b) => a.port - b.port || a.family - b.family || (a.address < b.address ? -1 : 1)),
    top,
  };

  if (opts.owners) {
    const map = opts.owners;
    const byPid = new Map<number, ProcessStates>();
    for (const s of sockets) {
      if (s.inode === 0) continue;
      const owners = map.owners.get(s.inode);
      if (!owners) continue;
      for (const pid of new Set(owners.map((o) => o.pid))) {
        let p = byPid.get(pid);
        if (!p) {
          const info = map.processes.get(pid);
          p = { pid, name: info?.name ?? '?', cmdline: info?.cmdline ?? '', total: 0, states: {} };
          byPid.set(pid, p);
        }
        p.total++;
        p.states[s.state] = (p.states[s.state] ?? 0) + 1;
      }
    }
    summary.processes = [...byPid.values()].sort((a, b) => b.total - a.total || a.pid - b.pid);
    for (const l of summary.listeners) {
      const owners = map.owners.get(l.inode);
      if (!owners) continue;
      l.owners = [...new Set(owners.map((o) => o.pid))].map((pid) => ({ pid, name: map.processes.get(pid)?.name ?? '?' }));
    }
    summary.processMapping = { scanned: map.scanned, denied: map.denied, partial: map.denied > 0 };
  }
  return summary;
}
