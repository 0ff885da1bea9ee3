/**
 * The stack's record of one connection: its 4-tuple, its TCB, and who uses it. It is also the
 * entry the stack's timer heap orders by the TCB's next deadline, and a link in the demux chain,
 * so a connection costs one object here and no closures.
 */
import type { HeapEntry } from '../time/heap.js';
import type { Tcb, TcbErrorCode } from '../tcp/tcb.js';
import { ipEquals, ipSame, type IpAddr } from './ip-addr.js';
import type { Listener } from './listener.js';

/** What the socket layer wants to hear about its connection. */
export interface ConnUser {
  onEstablished(): void;
  onReadable(): void;
  onWritable(): void;
  onError(code: TcbErrorCode): void;
  /** The TCB reached CLOSED (or was handed back to LISTEN and dropped). */
  onClosed(): void;
}

export const NOTIFY_ESTABLISHED = 1;
export const NOTIFY_READABLE = 2;
export const NOTIFY_WRITABLE = 4;
export const NOTIFY_ERROR = 8;
export const NOTIFY_CLOSED = 16;

const LIVE_REFD = 1;
const LIVE_READING = 2;
const LIVE_HELD = 4;
const GONE = 8;

export class Conn implements HeapEntry {
  // timer heap entry
  at = Infinity;
  seq = 0;
  index = -1;
  /** next connection in the same demux slot (ConnTable) */
  next: Conn | null = null;
  /** neighbours in the table's order of iteration (ConnTable.all) */
  prevInOrder: Conn | null = null;
  nextInOrder: Conn | null = null;
  /** the listener that spawned this passive connection, until it is accepted */
  listener: Listener | null = null;
  user: ConnUser | null = null;
  /** notifications for the user, delivered after the TCB call in progress returns (NOTIFY_* bits) */
  notify = 0;
  pendingError: TcbErrorCode | null = null;
  /** liveness bits (stack/liveness.ts) and `gone`, one field for four flags: an idle connection stays small */
  private live = 0;
  tcb!: Tcb;

  /** set once the stack has forgotten the connection */
  get gone(): boolean {
    return (this.live & GONE) !== 0;
  }
  set gone(v: boolean) {
    this.live = v ? this.live | GONE : this.live & ~GONE;
  }

  /** liveness: the user keeps the process alive for it (not unref()'d) */
  get refd(): boolean {
    return (this.live & LIVE_REFD) !== 0;
  }
  set refd(v: boolean) {
    this.live = v ? this.live | LIVE_REFD : this.live & ~LIVE_REFD;
  }
  /** liveness: the user wants to read (Node's handle is reading) */
  get reading(): boolean {
    return (this.live & LIVE_READING) !== 0;
  }
  set reading(v: boolean) {
    this.live = v ? this.live | LIVE_READING : this.live & ~LIVE_READING;
  }
  /** liveness: counted as an active handle right now */
  get held(): boolean {
    return (this.live & LIVE_HELD) !== 0;
  }
  set held(v: boolean) {
    this.live = v ? this.live | LIVE_HELD : this.live & ~LIVE_HELD;
  }

  constructor(
    readonly local: IpAddr,
    readonly remote: IpAddr,
  ) {}

  /** the ports are the TCB's (set right after construction, before anything reads them) */
  get localPort(): number {
    return this.tcb.localPort;
  }
  get remotePort(): number {
    return this.tcb.remotePort;
  }

  get key(): number {
    return portPairKey(this.localPort, this.remotePort);
  }
}

/**
 * The demux key of a port pair: both ports in one signed 32-bit integer, which V8 keeps unboxed
 * (localPort × 65536 + remotePort is 2^31 or more for every ephemeral local port, and such a
 * number is a heap-allocated double each time it is made).
 */
function portPairKey(localPort: number, remotePort: number): number {
  return (localPort << 16) | remotePort;
}

/** the slot of a port pair's key among 2^k (mixed: a client's keys differ in the high half only) */
function slotOf(key: number, mask: number): number {
  let h = Math.imul(key ^ (key >>> 16), 0x45d9f3b);
  h ^= h >>> 16;
  return h & mask;
}

