/**
 * The TIME_WAIT table: what is left of a connection after both FINs, kept compact so that a busy
 * server can hold hundreds of thousands (1,000 closes a second × 60 s, or × 240 s in the classic
 * texts' 2MSL). Like Linux's inet_timewait_sock, a record keeps only what TIME_WAIT needs: the
 * 4-tuple, SND.NXT and RCV.NXT (to re-ACK a retransmitted FIN and to judge a new SYN, RFC 6191),
 * the peer's last timestamp, the window to advertise, and the expiry time.
 *
 * Layout: struct-of-arrays in typed arrays indexed by slot. What a lookup compares (ports, remote
 * address, local address and flags, chain link) sits together in one Uint32Array, four words a
 * record, so a lookup touches the bucket and then one cache line per record in its chain. The
 * hash is seeded per table so that remote peers cannot aim for one chain.
 *
 * Expiry: every record lives exactly TIME_WAIT_MS from its last (re)start and `now` never goes
 * backwards, so appending (slot, time) to a FIFO keeps it sorted — a timing wheel whose timers all
 * have the same length degenerates to a queue, with O(1) insert, restart and expiry and no timer
 * object per entry. Restarted or removed records leave stale FIFO entries, recognised and skipped.
 */
import type { IpAddr } from './ip-addr.js';

export interface TimeWaitInit {
  localIdx: number;
  local: IpAddr;
  localPort: number;
  remote: IpAddr;
  remotePort: number;
  sndNxt: number;
  rcvNxt: number;
  tsOk: boolean;
  tsRecent: number;
  tsRecentAge: number;
  tsOffset: number;
  /** the window field of our last ACK, repeated in TIME_WAIT's ACKs */
  window: number;
}

// key record: [ports, remote4, meta, next + 1]
const K = 4;
const K_PORTS = 0;
const K_REMOTE = 1;
const K_META = 2;
const K_NEXT = 3;
// meta bits
const USED = 1;
const TS_OK = 2;
const V6 = 4;

export class TimeWaitTable {
  private cap = 0;
  private count = 0;
  /** head of the free-slot list, -1 when full */
  private free = -1;
  private key = new Uint32Array(0);
  private sndNxt_ = new Uint32Array(0);
  private rcvNxt_ = new Uint32Array(0);
  private tsRecent_ = new Uint32Array(0);
  private tsOffset_ = new Uint32Array(0);
  private window_ = new Uint16Array(0);
  private tsAge = new Float64Array(0);
  private expires_ = new Float64Array(0);
  /** IPv6 remote addresses, only for IPv6 records */
  private remote6: (IpAddr | undefined)[] = [];
  /** hash buckets: slot + 1, 0 = empty */
  private buckets = new Int32Array(0);
  private mask = 0;
  // expiry FIFO, a ring of (slot, time)
  private fifoSlot = new Int32Array(0);
  private fifoAt = new Float64Array(0);
  private fifoHead = 0;
  private fifoLen = 0;
  private readonly seed = (Math.random() * 0x7fffffff) | 0;

  get size(): number {
    return this.count;
  }

  private hash(meta: number, remote4: number, ports: number, v6: Uint8Array | null): number {
    let h = this.seed ^ Math.imul((meta >>> 8) + 1, 0x9e3779b1);
    h = Math.imul(h ^ remote4, 0x85ebca6b);
    h = Math.imul(h ^ ports, 0xc2b2ae35);
    if (v6) for (let i = 0; i < 16; i++) h = Math.imul(h ^ v6[i]!, 0x27d4eb2d);
    h ^= h >>> 15;
    return h & this.mask;
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const key = new Uint32Array(cap * K);
    key.set(this.key);
    this.key = key;
    this.sndNxt_ = grown32(this.sndNxt_, cap);
    this.rcvNxt_ = grown32(this.rcvNxt_, cap);
    this.tsRecent_ = grown32(this.tsRecent_, cap);
    this.tsOffset_ = grown32(this.tsOffset_, cap);
    const w = new Uint16Array(cap);
    w.set(this.window_);
    this.window_ = w;
    this.tsAge = grown64(this.tsAge, cap);
    this.expires_ = grown64(this.expires_, cap);
    for (let s = cap - 1; s >= this.cap; s--) {
      this.key[s * K + K_NEXT] = this.free + 1;
      this.free = s;
    }
    // the FIFO holds at most one live entry per slot plus stale ones (restarted or removed
    // records); a quarter more than the slots leaves compactFifo at least cap/4 to reclaim each time
    // it runs, so it stays amortized O(1)
    const fifoCap = cap + (cap >> 2);
    const fs = new Int32Array(fifoCap);
    const fa = new Float64Array(fifoCap);
    for (let i = 0; i < this.fifoLen; i++) {
      const j = (this.fifoHead + i) % this.fifoSlot.length;
      fs[i] = this.fifoSlot[j]!;
      fa[i] = this.fifoAt[j]!;
    }
    this.fifoSlot = fs;
    this.fifoAt = fa;
    this.fifoHead = 0;
    this.cap = cap;
    this.rehash(cap * 2);
  }

