/**
 * The TIME_WAIT table: what is left of a connection after both FINs, kept compact so that a busy
 * server can hold hundreds of thousands (1,000 closes a second × 60 s, or × 240 s in the classic
 * texts' 2MSL). Like Linux's inet_timewait_sock, a record keeps only what TIME_WAIT needs: the
 * 4-tuple, SND.NXT and RCV.NXT (to re-ACK a retransmitted FIN and to judge a new SYN, RFC 6191),
 * the peer's last timestamp, and the expiry time.
 *
 * Layout: struct-of-arrays in typed arrays indexed by slot (about 60 bytes a record), a chained
 * hash over the 4-tuple for O(1) lookup, and for expiry a FIFO of (slot, time): every record lives
 * exactly TIME_WAIT_MS from its last (re)start, and `now` never goes backwards, so appending keeps
 * the FIFO sorted — a timing wheel whose every timer has the same length degenerates to a queue,
 * with O(1) insert, restart and expiry and no per-entry timer. Restarted or removed records leave
 * stale FIFO entries, recognised by their time and skipped.
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

const USED = 1;
const TS_OK = 2;
const V6 = 4;

export class TimeWaitTable {
  private cap = 0;
  private count = 0;
  private free = -1;
  // per-slot fields
  private flags = new Uint8Array(0);
  private localIdx = new Uint8Array(0);
  private remote4 = new Uint32Array(0);
  private ports = new Uint32Array(0);
  private sndNxt_ = new Uint32Array(0);
  private rcvNxt_ = new Uint32Array(0);
  private tsRecent_ = new Uint32Array(0);
  private tsOffset_ = new Uint32Array(0);
  private window_ = new Uint16Array(0);
  private tsAge = new Float64Array(0);
  private expires_ = new Float64Array(0);
  private next = new Int32Array(0);
  /** IPv6 remote addresses, only for IPv6 records */
  private remote6: (IpAddr | undefined)[] = [];
  // hash buckets: slot + 1, 0 = empty
  private buckets = new Int32Array(0);
  private mask = 0;
  // expiry FIFO (ring of slot, time)
  private fifoSlot = new Int32Array(0);
  private fifoAt = new Float64Array(0);
  private fifoHead = 0;
  private fifoLen = 0;
  private readonly seed = (Math.random() * 0x7fffffff) | 0;

  get size(): number {
    return this.count;
  }

  /** A seeded hash of the 4-tuple (seeded so that remote peers cannot aim for one chain). */
  private hash(localIdx: number, remote4: number, ports: number, v6: Uint8Array | null): number {
    let h = this.seed ^ Math.imul(localIdx + 1, 0x9e3779b1);
    h = Math.imul(h ^ remote4, 0x85ebca6b);
    h = Math.imul(h ^ ports, 0xc2b2ae35);
    if (v6) for (let i = 0; i < 16; i++) h = Math.imul(h ^ v6[i]!, 0x27d4eb2d);
    h ^= h >>> 15;
    return h & this.mask;
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const g8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    const g32 = (a: Uint32Array) => {
      const b = new Uint32Array(cap);
      b.set(a);
      return b;
    };
    const g64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.flags = g8(this.flags);
    this.localIdx = g8(this.localIdx);
    this.remote4 = g32(this.remote4);
    this.ports = g32(this.ports);
    this.sndNxt_ = g32(this.sndNxt_);
    this.rcvNxt_ = g32(this.rcvNxt_);
    this.tsRecent_ = g32(this.tsRecent_);
    this.tsOffset_ = g32(this.tsOffset_);
    const w = new Uint16Array(cap);
    w.set(this.window_);
    this.window_ = w;
    this.tsAge = g64(this.tsAge);
    this.expires_ = g64(this.expires_);
    const next = new Int32Array(cap);
    next.set(this.next);
    this.next = next;
    // new slots onto the free list
    for (let i = cap - 1; i >= this.cap; i--) {
      this.next[i] = this.free;
      this.free = i;
    }
    // FIFO: at most one live entry per slot plus stale ones; size it at twice the slots
    const ringCap = cap * 2;
    const fs = new Int32Array(ringCap);
    const fa = new Float64Array(ringCap);
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
    for (let s = 0; s < this.cap; s++) {
      if (!(this.flags[s]! & USED)) continue;
      const b = this.hash(this.localIdx[s]!, this.remote4[s]!, this.ports[s]!, this.remote6[s]?.v6 ?? null);
      this.next[s] = this.buckets[b]! - 1;
      this.buckets[b] = s + 1;
    }
  }

  /** Add a record expiring at `expires`. Returns its slot. */
  insert(r: TimeWaitInit, expires: number): number {
    if (this.free < 0) this.grow();
    const s = this.free;
    this.free = this.next[s]!;
    const v6 = r.remote.version === 6;
    this.flags[s] = USED | (r.tsOk ? TS_OK : 0) | (v6 ? V6 : 0);
    this.localIdx[s] = r.localIdx;
    this.remote4[s] = v6 ? 0 : r.remote.v4;
    if (v6) this.remote6[s] = r.remote;
    this.ports[s] = ((r.localPort << 16) | r.remotePort) >>> 0;
    this.sndNxt_[s] = r.sndNxt;
    this.rcvNxt_[s] = r.rcvNxt;
    this.tsRecent_[s] = r.tsRecent;
    this.tsOffset_[s] = r.tsOffset;
    this.window_[s] = r.window;
    this.tsAge[s] = r.tsRecentAge;
    const b = this.hash(r.localIdx, this.remote4[s]!, this.ports[s]!, v6 ? r.remote.v6 : null);
    this.next[s] = this.buckets[b]! - 1;
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

  /** Drop stale FIFO entries (removed or restarted records) to make room. */
  private compactFifo(): void {
    const n = this.fifoSlot.length;
    let w = 0;
    const fs = new Int32Array(n);
    const fa = new Float64Array(n);
    for (let i = 0; i < this.fifoLen; i++) {
      const j = (this.fifoHead + i) % n;
      const s = this.fifoSlot[j]!;
      if (this.flags[s]! & USED && this.expires_[s] === this.fifoAt[j]) {
        fs[w] = s;
        fa[w] = this.fifoAt[j]!;
        w++;
      }
    }
    this.fifoSlot = fs;
    this.fifoAt = fa;
    this.fifoHead = 0;
    this.fifoLen = w;
  }

  /** The slot holding this 4-tuple, or -1. `remote` is the packet's source (v4 number or v6 bytes). */
  lookup(localIdx: number, localPort: number, remote4: number, remote6: Uint8Array | null, remotePort: number): number {
    if (this.count === 0) return -1;
    const ports = ((localPort << 16) | remotePort) >>> 0;
    const h = this.hash(localIdx, remote6 ? 0 : remote4, ports, remote6);
    for (let s = this.buckets[h]! - 1; s >= 0; s = this.next[s]!) {
      if (this.ports[s] !== ports || this.localIdx[s] !== localIdx) continue;
      if (remote6) {
        const r = this.remote6[s];
        if (r && equalBytes(r.v6!, remote6)) return s;
      } else if (!(this.flags[s]! & V6) && this.remote4[s] === remote4) {
        return s;
      }
    }
    return -1;
  }

  remove(s: number): void {
    if (!(this.flags[s]! & USED)) return;
    const b = this.hash(this.localIdx[s]!, this.remote4[s]!, this.ports[s]!, this.remote6[s]?.v6 ?? null);
    let prev = -1;
    for (let x = this.buckets[b]! - 1; x >= 0; prev = x, x = this.next[x]!) {
      if (x !== s) continue;
      if (prev < 0) this.buckets[b] = this.next[s]! + 1;
      else this.next[prev] = this.next[s]!;
      break;
    }
    this.flags[s] = 0;
    this.remote6[s] = undefined;
    this.next[s] = this.free;
    this.free = s;
    this.count--;
    if (this.count === 0) this.reset();
  }

  /** Free every array once the table is empty, so memory returns to baseline. */
  private reset(): void {
    if (this.cap <= 1024) return;
    this.cap = 0;
    this.free = -1;
    this.fifoHead = 0;
    this.fifoLen = 0;
    for (const k of ['flags', 'localIdx'] as const) this[k] = new Uint8Array(0);
    for (const k of ['remote4', 'ports', 'sndNxt_', 'rcvNxt_', 'tsRecent_', 'tsOffset_'] as const) this[k] = new Uint32Array(0);
    this.window_ = new Uint16Array(0);
    this.tsAge = new Float64Array(0);
    this.expires_ = new Float64Array(0);
    this.next = new Int32Array(0);
    this.fifoSlot = new Int32Array(0);
    this.fifoAt = new Float64Array(0);
    this.buckets = new Int32Array(0);
    this.mask = 0;
    this.remote6 = [];
  }

  /** Restart the 2MSL wait (a retransmitted FIN was re-acknowledged). */
  restart(s: number, expires: number): void {
    this.schedule(s, expires);
  }

  /** Time of the earliest expiry (exact), Infinity when empty. */
  nextExpiry(): number {
    while (this.fifoLen > 0) {
      const s = this.fifoSlot[this.fifoHead]!;
      const at = this.fifoAt[this.fifoHead]!;
      if (this.flags[s]! & USED && this.expires_[s] === at) return at;
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
    for (let guard = 0; guard < 10_000_000 && this.fifoLen > 0; guard++) {
      const s = this.fifoSlot[this.fifoHead]!;
      const at = this.fifoAt[this.fifoHead]!;
      const live = (this.flags[s]! & USED) !== 0 && this.expires_[s] === at;
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
    return (this.flags[s]! & TS_OK) !== 0;
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
    return this.localIdx[s]!;
  }
  localPort(s: number): number {
    return this.ports[s]! >>> 16;
  }
  remotePort(s: number): number {
    return this.ports[s]! & 0xffff;
  }
  /** The remote address: an IPv6 IpAddr, or the IPv4 address as a u32. */
  remote(s: number): IpAddr | number {
    return this.flags[s]! & V6 ? this.remote6[s]! : this.remote4[s]!;
  }

  /** Every live slot. */
  *slots(): IterableIterator<number> {
    for (let s = 0; s < this.cap; s++) if (this.flags[s]! & USED) yield s;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}
