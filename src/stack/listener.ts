/**
 * A listening socket's two queues, as Linux keeps them: the SYN queue (connections in SYN_RCVD,
 * bounded by tcp_max_syn_backlog) and the accept queue (established, waiting for the application,
 * bounded by min(backlog, somaxconn)).
 */
import type { Conn } from './conn.js';
import { sysError } from '../errors.js';
import { ipSame, type IpAddr } from './ip-addr.js';
import type { TimeWaitTable } from './time-wait.js';

/**
 * A connection the stack forgets leaves its listener's queues: a half-open one the SYN queue, an
 * established one not yet accepted the accept queue (Linux's reqsk and accept queue unlinking).
 */
export function leaveListener(conn: Conn): void {
  const l = conn.listener;
  if (!l) return;
  if (conn.tcb.passive && l.synQueue > 0 && !l.acceptQueue.includes(conn)) l.synQueue--;
  const i = l.acceptQueue.indexOf(conn);
  if (i >= 0) l.acceptQueue.splice(i, 1);
  conn.listener = null;
}

export class Listener {
  /** half-open children (SYN_RCVD) */
  synQueue = 0;
  /** established children not yet handed to the application */
  readonly acceptQueue: Conn[] = [];
  closed = false;
  drainScheduled = false;
  /** when this listener last answered with a SYN cookie (cookies are honoured for a while after) */
  lastCookieAt = -Infinity;
  /** the application has paused accepting: established connections wait in the accept queue */
  paused = false;
  /** liveness: counted as an active handle (listening and not unref()'d) */
  held = false;

  constructor(
    /** null: every address of the stack (0.0.0.0 / ::) */
    readonly addr: IpAddr | null,
    readonly port: number,
    public backlog: number,
    /** hands an established connection to the application */
    readonly accept: (conn: Conn) => void,
    /**
     * Which packets a wildcard listener takes: 4 for 0.0.0.0 (IPv4 only), 6 for :: with ipv6Only,
     * 0 for a dual-stack :: (IPv4 too, as Linux's bindv6only=0). A specific address has its own family.
     */
    readonly family: 4 | 6 | 0,
    /** how a wildcard listener's address reads (0.0.0.0 or ::) */
    readonly wildcard = '0.0.0.0',
  ) {}

  /** Whether this listener takes connections to `local` (its address, or any its family allows). */
  takes(local: IpAddr): boolean {
    if (this.addr !== null) return ipSame(this.addr, local);
    return this.family === 0 || this.family === local.version;
  }

  /** Whether two listeners on one port would take some of the same connections (EADDRINUSE). */
  overlaps(addr: IpAddr | null, family: 4 | 6 | 0): boolean {
    if (this.addr !== null && addr !== null) return ipSame(this.addr, addr);
    if (this.addr !== null) return family === 0 || family === this.addr.version;
    if (addr !== null) return this.takes(addr);
    return this.family === 0 || family === 0 || this.family === family;
  }
}

/** The listening sockets of a stack, by port: one wildcard or several specific addresses each. */
export class ListenerTable {
  private readonly byPort = new Map<number, Listener[]>();

  has(port: number): boolean {
    return this.byPort.has(port);
  }

  /** The listener for a packet to `local`:`port`: a specific address first, else the wildcard. */
  find(local: IpAddr, port: number): Listener | null {
    const list = this.byPort.get(port);
    if (!list) return null;
    let wildcard: Listener | null = null;
    for (const l of list) {
      if (l.addr !== null && ipSame(l.addr, local)) return l;
      if (l.addr === null && l.takes(local)) wildcard = l;
    }
    return wildcard;
  }

  /** Whether a new listener on `addr` (null: every address) would clash with one already there. */
  clashes(addr: IpAddr | null, port: number, family: 4 | 6 | 0 = 0): boolean {
    for (const l of this.byPort.get(port) ?? []) if (l.overlaps(addr, family)) return true;
    return false;
  }

  add(l: Listener): void {
    const list = this.byPort.get(l.port) ?? [];
    list.push(l);
    this.byPort.set(l.port, list);
  }

  remove(l: Listener): void {
    const rest = (this.byPort.get(l.port) ?? []).filter((x) => x !== l);
    if (rest.length) this.byPort.set(l.port, rest);
    else this.byPort.delete(l.port);
  }

  *all(): IterableIterator<Listener> {
    for (const list of this.byPort.values()) yield* list;
  }
}

/** The error listen(2) gives, worded as Node words it: `listen EADDRINUSE: address already in use 0.0.0.0:80`. */
export function listenError(code: 'EADDRINUSE' | 'EADDRNOTAVAIL', address: string, port: number): Error {
  const err = sysError(code, 'listen', address, port);
  const why = code === 'EADDRINUSE' ? 'address already in use' : 'address not available';
  err.message = `listen ${code}: ${why} ${address}${port > 0 ? `:${port}` : ''}`;
  return err;
}

/**
 * Without SO_REUSEADDR, bind(2) refuses a port any socket still holds: a connection of the server
 * that ran before, or one of its TIME_WAIT records — the classic "httpd cannot restart within 2MSL"
 * (Linux inet_csk_bind_conflict; with SO_REUSEADDR only a listener conflicts). `addr` null is the
 * wildcard, which overlaps every address.
 */
export function portHeld(addr: IpAddr | null, port: number, conns: Iterable<Conn>, tw: TimeWaitTable, localOf: (slot: number) => IpAddr): boolean {
  for (const c of conns) if (c.localPort === port && (addr === null || ipSame(addr, c.local))) return true;
  for (const s of tw.slots()) {
    if (tw.localPort(s) === port && (addr === null || ipSame(addr, localOf(s)))) return true;
  }
  return false;
}
