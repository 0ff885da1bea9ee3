/**
 * IP reassembly: RFC 1122 §3.3.2 ("a host MUST be able to reassemble") for IPv4 (RFC 791 §3.2,
 * RFC 815) and RFC 8200 §4.5 for IPv6, bounded in memory and in time the way Linux's
 * inet_fragment.c bounds it, with Linux's tunables:
 *
 *  - A datagram is identified by (source, destination, protocol, ID) for IPv4 and (source,
 *    destination, ID) for IPv6. Its fragments are held sorted by offset, never overlapping.
 *  - Time: an incomplete datagram lives `ipfrag_time` (30 s) / `ip6frag_time` (60 s) from its first
 *    fragment's arrival; then it is discarded, with an ICMP Time Exceeded, code 1, only when its
 *    fragment zero had arrived (RFC 792, RFC 1122 §3.3.2, RFC 8200 §4.5).
 *  - Memory: every held fragment is charged its data plus a fixed overhead (the objects that hold
 *    it), as Linux charges skb->truesize, and every datagram its record. Above `ipfrag_high_thresh`
 *    (4 MiB) datagrams are evicted, oldest first, from the source that holds the most, until memory
 *    is back at `ipfrag_low_thresh` (3 MiB): a flood from one source evicts its own datagrams before
 *    anyone else's. (Linux before 4.17 evicted the globally oldest down to low_thresh; since 4.17 it
 *    refuses every fragment above high_thresh, which lets a flood lock everyone out for ipfrag_time.)
 *  - Overlaps: RFC 5722 (IPv6) — the whole datagram is discarded, and so are its fragments still to
 *    come (the record stays, empty, until it would have timed out). IPv4 follows the same rule, as
 *    Linux has since 4.19 (commit 7969e5c40dfd, "ip: discard IPv4 datagrams with overlapping
 *    segments"): RFC 1858 §4 asks that no overlap rewrite a header, and discarding every overlap is
 *    the rule that cannot get that wrong. An exact duplicate (same offset and end) is dropped alone
 *    (RFC 8200 §4.5 allows it; Linux does the same).
 *  - Disorder per source (IPv4, Linux's ipfrag_max_dist, 64): every fragment from a source is
 *    numbered; a datagram that has seen more than ipfrag_max_dist of its source's fragments go by
 *    since its own last one is restarted (its fragments dropped, its timer reset), as Linux's
 *    ip_frag_too_far / ip_frag_reinit do: a source's stale datagrams do not wait out ipfrag_time.
 *  - Inconsistent datagrams are discarded as Linux's ip_frag_queue does: a second last fragment
 *    with another end, or data beyond the end a last fragment set.
 *
 * Every fragment that does not end in a delivered datagram is counted once in the stack's drops,
 * under the reason it was discarded for. Time comes from the stack's clock only.
 */
import type { Sysctl } from '../tcp/sysctl.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { TimerHeap, type HeapEntry } from '../time/heap.js';
import { assembleIPv4, assembleIPv6, type Fragment } from '../wire/fragment.js';

/** Bytes charged per held fragment beyond its data: the record, the array and their headers. */
export const FRAGMENT_OVERHEAD = 256;
/** Bytes charged per datagram being reassembled: its record, key and the first fragment's headers. */
export const DATAGRAM_OVERHEAD = 1024;

/** What reassembly needs from the IP layer. */
export interface ReassemblyHost {
  readonly clock: Clock;
  readonly sysctl: Readonly<Pick<Sysctl, 'ipfrag_high_thresh' | 'ipfrag_low_thresh' | 'ipfrag_time' | 'ipfrag_max_dist' | 'ip6frag_high_thresh' | 'ip6frag_low_thresh' | 'ip6frag_time'>>;
  /** count `n` discarded fragments under `reason` */
  drop(reason: string, n?: number): void;
  /** a whole datagram, rebuilt */
  deliver(packet: Uint8Array): void;
  /** reassembly timed out with fragment zero in hand: `first` is that fragment as it arrived */
  timeExceeded(first: Uint8Array): void;
}

export interface ReassemblyCounters {
  /** fragments taken in (not counting those refused before reaching a datagram) */
  fragments: number;
  datagrams: number;
  timeouts: number;
  evictions: number;
  overlaps: number;
}

