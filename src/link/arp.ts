/**
 * ARP (RFC 826) for IPv4 over Ethernet, and a small neighbour cache shared with IPv6 neighbour
 * discovery: entries expire, unresolved addresses hold a short queue of packets while the
 * request is retried, and give up (dropping the queue) after a few tries, as Linux's neighbour
 * table does (base_reachable_time 30 s, retrans_time 1 s, mcast_solicit 3, unres_qlen 3 here).
 */
import { ETH_HEADER, ETH_MIN_FRAME, ETH_P_ARP, writeEthernetHeader } from './ethernet.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const HTYPE_ETHERNET = 1;
const ARP_LEN = 28;

export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  /** u32 */
  senderIp: number;
  targetMac: Uint8Array;
  /** u32 */
  targetIp: number;
}

/** Parse an ARP packet at buf[off]; only Ethernet/IPv4 ARP (hrd 1, pro 0x0800, hln 6, pln 4). */
export function parseArp(buf: Uint8Array, off: number): ArpPacket | null {
  if (buf.length - off < ARP_LEN) return null;
  const hrd = (buf[off]! << 8) | buf[off + 1]!;
  const pro = (buf[off + 2]! << 8) | buf[off + 3]!;
  if (hrd !== HTYPE_ETHERNET || pro !== 0x0800 || buf[off + 4] !== 6 || buf[off + 5] !== 4) return null;
  return {
    op: (buf[off + 6]! << 8) | buf[off + 7]!,
    senderMac: buf.subarray(off + 8, off + 14),
    senderIp: u32(buf, off + 14),
    targetMac: buf.subarray(off + 18, off + 24),
    targetIp: u32(buf, off + 24),
  };
}

/** A whole Ethernet frame carrying one ARP packet, padded to the minimum frame size. */
export function buildArpFrame(
  ethDst: Uint8Array,
  op: number,
  senderMac: Uint8Array,
  senderIp: number,
  targetMac: Uint8Array,
  targetIp: number,
): Uint8Array {
  const f = new Uint8Array(ETH_MIN_FRAME);
  writeEthernetHeader(f, ethDst, senderMac, ETH_P_ARP);
  const o = ETH_HEADER;
  f[o + 1] = HTYPE_ETHERNET;
  f[o + 2] = 0x08; // protocol: IPv4
  f[o + 4] = 6;
  f[o + 5] = 4;
  f[o + 7] = op;
  f.set(senderMac.subarray(0, 6), o + 8);
  put32(f, o + 14, senderIp);
  f.set(targetMac.subarray(0, 6), o + 18);
  put32(f, o + 24, targetIp);
  return f;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

export interface NeighbourOptions {
  /** how long a learned address stays usable (ms; default 30 000) */
  reachableMs?: number;
  /** time between solicitations while resolving (ms; default 1000) */
  retransMs?: number;
  /** solicitations before giving up (default 3) */
  maxProbes?: number;
  /** packets held per unresolved address (default 3) */
  queueLen?: number;
}

interface Entry {
  mac: Uint8Array | null;
  expires: number;
  probes: number;
  nextProbe: number;
  queue: Uint8Array[];
}

export interface NeighbourStats {
  resolved: number;
  failed: number;
  /** packets dropped: queue full, or resolution failed */
  queueDrops: number;
}

/**
 * Keyed by the address as a string or number (IPv4 u32, IPv6 hex). The cache tells its owner when
 * to send a solicitation through `solicit(key)` and releases queued packets through `deliver`.
 */
export class NeighbourCache<K extends string | number> {
  readonly stats: NeighbourStats = { resolved: 0, failed: 0, queueDrops: 0 };
  private readonly entries = new Map<K, Entry>();
  private readonly reachableMs: number;
  private readonly retransMs: number;
  private readonly maxProbes: number;
  private readonly queueLen: number;

  constructor(
    private readonly solicit: (key: K) => void,
    private readonly deliver: (mac: Uint8Array, packet: Uint8Array) => void,
    opts: NeighbourOptions = {},
  ) {
    this.reachableMs = opts.reachableMs ?? 30_000;
    this.retransMs = opts.retransMs ?? 1000;
    this.maxProbes = opts.maxProbes ?? 3;
    this.queueLen = opts.queueLen ?? 3;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The MAC for `key` if known and not expired. */
  lookup(key: K, now: number): Uint8Array | null {
    const e = this.entries.get(key);
    if (!e || !e.mac) return null;
    if (e.expires <= now) {
      this.entries.delete(key);
      return null;
    }
    return e.mac;
  }

  /** Record (or refresh) `key` → `mac`, and send what was waiting for it. */
  learn(key: K, mac: Uint8Array, now: number): void {
    let e = this.entries.get(key);
    if (!e) {
      e = { mac: null, expires: 0, probes: 0, nextProbe: Infinity, queue: [] };
      this.entries.set(key, e);
    }
    if (!e.mac) this.stats.resolved++;
    e.mac = mac.slice(0, 6);
    e.expires = now + this.reachableMs;
    e.probes = 0;
    e.nextProbe = Infinity;
    const waiting = e.queue.splice(0);
    for (const p of waiting) this.deliver(e.mac, p);
  }

  /** Refresh only if already known (RFC 826's "merge" step: never create an entry from hearsay). */
  refresh(key: K, mac: Uint8Array, now: number): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    this.learn(key, mac, now);
    return true;
  }

  /**
   * Send `packet` to `key`: at once if resolved, otherwise queue a copy (the oldest is dropped
   * when the queue is full) and solicit. The caller passes `now` and must call `tick` on time.
   */
  send(key: K, packet: Uint8Array, now: number): void {
    const mac = this.lookup(key, now);
    if (mac) {
      this.deliver(mac, packet);
      return;
    }
    let e = this.entries.get(key);
    if (!e) {
      e = { mac: null, expires: 0, probes: 0, nextProbe: now, queue: [] };
      this.entries.set(key, e);
    }
    if (e.queue.length >= this.queueLen) {
      e.queue.shift();
      this.stats.queueDrops++;
    }
    e.queue.push(packet.slice());
    if (e.probes === 0) this.probe(key, e, now);
  }

  /** Retry or give up on addresses being resolved. Returns the next time it wants to be called. */
  tick(now: number): number {
    let next = Infinity;
    for (const [key, e] of this.entries) {
      if (e.mac) {
        if (e.expires <= now) this.entries.delete(key);
        continue;
      }
      if (e.nextProbe <= now) {
        if (e.probes >= this.maxProbes) {
          this.stats.failed++;
          this.stats.queueDrops += e.queue.length;
          this.entries.delete(key);
          continue;
        }
        this.probe(key, e, now);
      }
      next = Math.min(next, e.nextProbe);
    }
    return next;
  }

  private probe(key: K, e: Entry, now: number): void {
    e.probes++;
    e.nextProbe = now + this.retransMs;
    this.solicit(key);
  }
}