  private rehash(nb: number): void {
    this.buckets = new Int32Array(nb);
    this.mask = nb - 1;
    const k = this.key;
    for (let s = 0; s < this.cap; s++) {
      const o = s * K;
      if (!(k[o + K_META]! & USED)) continue;
      const b = this.hash(k[o + K_META]!, k[o + K_REMOTE]!, k[o + K_PORTS]!, this.remote6[s]?.v6 ?? null);
      k[o + K_NEXT] = this.buckets[b]!;
      this.buckets[b] = s + 1;
    }
  }

  /** Add a record expiring at `expires`. Returns its slot. */
  insert(r: TimeWaitInit, expires: number): number {
    if (this.free < 0) this.grow();
    const s = this.free;
    const o = s * K;
    const k = this.key;
    this.free = k[o + K_NEXT]! - 1;
    const v6 = r.remote.version === 6;
    const meta = USED | (r.tsOk ? TS_OK : 0) | (v6 ? V6 : 0) | (r.localIdx << 8);
    k[o + K_PORTS] = ((r.localPort << 16) | r.remotePort) >>> 0;
    k[o + K_REMOTE] = v6 ? 0 : r.remote.v4;
    k[o + K_META] = meta;
    if (v6) this.remote6[s] = r.remote;
    this.sndNxt_[s] = r.sndNxt;
    this.rcvNxt_[s] = r.rcvNxt;
    this.tsRecent_[s] = r.tsRecent;
    this.tsOffset_[s] = r.tsOffset;
    this.window_[s] = r.window;
    this.tsAge[s] = r.tsRecentAge;
    const b = this.hash(meta, k[o + K_REMOTE]!, k[o + K_PORTS]!, v6 ? r.remote.v6 : null);
    k[o + K_NEXT] = this.buckets[b]!;
    this.buckets[b] = s + 1;
    this.count++;
    this.schedule(s, expires);
    return s;
  }

  private schedule(s: number, at: number): void {
    this.expires_[s] = at;
    if (this.fifoLen === this.fifoSlot.length) this.compactFifo();
    const j = (this.fifoHead + this.fifoLen) % this.fifoSlot.length;
    this.fifoSlot[j] = s;
    this.fifoAt[j] = at;
    this.fifoLen++;
  }

  private live(s: number, at: number): boolean {
    return (this.key[s * K + K_META]! & USED) !== 0 && this.expires_[s] === at;
  }

  /** Drop stale FIFO entries (removed or restarted records) to make room. */
  private compactFifo(): void {
    const n = this.fifoSlot.length;
    const fs = new Int32Array(n);
    const fa = new Float64Array(n);
    let w = 0;
    for (let i = 0; i < this.fifoLen; i++) {
      const j = (this.fifoHead + i) % n;
      if (!this.live(this.fifoSlot[j]!, this.fifoAt[j]!)) continue;
      fs[w] = this.fifoSlot[j]!;
      fa[w] = this.fifoAt[j]!;
      w++;
    }
    this.fifoSlot = fs;
    this.fifoAt = fa;
    this.fifoHead = 0;
    this.fifoLen = w;
  }

  /** The slot holding this 4-tuple, or -1. The remote is the packet's source (v4 number, or v6 bytes). */
  lookup(localIdx: number, localPort: number, remote4: number, remote6: Uint8Array | null, remotePort: number): number {
    if (this.count === 0) return -1;
    const ports = ((localPort << 16) | remotePort) >>> 0;
    const r4 = remote6 ? 0 : remote4 >>> 0;
    const k = this.key;
    for (let s = this.buckets[this.hash(localIdx << 8, r4, ports, remote6)]! - 1; s >= 0; s = k[s * K + K_NEXT]! - 1) {
      const o = s * K;
      if (k[o + K_PORTS] !== ports || k[o + K_REMOTE] !== r4 || k[o + K_META]! >>> 8 !== localIdx) continue;
      const isV6 = (k[o + K_META]! & V6) !== 0;
      if (!remote6 && !isV6) return s;
      if (remote6 && isV6 && equal16(this.remote6[s]!.v6!, remote6)) return s;
    }
    return -1;
  }