/** One held fragment: [start, end) in the datagram. */
interface Piece {
  start: number;
  end: number;
  data: Uint8Array;
}

/** A datagram being reassembled; it is its own timer-heap entry. */
class Datagram implements HeapEntry {
  at = 0;
  seq = 0;
  index = -1;
  pieces: Piece[] = [];
  /** bytes of data held */
  received = 0;
  /** the datagram's length, once its last fragment has arrived; -1 before */
  total = -1;
  /** fragment zero's headers as they arrived (its data is the first piece): for the rebuilt header and the ICMP quote */
  first: Uint8Array | null = null;
  /** IPv6: where in `first` the Next Header that names the Fragment header is, and what the Fragment header named */
  nextHeaderAt = -1;
  nextHeader = 0;
  headerLength = 0;
  charged = DATAGRAM_OVERHEAD;
  /** an overlap was seen: RFC 5722, everything of this datagram is discarded until it expires */
  dead = false;
  /** removed from its family */
  gone = false;
  /** its source's fragment count at its last fragment (ipfrag_max_dist) */
  rid = 0;
  /** neighbours in its source's arrival order */
  prev: Datagram | null = null;
  next: Datagram | null = null;
  constructor(
    readonly key: string,
    readonly source: string,
    readonly version: 4 | 6,
  ) {}
}

/** One source's datagrams in arrival order: a doubly linked list through the datagrams themselves. */
class Holder {
  bytes = 0;
  count = 0;
  /** fragments seen from this source (Linux's inet_peer rid) */
  rid = 0;
  head: Datagram | null = null;
  tail: Datagram | null = null;

  add(d: Datagram): void {
    d.prev = this.tail;
    d.next = null;
    if (this.tail) this.tail.next = d;
    else this.head = d;
    this.tail = d;
    this.count++;
  }

  unlink(d: Datagram): void {
    if (d.prev) d.prev.next = d.next;
    else this.head = d.next;
    if (d.next) d.next.prev = d.prev;
    else this.tail = d.prev;
    d.prev = d.next = null;
    this.count--;
  }
}

/** One address family's datagrams and memory. */
class Family {
  readonly byKey = new Map<string, Datagram>();
  readonly bySource = new Map<string, Holder>();
  memory = 0;
}

export class Reassembly {
  readonly counters: ReassemblyCounters = { fragments: 0, datagrams: 0, timeouts: 0, evictions: 0, overlaps: 0 };
  private readonly v4 = new Family();
  private readonly v6 = new Family();
  private readonly timers = new TimerHeap<Datagram>();
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;

  constructor(private readonly host: ReassemblyHost) {}

  /** Bytes charged for the datagrams being reassembled, per family. */
  memory(version: 4 | 6): number {
    return (version === 4 ? this.v4 : this.v6).memory;
  }

  /** Datagrams being reassembled (both families). */
  get pending(): number {
    return this.v4.byKey.size + this.v6.byKey.size;
  }

  /** Take one fragment (already checked by the IP layer: its length rules, its size bound). */
  add(pkt: Uint8Array, f: Fragment): void {
    this.take(pkt, f);
    // one clock timer, for the earliest deadline of what is still held
    this.armTimer();
  }

