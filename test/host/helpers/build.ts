/** Builders for synthetic sockets and snapshots (library-level tests, independent of the machine). */
import type { TcpSocket } from '../../../src/host/proc-net-tcp.js';
import { SocketTable } from '../../../src/host/socket-table.js';
import type { Snapshot } from '../../../src/host/snapshot.js';
import type { OwnerMap, ProcessInfo } from '../../../src/host/processes.js';
import { kernelAddr } from './kernel-format.js';

/** Kernel hex of a text address ("10.0.0.1", "::1", "::ffff:10.0.0.1", "2001:db8::5"). */
export function hexOf(addr: string): string {
  if (!addr.includes(':')) return kernelAddr(addr.split('.').map(Number));
  let tail: number[] = [];
  let a = addr;
  const m = a.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (m) {
    tail = m[2]!.split('.').map(Number);
    a = `${m[1]}0:0`;
  }
  const [h, r] = a.includes('::') ? a.split('::') : [a, undefined];
  const hs = h ? h.split(':') : [];
  const rs = r ? r.split(':') : [];
  const groups = r === undefined ? hs : [...hs, ...Array(8 - hs.length - rs.length).fill('0'), ...rs];
  const bytes = groups.flatMap((g) => [(parseInt(g, 16) >> 8) & 255, parseInt(g, 16) & 255]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return kernelAddr(bytes);
}

let nextInode = 1000;

export function sock(p: Partial<TcpSocket> & { local?: string; remote?: string }): TcpSocket {
  const { local = '10.0.0.1:80', remote = '0.0.0.0:0', ...rest } = p;
  const split = (e: string) => {
    const i = e.lastIndexOf(':');
    return [e.slice(0, i).replace(/^\[|\]$/g, ''), Number(e.slice(i + 1))] as const;
  };
  const [la, lp] = split(local);
  const [ra, rp] = split(remote);
  const family = la.includes(':') ? 6 : 4;
  return {
    family,
    state: 'ESTABLISHED',
    localHex: hexOf(la),
    localPort: lp,
    remoteHex: hexOf(ra),
    remotePort: rp,
    txQueue: 0,
    rxQueue: 0,
    timer: 'none',
    timerSeconds: 0,
    retransmits: 0,
    uid: 0,
    probes: 0,
    inode: p.state === 'TIME_WAIT' || p.state === 'SYN_RECV' ? 0 : nextInode++,
    ...rest,
  };
}

export function snap(sockets: TcpSocket[], p: Partial<Snapshot> = {}): Snapshot {
  return {
    takenAt: 1_700_000_000_000,
    sockets,
    table: SocketTable.from(sockets),
    malformed: 0,
    missing: [],
    readMs: 1,
    sockstat: { TCP: { inuse: sockets.length, orphan: 0, tw: 0, alloc: sockets.length, mem: 0 } },
    counters: { TcpExt: {}, Tcp: {} },
    ...p,
  };
}

export function owners(entries: [inode: number, pid: number][], procs: ProcessInfo[], denied = 0): OwnerMap {
  const m: OwnerMap = { owners: new Map(), processes: new Map(), scanned: procs.length, denied };
  entries.forEach(([inode, pid], i) => m.owners.set(inode, [{ pid, fd: 10 + i }]));
  for (const p of procs) m.processes.set(p.pid, p);
  return m;
}

export const DEFAULT_SYSCTLS = new Map<string, string>([
  ['net.ipv4.tcp_max_tw_buckets', '262144'],
  ['net.ipv4.ip_local_port_range', '32768 60999'],
  ['net.ipv4.tcp_tw_reuse', '2'],
  ['net.ipv4.tcp_syncookies', '1'],
  ['net.ipv4.tcp_synack_retries', '5'],
  ['net.ipv4.tcp_max_syn_backlog', '4096'],
  ['net.core.somaxconn', '4096'],
  ['net.ipv4.tcp_max_orphans', '65536'],
  ['net.ipv4.tcp_fin_timeout', '60'],
]);