const MIN_SLOTS = 64;

/**
 * Demultiplexing by 4-tuple (Linux's established hash): a table of 2^k slots by the two ports,
 * each a chain through `Conn.next` compared by address — no Map entry, no allocation per
 * connection. The table grows past one connection per slot and shrinks below a quarter.
 *
 * `all()` lists the connections in the order a Map from port pair to chain gave them, which the
 * socket table (`ss`) and a closing listener's resets follow: port pairs in the order they first
 * appeared (again after their last connection left), and within one, newest first. A list through
 * `prevInOrder`/`nextInOrder` keeps that order: a connection whose port pair is in use goes just
 * before the newest one with it, any other at the end.
 */
export class ConnTable {
  private slots: (Conn | null)[] = new Array<Conn | null>(MIN_SLOTS).fill(null);
  private mask = MIN_SLOTS - 1;
  private first: Conn | null = null;
  private last: Conn | null = null;
  size = 0;

  /** The connection with this 4-tuple (the remote as a packet carries it: v4 number or v6 bytes), or null. */
  find(local: IpAddr, localPort: number, remote4: number, remote6: Uint8Array | null, remotePort: number): Conn | null {
    const key = portPairKey(localPort, remotePort);
    for (let c = this.slots[slotOf(key, this.mask)] as Conn | null; c !== null; c = c.next) {
      if (c.key === key && ipEquals(c.remote, remote4, remote6) && ipSame(c.local, local)) return c;
    }
    return null;
  }

  insert(conn: Conn): void {
    const key = conn.key;
    const i = slotOf(key, this.mask);
    // the newest connection with this port pair: the first in the slot's chain (newest first)
    let newest = this.slots[i] as Conn | null;
    while (newest !== null && newest.key !== key) newest = newest.next;
    conn.next = this.slots[i] as Conn | null;
    this.slots[i] = conn;
    if (newest !== null) this.linkBefore(conn, newest);
    else this.append(conn);
    if (++this.size > this.mask + 1) this.resize((this.mask + 1) * 2);
  }

  remove(conn: Conn): void {
    const i = slotOf(conn.key, this.mask);
    let c = this.slots[i] as Conn | null;
    let prev: Conn | null = null;
    while (c !== null && c !== conn) {
      prev = c;
      c = c.next;
    }
    if (c === null) return;
    if (prev === null) this.slots[i] = conn.next;
    else prev.next = conn.next;
    conn.next = null;
    const p = conn.prevInOrder;
    const n = conn.nextInOrder;
    if (p === null) this.first = n;
    else p.nextInOrder = n;
    if (n === null) this.last = p;
    else n.prevInOrder = p;
    conn.prevInOrder = conn.nextInOrder = null;
    this.size--;
    if (this.size < (this.mask + 1) >> 2 && this.mask + 1 > MIN_SLOTS) this.resize((this.mask + 1) >> 1);
  }

  *all(): IterableIterator<Conn> {
    for (let c = this.first; c !== null; c = c.nextInOrder) yield c;
  }

  private append(conn: Conn): void {
    conn.prevInOrder = this.last;
    conn.nextInOrder = null;
    if (this.last === null) this.first = conn;
    else this.last.nextInOrder = conn;
    this.last = conn;
  }

  private linkBefore(conn: Conn, at: Conn): void {
    const p = at.prevInOrder;
    conn.prevInOrder = p;
    conn.nextInOrder = at;
    at.prevInOrder = conn;
    if (p === null) this.first = conn;
    else p.nextInOrder = conn;
  }

  /** Rebuild the chains in `n` slots, each newest first as before (the order list is newest first per port pair). */
  private resize(n: number): void {
    const slots = new Array<Conn | null>(n).fill(null);
    const mask = n - 1;
    for (let c = this.last; c !== null; c = c.prevInOrder) {
      const i = slotOf(c.key, mask);
      c.next = slots[i] as Conn | null;
      slots[i] = c;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