  private take(pkt: Uint8Array, f: Fragment): void {
    const fam = f.version === 4 ? this.v4 : this.v6;
    const sc = this.host.sysctl;
    const high = f.version === 4 ? sc.ipfrag_high_thresh : sc.ip6frag_high_thresh;
    const source = f.version === 4 ? String(f.src4) : hex(f.src6!);
    const key =
      f.version === 4 ? `${f.src4} ${f.dst4} ${f.protocol} ${f.id}` : `${source} ${hex(f.dst6!)} ${f.id}`;
    let d = fam.byKey.get(key);
    if (d?.dead) {
      // RFC 5722: "all the constituent fragments, including those not yet received, MUST be silently discarded"
      this.host.drop('ip_frag_overlap');
      return;
    }
    const len = f.dataEnd - f.dataStart;
    const end = f.offset + len;
    const charge = len + FRAGMENT_OVERHEAD + (d ? 0 : DATAGRAM_OVERHEAD) + (f.offset === 0 ? f.dataStart : 0);
    if (high === 0 || charge > high) {
      this.host.drop('ip_frag_memory');
      return;
    }
    if (fam.memory + charge > high) {
      const low = f.version === 4 ? sc.ipfrag_low_thresh : sc.ip6frag_low_thresh;
      this.evict(fam, Math.min(low, high - charge));
      if (d && !fam.byKey.has(key)) {
        // its own datagram was the one to go
        this.host.drop('ip_frag_memory');
        return;
      }
    }
    this.counters.fragments++;
    if (!d) {
      d = new Datagram(key, source, f.version);
      const time = f.version === 4 ? sc.ipfrag_time : sc.ip6frag_time;
      d.at = this.host.clock.now() + time * 1000;
      fam.byKey.set(key, d);
      let s = fam.bySource.get(source);
      if (!s) fam.bySource.set(source, (s = new Holder()));
      s.add(d);
      s.bytes += DATAGRAM_OVERHEAD;
      fam.memory += DATAGRAM_OVERHEAD;
      this.timers.push(d);
    } else if (f.version === 4 && sc.ipfrag_max_dist > 0 && d.pieces.length > 0) {
      const seen = fam.bySource.get(source)!.rid + 1 - d.rid;
      if (seen > sc.ipfrag_max_dist) this.restart(fam, d, sc.ipfrag_time);
    }
    const holder = fam.bySource.get(source)!;
    d.rid = ++holder.rid;

    // Linux's ip_frag_queue / ip6_frag_queue: the last fragment fixes the length; nothing may contradict it
    if (!f.more) {
      if ((d.total >= 0 && end !== d.total) || end < this.highestEnd(d)) return this.kill(fam, d, 'ip_frag_inconsistent', 1);
      d.total = end;
    } else if (d.total >= 0 && end > d.total) {
      return this.kill(fam, d, 'ip_frag_inconsistent', 1);
    }

    // find where it goes: the first piece that starts after it
    const pieces = d.pieces;
    let lo = 0;
    let hi = pieces.length;
    if (hi > 0 && pieces[hi - 1]!.start <= f.offset) lo = hi; // in order: the usual case
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pieces[mid]!.start <= f.offset) lo = mid + 1;
      else hi = mid;
    }
    const prev = lo > 0 ? pieces[lo - 1]! : null;
    const next = lo < pieces.length ? pieces[lo]! : null;
    if (prev && prev.start === f.offset && prev.end === end) {
      this.host.drop('ip_frag_duplicate');
      return;
    }
    if ((prev && prev.end > f.offset) || (next && next.start < end)) {
      this.counters.overlaps++;
      this.bury(fam, d, 1);
      return;
    }

    pieces.splice(lo, 0, { start: f.offset, end, data: pkt.slice(f.dataStart, f.dataEnd) });
    d.received += len;
    let c = len + FRAGMENT_OVERHEAD;
    if (f.offset === 0) {
      d.first = pkt.slice(0, f.dataStart);
      d.headerLength = f.headerLength;
      d.nextHeaderAt = f.nextHeaderAt;
      d.nextHeader = f.protocol;
      c += f.dataStart;
    }
    this.charge(fam, d, c);

    if (d.total >= 0 && d.received === d.total && d.first !== null) this.complete(fam, d);
  }

  private highestEnd(d: Datagram): number {
    const n = d.pieces.length;
    return n === 0 ? 0 : d.pieces[n - 1]!.end;
  }

  private complete(fam: Family, d: Datagram): void {
    const data = new Uint8Array(d.total);
    for (const p of d.pieces) data.set(p.data, p.start);
    const first = d.first!;
    this.remove(fam, d);
    this.counters.datagrams++;
    const whole =
      d.version === 4
        ? assembleIPv4(first, data)
        : assembleIPv6(first.subarray(0, d.headerLength), d.nextHeaderAt, d.nextHeader, data);
    this.host.deliver(whole);
  }

  private charge(fam: Family, d: Datagram, bytes: number): void {
    d.charged += bytes;
    fam.memory += bytes;
    fam.bySource.get(d.source)!.bytes += bytes;
  }

  /** Discard a datagram and count its fragments (plus `extra` arriving now) under `reason`. */
  private kill(fam: Family, d: Datagram, reason: string, extra: number): void {
    const n = d.pieces.length + extra;
    this.remove(fam, d);
    if (n > 0) this.host.drop(reason, n);
  }

  /**
   * RFC 5722: an overlap discards the datagram's fragments, held and to come. The record stays,
   * empty and charged only its own overhead, until it would have timed out.
   */
  private bury(fam: Family, d: Datagram, extra: number): void {
    const n = d.pieces.length + extra;
    const freed = d.charged - DATAGRAM_OVERHEAD;
    fam.memory -= freed;
    fam.bySource.get(d.source)!.bytes -= freed;
    d.charged = DATAGRAM_OVERHEAD;
    d.pieces = [];
    d.received = 0;
    d.first = null;
    d.dead = true;
    this.host.drop('ip_frag_overlap', n);
  }

  /** ipfrag_max_dist: drop what the datagram holds and start it again, timer included (Linux's ip_frag_reinit). */
  private restart(fam: Family, d: Datagram, seconds: number): void {
    const n = d.pieces.length;
    const freed = d.charged - DATAGRAM_OVERHEAD;
    fam.memory -= freed;
    fam.bySource.get(d.source)!.bytes -= freed;
    d.charged = DATAGRAM_OVERHEAD;
    d.pieces = [];
    d.received = 0;
    d.total = -1;
    d.first = null;
    this.timers.remove(d);
    d.at = this.host.clock.now() + seconds * 1000;
    this.timers.push(d);
    this.host.drop('ip_frag_too_far', n);
  }

  private remove(fam: Family, d: Datagram): void {
    fam.byKey.delete(d.key);
    this.timers.remove(d);
    const s = fam.bySource.get(d.source);
    if (s && !d.gone) {
      d.gone = true;
      s.bytes -= d.charged;
      s.unlink(d);
      if (s.count === 0) fam.bySource.delete(d.source);
    }
    fam.memory -= d.charged;
    d.charged = DATAGRAM_OVERHEAD;
    d.pieces = [];
    d.received = 0;
    d.first = null;
  }

  /**
   * Above the high threshold: the oldest datagram of the source holding the most goes, again and
   * again, until memory is down to `target`. The holders are sorted once; one that shrinks sinks
   * past those now larger, one that empties leaves (so a flood of one datagram per spoofed source
   * costs a sort per eviction round, not a scan per datagram).
   */
  private evict(fam: Family, target: number): void {
    const holders = [...fam.bySource.values()].sort((x, y) => y.bytes - x.bytes);
    let top = 0;
    while (fam.memory > target && top < holders.length) {
      const h = holders[top]!;
      const oldest = h.head;
      if (oldest === null) {
        top++;
        continue;
      }
      this.counters.evictions++;
      this.kill(fam, oldest, 'ip_frag_evicted', 0);
      for (let j = top; j + 1 < holders.length && h.count > 0 && holders[j + 1]!.bytes > h.bytes; j++) {
        holders[j] = holders[j + 1]!;
        holders[j + 1] = h;
      }
    }
  }

  private armTimer(): void {
    const next = this.timers.peek()?.at ?? Infinity;
    if (next === this.timerAt) return;
    if (this.timer) this.host.clock.cancel(this.timer);
    this.timer = null;
    this.timerAt = next;
    if (next !== Infinity) this.timer = this.host.clock.schedule(next, () => this.onTimer());
  }

  private onTimer(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.host.clock.now();
    for (let d = this.timers.peek(); d !== undefined && d.at <= now; d = this.timers.peek()) {
      const fam = d.version === 4 ? this.v4 : this.v6;
      const first = d.dead || d.first === null ? null : concat(d.first, d.pieces[0]!.data);
      if (!d.dead) this.counters.timeouts++;
      this.kill(fam, d, 'ip_frag_timeout', 0);
      // RFC 792 / RFC 1122 §3.3.2 / RFC 8200 §4.5: Time Exceeded only when fragment zero had arrived
      if (first) this.host.timeExceeded(first);
    }
    this.armTimer();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return s;
}
