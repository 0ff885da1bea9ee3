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
  /** next connection in the same demux bucket */
  next: Conn | null = null;
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

/** Demultiplexing by 4-tuple: a Map from the two ports to a short chain compared by address. */
/**
 * The demux bucket of a port pair: both ports in one signed 32-bit integer, which V8 keeps
 * unboxed (localPort × 65536 + remotePort is 2^31 or more for every ephemeral local port, and
 * such a number is a heap-allocated double each time it is made).
 */
function portPairKey(localPort: number, remotePort: number): number {
  return (localPort << 16) | remotePort;
}

export class ConnTable {
  private readonly buckets = new Map<number, Conn>();
  size = 0;

  /** The connection with this 4-tuple (the remote as a packet carries it: v4 number or v6 bytes), or null. */
  find(local: IpAddr, localPort: number, remote4: number, remote6: Uint8Array | null, remotePort: number): Conn | null {
    for (let c = this.buckets.get(portPairKey(localPort, remotePort)) ?? null; c !== null; c = c.next) {
      if (ipEquals(c.remote, remote4, remote6) && ipSame(c.local, local)) return c;
    }
    return null;
  }

  insert(conn: Conn): void {
    const key = conn.key;
    conn.next = this.buckets.get(key) ?? null;
    this.buckets.set(key, conn);
    this.size++;
  }

  remove(conn: Conn): void {
    const key = conn.key;
    let c = this.buckets.get(key) ?? null;
    let prev: Conn | null = null;
    while (c !== null && c !== conn) {
      prev = c;
      c = c.next;
    }
    if (c === null) return;
    if (prev === null) {
      if (conn.next === null) this.buckets.delete(key);
      else this.buckets.set(key, conn.next);
    } else {
      prev.next = conn.next;
    }
    conn.next = null;
    this.size--;
  }

  *all(): IterableIterator<Conn> {
    for (const head of this.buckets.values()) {
      for (let c: Conn | null = head; c !== null; c = c.next) yield c;
    }
  }
}
