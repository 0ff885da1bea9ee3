/**
 * Parser for /proc/net/tcp and /proc/net/tcp6 (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c).
 *
 * Every line after the header is one socket; the first ten whitespace-separated fields are shared
 * by its three shapes (full sockets, TIME_WAIT minisockets, SYN_RECV request sockets):
 *
 *   sl  local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
 *
 * Addresses are hex words in host byte order (see addr.ts), ports are hex, st is the state code,
 * queues are hex byte counts (for LISTEN, rx_queue is the accept-queue length), tr is the pending
 * timer (0 none, 1 retransmit, 2 keepalive/FIN_WAIT2, 3 TIME_WAIT, 4 zero-window probe) and
 * tm->when its expiry in USER_HZ ticks (1/100 s), retrnsmt the consecutive timeouts (SYN-ACK
 * retransmissions for SYN_RECV), timeout the unanswered probes, inode 0 when no process owns the
 * socket (TIME_WAIT, SYN_RECV, orphans, connections still in an accept queue).
 */
import { SocketTable } from './socket-table.js';
import { stateFromCode } from './tcp-states.js';
import type { TcpSocket } from './tcp-socket.js';

export { TIMER_KINDS, type TcpSocket, type TimerKind } from './tcp-socket.js';

export interface ParseResult {
  sockets: TcpSocket[];
  /** Lines that did not have the kernel's shape (kept out of every count, reported). */
  malformed: number;
}

const SPACE = 32;
const TAB = 9;
const COLON = 58;

/**
 * Start/end offsets of the first `max` whitespace-separated fields of text[from, to). Works on the
 * whole file's text with offsets so that a 100,000-line file makes no per-line strings.
 */
function fields(text: string, from: number, to: number, starts: number[], ends: number[], max: number): number {
  let n = 0;
  let i = from;
  while (n < max) {
    let c = 0;
    while (i < to && ((c = text.charCodeAt(i)) === SPACE || c === TAB)) i++;
    if (i >= to) break;
    starts[n] = i;
    while (i < to && (c = text.charCodeAt(i)) !== SPACE && c !== TAB) i++;
    ends[n] = i;
    n++;
  }
  return n;
}

/** Strict hex of text[from, to): NaN for an empty range, more than 16 digits, or any non-hex digit. */
function hexAt(text: string, from: number, to: number): number {
  if (to <= from || to - from > 16) return Number.NaN;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return Number.NaN;
    v = v * 16 + d;
  }
  return v;
}

/** Strict unsigned decimal of text[from, to) (uid, timeout, inode), NaN otherwise. "-1" is not valid here. */
function decAt(text: string, from: number, to: number): number {
  if (to <= from || to - from > 20) return Number.NaN;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return Number.NaN;
    v = v * 10 + (c - 48);
  }
  return v;
}

function isHexRange(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function indexIn(text: string, ch: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === ch) return i;
  return -1;
}

/**
 * Parses one /proc/net/tcp{,6} text into `table` (appending) and returns the number of malformed
 * lines. `family` says which file it came from (4 for tcp, 6 for tcp6). The header line is
 * recognised and skipped; malformed lines are counted, not thrown.
 */
export function parseProcNetTcpInto(table: SocketTable, text: string, family: 4 | 6): number {
  let malformed = 0;
  // Lines are at least ~100 characters (149 for tcp): reserve once for the upper bound.
  table.reserve(Math.ceil(text.length / 100) + 1);
  const st: number[] = new Array(10).fill(0);
  const en: number[] = new Array(10).fill(0);
  const addrLen = family === 4 ? 8 : 32;
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    const from = pos;
    pos = nl + 1;
    const n = fields(text, from, nl, st, en, 10);
    if (n === 0) continue;
    if (en[0]! - st[0]! === 2 && text.startsWith('sl', st[0]!)) continue; // header
    if (n < 10 || text.charCodeAt(en[0]! - 1) !== COLON) {
      malformed++;
      continue;
    }
    const code = hexAt(text, st[3]!, en[3]!);
    const state = stateFromCode(code);
    const qc = indexIn(text, COLON, st[4]!, en[4]!);
    const tc = indexIn(text, COLON, st[5]!, en[5]!);
    if (
      state === undefined ||
      en[1]! - st[1]! !== addrLen + 5 ||
      en[2]! - st[2]! !== addrLen + 5 ||
      text.charCodeAt(st[1]! + addrLen) !== COLON ||
      text.charCodeAt(st[2]! + addrLen) !== COLON ||
      qc < 0 ||
      tc < 0 ||
      !isHexRange(text, st[1]!, st[1]! + addrLen) ||
      !isHexRange(text, st[2]!, st[2]! + addrLen)
    ) {
      malformed++;
      continue;
    }
    // IPv4 addresses are interned by value (no string per line); IPv6 ones by their text.
    const local = family === 4 ? table.intern4(hexAt(text, st[1]!, st[1]! + 8), text, st[1]!) : table.intern(text.slice(st[1]!, st[1]! + 32));
    const remote = family === 4 ? table.intern4(hexAt(text, st[2]!, st[2]! + 8), text, st[2]!) : table.intern(text.slice(st[2]!, st[2]! + 32));
    const localPort = hexAt(text, st[1]! + addrLen + 1, en[1]!);
    const remotePort = hexAt(text, st[2]! + addrLen + 1, en[2]!);
    const txQueue = hexAt(text, st[4]!, qc);
    const rxQueue = hexAt(text, qc + 1, en[4]!);
    const timerCode = hexAt(text, st[5]!, tc);
    const when = hexAt(text, tc + 1, en[5]!);
    const retransmits = hexAt(text, st[6]!, en[6]!);
    const uid = decAt(text, st[7]!, en[7]!);
    const probes = decAt(text, st[8]!, en[8]!);
    const inode = decAt(text, st[9]!, en[9]!);
    if (
      Number.isNaN(localPort) ||
      Number.isNaN(remotePort) ||
      Number.isNaN(txQueue) ||
      Number.isNaN(rxQueue) ||
      Number.isNaN(timerCode) ||
      Number.isNaN(when) ||
      Number.isNaN(retransmits) ||
      Number.isNaN(uid) ||
      Number.isNaN(probes) ||
      Number.isNaN(inode)
    ) {
      malformed++;
      continue;
    }
    table.reserve(1);
    const i = table.n++;
    table.family[i] = family;
    table.state[i] = code === 0x0c ? 3 : code; // NEW_SYN_RECV prints as SYN_RECV
    table.local[i] = local;
    table.remote[i] = remote;
    table.localPort[i] = localPort;
    table.remotePort[i] = remotePort;
    table.tx[i] = txQueue;
    table.rx[i] = rxQueue;
    table.timer[i] = timerCode <= 4 ? timerCode : 0;
    table.when[i] = when;
    table.retransmits[i] = retransmits;
    table.uid[i] = uid;
    table.probes[i] = probes;
    table.inode[i] = inode;
  }
  return malformed;
}

/** Convenience for small inputs and tests: parse one file into socket objects. */
export function parseProcNetTcp(text: string, family: 4 | 6): ParseResult {
  const table = new SocketTable();
  const malformed = parseProcNetTcpInto(table, text, family);
  return { sockets: table.toSockets(), malformed };
}
