/**
 * Socket inode -> owning processes, the way `ss -p` and `netstat -p` find them: every
 * /proc/PID/fd/N that is a socket reads back as the link "socket:[INODE]". Socket inodes are
 * unique across network namespaces, so one scan of /proc serves any namespace.
 *
 * Reading another user's /proc/PID/fd needs root (or CAP_SYS_PTRACE); those processes are
 * counted in `denied` so callers can say the mapping is partial instead of silently missing owners.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface SocketOwner {
  pid: number;
  fd: number;
}

export interface ProcessInfo {
  pid: number;
  /** Kernel task name (/proc/PID/comm, 15 characters at most, what ss -p prints). */
  name: string;
  /** Command line with NULs turned into spaces, possibly empty for kernel threads. */
  cmdline: string;
  /** Open file descriptors, when /proc/PID/fd was readable. */
  fds?: number;
  /** Soft RLIMIT_NOFILE from /proc/PID/limits ("Too many open files" is hit there). */
  fdLimit?: number;
  /** Milliseconds since the epoch when the process started, if it could be told. */
  startedAt?: number;
}

export interface OwnerMap {
  /** Socket inode -> owners (several when a descriptor was inherited or passed). */
  owners: Map<number, SocketOwner[]>;
  /** Details for every pid that appears in `owners`. */
  processes: Map<number, ProcessInfo>;
  /** Processes whose fd table was readable. */
  scanned: number;
  /** Processes whose fd table was not readable (permission): the mapping is partial when > 0. */
  denied: number;
}

const SOCKET_PREFIX = 'socket:[';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** Kernel boot time in ms since the epoch (btime in /proc/stat), for process start times. */
function bootTimeMs(procRoot: string): number | undefined {
  const stat = readText(`${procRoot}/stat`);
  const m = stat?.match(/^btime (\d+)$/m);
  return m ? Number(m[1]) * 1000 : undefined;
}

/** USER_HZ: the unit of /proc/PID/stat's starttime. 100 on every mainstream Linux architecture. */
const CLOCK_TICKS = 100;

export function readProcessInfo(pid: number, procRoot = '/proc', bootMs = bootTimeMs(procRoot)): ProcessInfo {
  const base = `${procRoot}/${pid}`;
  const name = (readText(`${base}/comm`) ?? '?').trim();
  const cmdline = (readText(`${base}/cmdline`) ?? '').replace(/\0+$/, '').replace(/\0/g, ' ');
  const info: ProcessInfo = { pid, name, cmdline };
  try {
    info.fds = readdirSync(`${base}/fd`).length;
  } catch {
    /* not readable: leave unknown */
  }
  const limits = readText(`${base}/limits`);
  const lim = limits?.match(/^Max open files\s+(\d+|unlimited)/m);
  if (lim && lim[1] !== 'unlimited') info.fdLimit = Number(lim[1]);
  const stat = readText(`${base}/stat`);
  if (stat && bootMs !== undefined) {
    // Field 22 (starttime) counted after the ")" that closes the command name, which may hold spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(rest[19]);
    if (Number.isFinite(start)) info.startedAt = bootMs + (start / CLOCK_TICKS) * 1000;
  }
  return info;
}

/**
 * Scans /proc/PID/fd for every process. With `wanted`, only those inodes are recorded (the scan
 * itself still has to read every descriptor); process details are read only for owners found.
 */
export function mapSocketOwners(wanted?: ReadonlySet<number>, procRoot = '/proc'): OwnerMap {
  const owners = new Map<number, SocketOwner[]>();
  let scanned = 0;
  let denied = 0;
  let pids: string[];
  try {
    pids = readdirSync(procRoot);
  } catch {
    return { owners, processes: new Map(), scanned, denied };
  }
  const self = process.pid;
  for (const entry of pids) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(entry);
    if (pid === self) continue; // our own descriptors are not the host's sockets
    const dir = `${procRoot}/${entry}/fd`;
    let fds: string[];
    try {
      fds = readdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') denied++;
      continue; // ENOENT: the process exited while we looked
    }
    scanned++;
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`${dir}/${fd}`);
      } catch {
        continue;
      }
      if (!link.startsWith(SOCKET_PREFIX)) continue;
      const inode = Number(link.slice(SOCKET_PREFIX.length, -1));
      if (wanted && !wanted.has(inode)) continue;
      const list = owners.get(inode);
      const owner = { pid, fd: Number(fd) };
      if (list) list.push(owner);
      else owners.set(inode, [owner]);
    }
  }
  const processes = new Map<number, ProcessInfo>();
  const bootMs = bootTimeMs(procRoot);
  for (const list of owners.values()) {
    for (const o of list) {
      if (!processes.has(o.pid)) processes.set(o.pid, readProcessInfo(o.pid, procRoot, bootMs));
    }
  }
  return { owners, processes, scanned, denied };
}

/** "name(pid)" for the first owner, "name(pid)+2" when more processes share the socket. */
export function ownerLabel(map: OwnerMap, inode: number): string | undefined {
  const list = map.owners.get(inode);
  if (!list || list.length === 0) return undefined;
  const pids = [...new Set(list.map((o) => o.pid))];
  const p = map.processes.get(pids[0]!);
  const label = `${p?.name ?? '?'}(${pids[0]})`;
  return pids.length > 1 ? `${label}+${pids.length - 1}` : label;
}
