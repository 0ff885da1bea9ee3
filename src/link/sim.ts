/**
 * A simulated network that carries raw IP packets between attached addresses, with
 * per-direction impairments (loss, duplication, corruption, delay, jitter, reordering,
 * bandwidth, MTU). Delivery always goes through clock.schedule, never synchronously.
 *
 * What an impairment does to a packet is decided in `impair.ts`, which real links share
 * (`impair-pipe.ts`); this file routes packets between attached addresses and keeps the
 * per-direction settings and bottlenecks.
 *
 * Determinism: one Prng for the whole network draws a fixed number of values per send on a
 * link with any random impairment (`impair.ts`), so the same seed and the same sends (at the
 * same virtual times) give the same run byte for byte.
 *
 * Tap events: each send produces one event per fate — a drop (t = send time, dropped,
 * with a reason) or a delivery (t = arrival time; reason 'duplicate' for the extra copy,
 * 'corrupted' for a copy with a flipped bit). Listeners must not modify `packet`.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/addr.js';
import type { Clock } from '../time/clock.js';
import { decideFate, flipBit, isRandom, newBottleneck, newFate, type Bottleneck, type Impairments } from './impair.js';
import { Prng } from './prng.js';

export type { Impairments } from './impair.js';

export type SimDropReason = 'loss' | 'queue' | 'mtu' | 'no_route' | 'corrupted' | 'duplicate';

/** One packet seen on the simulated network (`SimNetwork.onPacket`): when, between which hosts, its bytes, and whether and why it was dropped. */
export interface SimPacketEvent {
  t: number;
  from: string;
  to: string;
  packet: Uint8Array;
  dropped: boolean;
  reason?: SimDropReason;
}

export interface SimPort {
  readonly address: string;
  send(packet: Uint8Array): void;
  detach(): void;
}

export interface SimStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  corrupted: number;
  reordered: number;
  /** drop-tail drops at a full bottleneck queue (also counted in `dropped`) */
  queueDrops: number;
}

export interface SimLinkNetworkOptions {
  clock: Clock;
  seed?: number;
  /** Default for every link. */
  impairments?: Impairments;
}

interface Port extends SimPort {
  readonly key: AddrKey;
  readonly receive: (packet: Uint8Array) => void;
}