  remove(s: number): void {
    const k = this.key;
    const o = s * K;
    if (!(k[o + K_META]! & USED)) return;
    const b = this.hash(k[o + K_META]!, k[o + K_REMOTE]!, k[o + K_PORTS]!, this.remote6[s]?.v6 ?? null);
    let prev = -1;
    for (let x = this.buckets[b]! - 1; x >= 0; prev = x, x = k[x * K + K_NEXT]! - 1) {
      if (x !== s) continue;
      if (prev < 0) this.buckets[b] = k[o + K_NEXT]!;
      else k[prev * K + K_NEXT] = k[o + K_NEXT]!;
      break;
    }
    k[o + K_META] = 0;
    this.remote6[s] = undefined;
    k[o + K_NEXT] = this.free + 1;
    this.free = s;
    this.count--;
    if (this.count === 0) this.release();
  }

  /** An empty table gives its arrays back, so memory returns to the baseline. */
  private release(): void {
    if (this.cap <= 1024) return;
    this.cap = 0;
    this.free = -1;
    this.key = new Uint32Array(0);
    this.sndNxt_ = new Uint32Array(0);
    this.rcvNxt_ = new Uint32Array(0);
    this.tsRecent_ = new Uint32Array(0);
    this.tsOffset_ = new Uint32Array(0);
    this.window_ = new Uint16Array(0);
    this.tsAge = new Float64Array(0);
    this.expires_ = new Float64Array(0);
    this.remote6 = [];
    this.buckets = new Int32Array(0);
    this.mask = 0;
    this.fifoSlot = new Int32Array(0);
    this.fifoAt = new Float64Array(0);
    this.fifoHead = 0;
    this.fifoLen = 0;
  }

  /** Restart the 2MSL wait (a retransmitted FIN was re-acknowledged). */
  restart(s: number, expires: number): void {
    this.schedule(s, expires);
  }

  /** Time of the earliest expiry (exact), Infinity when empty. */
  nextExpiry(): number {
    while (this.fifoLen > 0) {
      const at = this.fifoAt[this.fifoHead]!;
      if (this.live(this.fifoSlot[this.fifoHead]!, at)) return at;
      this.pop();
    }
    return Infinity;
  }

  private pop(): void {
    this.fifoHead = (this.fifoHead + 1) % this.fifoSlot.length;
    this.fifoLen--;
  }

  /** Remove every record due by `now`, calling `onExpire(slot)` before each removal. */
  expire(now: number, onExpire: (slot: number) => void): void {
    for (let guard = 0; guard < 100_000_000 && this.fifoLen > 0; guard++) {
      const s = this.fifoSlot[this.fifoHead]!;
      const at = this.fifoAt[this.fifoHead]!;
      const live = this.live(s, at);
      if (live && at > now) return;
      this.pop();
      if (live) {
        onExpire(s);
        this.remove(s);
      }
    }
  }

  // --- record fields ---
  sndNxt(s: number): number {
    return this.sndNxt_[s]!;
  }
  rcvNxt(s: number): number {
    return this.rcvNxt_[s]!;
  }
  tsOk(s: number): boolean {
    return (this.key[s * K + K_META]! & TS_OK) !== 0;
  }
  tsRecent(s: number): number {
    return this.tsRecent_[s]!;
  }
  tsRecentAge(s: number): number {
    return this.tsAge[s]!;
  }
  tsOffset(s: number): number {
    return this.tsOffset_[s]!;
  }
  window(s: number): number {
    return this.window_[s]!;
  }
  expires(s: number): number {
    return this.expires_[s]!;
  }
  localIndex(s: number): number {
    return this.key[s * K + K_META]! >>> 8;
  }
  localPort(s: number): number {
    return this.key[s * K + K_PORTS]! >>> 16;
  }
  remotePort(s: number): number {
    return this.key[s * K + K_PORTS]! & 0xffff;
  }
  /** The remote address: an IPv6 IpAddr, or the IPv4 address as a u32. */
  remote(s: number): IpAddr | number {
    return this.key[s * K + K_META]! & V6 ? this.remote6[s]! : this.key[s * K + K_REMOTE]!;
  }

  /** Every live slot. */
  *slots(): IterableIterator<number> {
    for (let s = 0; s < this.cap; s++) if (this.key[s * K + K_META]! & USED) yield s;
  }
}

function grown32(a: Uint32Array, cap: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(cap);
  b.set(a);
  return b;
}

function grown64(a: Float64Array, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

function equal16(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}
