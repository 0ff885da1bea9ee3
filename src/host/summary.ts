/**
 * The default report: counts by state (netstat's names), IPv4/IPv6 totals, listeners with their
 * accept-queue fill, and the top peers and local ports per state.
 */
import { AddressDecoder, formatEndpoint, isV4MappedHex, isWildcardHex } from './addr.js';
import { backlogKey, type ListenBacklogs } from './listen-backlog.js';
import type { OwnerMap } from './processes.js';
import { SocketTable } from './socket-table.js';
import type { TcpSocket } from './tcp-socket.js';
import { STATE_NAMES, codeOfState, emptyCounts, type StateCounts, type StateName } from './tcp-states.js';

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

const LISTEN = codeOfState('LISTEN');
const SYN_RECV = codeOfState('SYN_RECV');
const ESTABLISHED = codeOfState('ESTABLISHED');
const CLOSE_WAIT = codeOfState('CLOSE_WAIT');
const ORPHAN_CODES = new Set(['FIN_WAIT1', 'FIN_WAIT2', 'CLOSING', 'LAST_ACK'].map((st) => codeOfState(st as StateName)));

/** The n largest counts of a map in one pass (a map may hold 100,000 distinct peers). */
function topN<K>(m: Map<K, number>, n: number): { key: K; count: number }[] {
  const out: { key: K; count: number }[] = [];
  for (const [key, count] of m) {
    if (out.length < n) out.push({ key, count });
    else if (count > out[n - 1]!.count) out[n - 1] = { key, count };
    else continue;
    out.sort((a, b) => b.count - a.count);
  }
  return out;
}

/** Top ports of a 65,536-slot count array, busiest first, ties by port. */
function topPorts(counts: Uint32Array, n: number): PortCount[] {
  const out: PortCount[] = [];
  for (let port = 0; port < counts.length; port++) {
    const count = counts[port]!;
    if (count === 0) continue;
    if (out.length < n) out.push({ port, count });
    else if (count > out[n - 1]!.count) out[n - 1] = { port, count };
    else continue;
    out.sort((a, b) => b.count - a.count || a.port - b.port);
  }
  return out;
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

type Listener = ListenerSummary & { addrId: number };

export function summarize(input: SocketTable | readonly TcpSocket[], opts: SummaryOptions = {}): Summary {
  const t = input instanceof SocketTable ? input : SocketTable.from(input);
  const n = opts.top ?? 5;
  const dec = opts.decoder ?? new AddressDecoder();
  const counts = new Array<number>(12).fill(0);
  const families = { ipv4: 0, ipv6: 0, ipv4Mapped: 0 };
  const queues = { rxBytes: 0, txBytes: 0 };
  const unowned = { acceptQueued: 0, orphans: 0 };
  const peers: (Map<number, number> | undefined)[] = [];
  const ports: (Uint32Array | undefined)[] = [];
  const mapped: (boolean | undefined)[] = [];
  const wildcard = t.addrs.map((h) => isWildcardHex(h));
  const listeners: Listener[] = [];
  const byPort = new Map<number, Listener[]>(); // family * 65536 + port

  for (let i = 0; i < t.n; i++) {
    const code = t.state[i]!;
    counts[code]!++;
    if (t.family[i] === 4) families.ipv4++;
    else {
      families.ipv6++;
      const a = t.local[i]!;
      let m = mapped[a];
      if (m === undefined) mapped[a] = m = isV4MappedHex(t.addrs[a]!);
      if (m) families.ipv4Mapped++;
    }
    if (code === LISTEN) {
      const address = dec.decode(t.addrs[t.local[i]!]!);
      const port = t.localPort[i]!;
      const l: Listener = {
        family: t.family[i] as 4 | 6,
        address,
        port,
        endpoint: formatEndpoint(address, port),
        acceptQueue: t.rx[i]!,
        backlog: null,
        synRecv: 0,
        connections: 0,
        inode: t.inode[i]!,
        addrId: t.local[i]!,
      };
      listeners.push(l);
      const k = t.family[i]! * 65536 + port;
      const list = byPort.get(k);
      if (list) list.push(l);
      else byPort.set(k, [l]);
      continue;
    }
    queues.rxBytes += t.rx[i]!;
    queues.txBytes += t.tx[i]!;
    if (t.inode[i] === 0) {
      if (code === ESTABLISHED || code === CLOSE_WAIT) unowned.acceptQueued++;
      else if (ORPHAN_CODES.has(code)) unowned.orphans++;
    }
    let pm = peers[code];
    if (!pm) peers[code] = pm = new Map();
    const r = t.remote[i]!;
    pm.set(r, (pm.get(r) ?? 0) + 1);
    let pc = ports[code];
    if (!pc) ports[code] = pc = new Uint32Array(65536);
    pc[t.localPort[i]!]!++;
  }

  // Attribute connections to listeners in a second pass (listeners may follow their connections).
  if (listeners.length > 0) {
    for (let i = 0; i < t.n; i++) {
      const code = t.state[i]!;
      if (code === LISTEN) continue;
      const list = byPort.get(t.family[i]! * 65536 + t.localPort[i]!);
      if (!list) continue;
      const a = t.local[i]!;
      const l = list.find((x) => x.addrId === a) ?? list.find((x) => wildcard[x.addrId]);
      if (!l) continue;
      if (code === SYN_RECV) l.synRecv++;
      else l.connections++;
    }
  }

  if (opts.backlogs) {
    const used = new Map<string, number>();
    for (const l of listeners) {
      const key = backlogKey(l.address, l.port);
      const list = opts.backlogs.get(key);
      const k = used.get(key) ?? 0;
      if (list && k < list.length) {
        l.backlog = list[k]!;
        used.set(key, k + 1);
      }
    }
  }

  const states = emptyCounts();
  STATE_NAMES.forEach((st, k) => (states[st] = counts[k + 1]!));
  const top: Partial<Record<StateName, StateTop>> = {};
  STATE_NAMES.forEach((st, k) => {
    const code = k + 1;
    if (code === LISTEN || counts[code] === 0) return;
    top[st] = {
      peers: topN(peers[code]!, n).map(({ key, count }) => ({ address: dec.decode(t.addrs[key]!), count })),
      localPorts: topPorts(ports[code]!, n),
    };
  });
  // Ties in peers sort by address id (first seen); make them deterministic by text instead.
  for (const st of Object.keys(top) as StateName[]) {
    top[st]!.peers.sort((a, b) => b.count - a.count || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  const summary: Summary = {
    states,
    total: t.n,
    families,
    queues,
    unowned,
    listeners: listeners
      .map(({ addrId: _a, ...l }) => l)
      .sort((a, b) => a.port - b.port || a.family - b.family || (a.address < b.address ? -1 : 1)),
    top,
  };

  if (opts.owners) {
    const map = opts.owners;
    const byPid = new Map<number, ProcessStates>();
    for (let i = 0; i < t.n; i++) {
      const inode = t.inode[i]!;
      if (inode === 0) continue;
      const owners = map.owners.get(inode);
      if (!owners) continue;
      const st = STATE_NAMES[t.state[i]! - 1]!;
      for (const pid of new Set(owners.map((o) => o.pid))) {
        let p = byPid.get(pid);
        if (!p) {
          const info = map.processes.get(pid);
          p = { pid, name: info?.name ?? '?', cmdline: info?.cmdline ?? '', total: 0, states: {} };
          byPid.set(pid, p);
        }
        p.total++;
        p.states[st] = (p.states[st] ?? 0) + 1;
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