export class SimLinkNetwork {
  readonly stats: SimStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, corrupted: 0, reordered: 0, queueDrops: 0 };
  private readonly clock: Clock;
  private readonly prng: Prng;
  private defaults: Impairments;
  /** `defaults` does nothing to a packet (no field that decideFate acts on is set): see `transmit` */
  private defaultsNone: boolean;
  private readonly overrides = new Map<string, Impairments>();
  private readonly bottlenecks = new Map<string, Bottleneck>();
  /** what decideFate is given for a link without a rate limit (never read there) */
  private readonly unlimited = newBottleneck();
  private readonly fate = newFate();
  private readonly ports = new Map<AddrKey, Port>();
  private readonly listeners = new Set<(ev: SimPacketEvent) => void>();

  constructor(opts: SimLinkNetworkOptions) {
    this.clock = opts.clock;
    this.prng = new Prng(opts.seed ?? 1);
    this.defaults = { ...opts.impairments };
    this.defaultsNone = doesNothing(this.defaults);
  }

  /** Attach an address (IPv4 dotted or IPv6 text); packets whose IP destination equals it go to `receive`. */
  attach(address: string, receive: (packet: Uint8Array) => void): SimPort {
    const key = requireKey(address);
    if (this.ports.has(key)) throw new Error(`SimLinkNetwork: address ${address} is already attached`);
    // A detached port's send and detach are no-ops; ports are only ever removed by their own
    // detach, so a flag says what looking the address up again would (no lookup per packet sent)
    let attached = true;
    const port: Port = {
      address,
      key,
      receive,
      send: (packet) => {
        if (attached) this.transmit(port, packet);
      },
      detach: () => {
        if (!attached) return;
        attached = false;
        this.ports.delete(key);
      },
    };
    this.ports.set(key, port);
    return port;
  }

  /** Impairments for packets from `from` to `to` only, replacing the default for that direction. */
  setImpairments(from: string, to: string, imp: Impairments): void {
    this.overrides.set(`${requireKey(from)}>${requireKey(to)}`, { ...imp });
  }

  /** New default for every link; clears per-direction overrides. */
  setAllImpairments(imp: Impairments): void {
    this.defaults = { ...imp };
    this.defaultsNone = doesNothing(this.defaults);
    this.overrides.clear();
  }

  /** Tap every packet fate (delivery or drop). Returns an unsubscribe function. */
  onPacket(listener: (ev: SimPacketEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private transmit(from: Port, packet: Uint8Array): void {
    const data = this.copy(packet);
    this.stats.sent++;
    const key = destinationKey(data);
    const dest = key === undefined ? undefined : this.ports.get(key);
    if (key === undefined || dest === undefined) {
      return this.drop(this.clock.now(), from.address, key === undefined ? '?' : keyText(key), data, 'no_route');
    }
    const link = this.overrides.size > 0 || this.bottlenecks.size > 0 || this.defaults.bandwidthBps ? `${from.key}>${key}` : '';
    const imp = (link && this.overrides.get(link)) || this.defaults;
    if (imp === this.defaults && this.defaultsNone) {
      // what decideFate gives for impairments that do nothing (no draws, no drop, due now), without
      // asking it; due at the time the clock last read, which is all scheduleDue needs (no new read)
      const due = this.clock.lastRead ? this.clock.lastRead() : this.clock.now();
      this.deliverAt(due, due, from.address, key, data, undefined);
      return;
    }
    const now = this.clock.now();
    const fate = decideFate(imp, this.prng, imp.bandwidthBps ? this.bottleneck(link) : this.unlimited, now, data.length, this.fate);
    if (fate.drop !== undefined) {
      if (fate.drop === 'queue') this.stats.queueDrops++;
      return this.drop(now, from.address, dest.address, data, fate.drop);
    }
    const dupCopy = fate.duplicateAt >= 0 ? this.copy(data) : undefined;
    const { at, reordered, corruptBit, duplicateAt, duplicateReordered } = fate;
    if (corruptBit >= 0) {
      flipBit(data, corruptBit);
      this.stats.corrupted++;
    }
    if (reordered) this.stats.reordered++;
    this.deliverAt(now, at, from.address, key, data, corruptBit >= 0 ? 'corrupted' : undefined);
    if (dupCopy !== undefined) {
      this.stats.duplicated++;
      if (duplicateReordered) this.stats.reordered++;
      this.deliverAt(now, duplicateAt, from.address, key, dupCopy, 'duplicate');
    }
  }

  private bottleneck(link: string): Bottleneck {
    let b = this.bottlenecks.get(link);
    if (b === undefined) this.bottlenecks.set(link, (b = newBottleneck()));
    return b;
  }

  /**
   * The packet's own bytes: a piece of a slab, as a link's receive ring would hand it over. A slab
   * is written once, front to back, and never reused, so a view a listener or a receiver keeps
   * stays valid like a copy of its own (an unused tail is left behind when a packet does not fit).
   */
  private copy(packet: Uint8Array): Uint8Array {
    const n = packet.length;
    if (n > SLAB_BYTES >> 2) return packet.slice();
    if (this.slabUsed + n > SLAB_BYTES) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.slabBuffer = this.slab.buffer;
      this.slabUsed = 0;
    }
    const at = this.slabUsed;
    // 8-byte aligned, as a fresh buffer is: the checksum reads aligned words (wire/checksum.ts)
    this.slabUsed = (at + n + 7) & ~7;
    this.slab.set(packet, at);
    // the view made directly (subarray would look up the species constructor for the same view)
    return new Uint8Array(this.slabBuffer, at, n);
  }

  private slab = new Uint8Array(SLAB_BYTES);
  /** the slab's ArrayBuffer, kept (reading a typed array's `buffer` is a builtin call each time) */
  private slabBuffer: ArrayBufferLike = this.slab.buffer;
  private slabUsed = 0;

  /**
   * Packets due the moment they were sent, in the order sent: [from, key, data, reason] from
   * `nowHead`. Both clocks run timers due at the same time in the order they were scheduled, and a
   * packet due now is due no later than any sent before it, so each `deliverNow` call takes the
   * packet its own schedule() call was made for — without a closure per packet.
   */
  private nowQueue: unknown[] = [];
  private nowHead = 0;
  /** where the next entry goes: the array keeps its storage while the queue empties and refills */
  private nowTail = 0;
  private lastNowAt = -Infinity;

  private deliverAt(now: number, at: number, from: string, key: AddrKey, data: Uint8Array, reason: SimDropReason | undefined): void {
    if (at === now && at >= this.lastNowAt) {
      this.lastNowAt = at;
      const q = this.nowQueue;
      let t = this.nowTail;
      q[t++] = from;
      q[t++] = key;
      q[t++] = data;
      q[t++] = reason;
      this.nowTail = t;
      if (this.clock.scheduleDue) this.clock.scheduleDue(at, this.deliverNow);
      else this.clock.schedule(at, this.deliverNow);
      return;
    }
    this.clock.schedule(at, () => this.arrive(from, key, data, reason));
  }

  private readonly deliverNow = (): void => {
    const q = this.nowQueue;
    const i = this.nowHead;
    const from = q[i] as string;
    const key = q[i + 1] as AddrKey;
    const data = q[i + 2] as Uint8Array;
    const reason = q[i + 3] as SimDropReason | undefined;
    q[i + 2] = undefined; // let the bytes go
    if (i + 4 === this.nowTail) {
      this.nowHead = this.nowTail = 0;
      if (q.length > 4096) this.nowQueue = []; // a burst is over: give its storage back
    } else {
      this.nowHead = i + 4;
      if (this.nowHead >= 4096 && this.nowHead * 2 >= this.nowTail) {
        q.copyWithin(0, this.nowHead, this.nowTail);
        this.nowTail -= this.nowHead;
        q.fill(undefined, this.nowTail);
        this.nowHead = 0;
      }
    }
    this.arrive(from, key, data, reason);
  };

  private arrive(from: string, key: AddrKey, data: Uint8Array, reason: SimDropReason | undefined): void {
    const t = this.clock.now();
    const port = this.ports.get(key);
    if (port === undefined) return this.drop(t, from, keyText(key), data, 'no_route');
    this.stats.delivered++;
    if (this.tapped) {
      this.emit(reason === undefined ? { t, from, to: port.address, packet: data, dropped: false } : { t, from, to: port.address, packet: data, dropped: false, reason });
    }
    port.receive(data);
  }

  private drop(t: number, from: string, to: string, packet: Uint8Array, reason: SimDropReason): void {
    this.stats.dropped++;
    this.emit({ t, from, to, packet, dropped: true, reason });
  }

  private emit(ev: SimPacketEvent): void {
    for (const l of this.listeners) l(ev);
  }

  private get tapped(): boolean {
    return this.listeners.size > 0;
  }
}

