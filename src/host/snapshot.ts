/** One reading of a namespace's TCP sockets and counters, taken as close together as the files allow. */
import { UsageError } from './errors.js';
import { parseCounterPairs, parseSockstat, parseSoftnetStat, type CounterGroups, type SoftnetTotals } from './proc-counters.js';
import { parseProcNetTcpInto } from './proc-net-tcp.js';
import { SocketTable } from './socket-table.js';
import type { TcpSocket } from './tcp-socket.js';
import type { ProcSource } from './proc-source.js';
import { tryReadProcText } from './read-proc.js';

export interface Snapshot {
  /** ms since the epoch when reading began. */
  takenAt: number;
  /** The sockets in columns (what the summary reads). */
  table: SocketTable;
  /** The same sockets as objects, built on first use (diagnosis). */
  readonly sockets: TcpSocket[];
  /** Lines that did not parse (should be 0; reported, never counted). */
  malformed: number;
  /** Files that could not be read (tcp6 is absent when IPv6 is disabled). */
  missing: string[];
  /** Time spent reading and parsing tcp + tcp6, ms. */
  readMs: number;
  sockstat: CounterGroups;
  /** /proc/net/netstat and /proc/net/snmp merged: { TcpExt: {...}, Tcp: {...}, ... }. */
  counters: CounterGroups;
  softnet?: SoftnetTotals;
}

export function takeSnapshot(source: ProcSource): Snapshot {
  const takenAt = Date.now();
  const t0 = performance.now();
  const missing: string[] = [];
  const table = new SocketTable();
  let malformed = 0;
  for (const [file, family] of [['tcp', 4], ['tcp6', 6]] as const) {
    const text = tryReadProcText(`${source.netDir}/${file}`);
    if (text === undefined) {
      if (file === 'tcp') throw new UsageError(`cannot read ${source.netDir}/tcp`);
      missing.push(file);
      continue;
    }
    malformed += parseProcNetTcpInto(table, text, family);
  }
  const readMs = performance.now() - t0;
  const read = (f: string) => {
    const t = tryReadProcText(`${source.netDir}/${f}`);
    if (t === undefined) missing.push(f);
    return t ?? '';
  };
  const sockstat = parseSockstat(read('sockstat'));
  const counters = { ...parseCounterPairs(read('snmp')), ...parseCounterPairs(read('netstat')) };
  const softText = tryReadProcText(`${source.netDir}/softnet_stat`);
  let objects: TcpSocket[] | undefined;
  const snap: Snapshot = {
    takenAt,
    table,
    get sockets() {
      return (objects ??= table.toSockets());
    },
    malformed,
    missing,
    readMs,
    sockstat,
    counters,
  };
  if (softText !== undefined) snap.softnet = parseSoftnetStat(softText);
  return snap;
}