/**
 * Whether `imp` leaves every packet alone: no random impairment (so decideFate draws nothing), no
 * MTU, rate, delay or jitter — decideFate then always answers "no drop, due at once".
 */
function doesNothing(imp: Impairments): boolean {
  const none = (ms: number | undefined): boolean => ms === undefined || ms === 0;
  return !isRandom(imp) && !(imp.mtu !== undefined && imp.mtu > 0) && !((imp.bandwidthBps ?? 0) > 0) && none(imp.delayMs) && none(imp.jitterMs);
}

/** Bytes per slab of packet copies (SimLinkNetwork.copy); larger packets get a buffer of their own. */
const SLAB_BYTES = 64 * 1024;

// ---- addresses: IPv4 as a u32 number (the hot path), IPv6 as its RFC 5952 text

type AddrKey = number | string;

function requireKey(address: string): AddrKey {
  const key = simAddressKey(address);
  if (key === undefined) throw new Error(`SimLinkNetwork: cannot parse address "${address}"`);
  return key;
}

/** Canonical key of an IPv4 or IPv6 address text (IPv4 as a u32), or undefined if it is neither. */
export function simAddressKey(text: string): AddrKey | undefined {
  const s = text.trim().replace(/^\[(.*)\]$/, '$1');
  const v4 = parseIPv4(s);
  if (v4 !== null) return v4;
  const v6 = parseIPv6(s);
  return v6 === null ? undefined : formatIPv6(v6);
}

function keyText(key: AddrKey): string {
  return typeof key === 'number' ? formatIPv4(key) : key;
}

/** Destination key read from an IPv4 or IPv6 header, or undefined if the packet is neither. */
function destinationKey(p: Uint8Array): AddrKey | undefined {
  const version = p.length > 0 ? p[0]! >> 4 : 0;
  if (version === 4 && p.length >= 20) return ((p[16]! << 24) | (p[17]! << 16) | (p[18]! << 8) | p[19]!) >>> 0;
  if (version === 6 && p.length >= 40) return formatIPv6(p.subarray(24, 40));
  return undefined;
}
