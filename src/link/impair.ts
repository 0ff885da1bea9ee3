/**
 * What a link does to one packet: the one implementation of seeded loss, duplication, corruption,
 * delay, jitter, reordering, a rate limit with a drop-tail queue, and an MTU. The simulator
 * (`sim.ts`) and the impairing pipe for real links (`impair-pipe.ts`) both decide every packet's
 * fate here; they differ only in where the packet goes afterwards.
 *
 * Determinism: a link with any random impairment draws exactly DRAWS_PER_PACKET numbers from its
 * Prng per packet, always all of them and in a fixed order, so changing one setting does not shift
 * the other decisions; a link without one draws none. The same seed and the same packets at the
 * same times give the same fates.
 */
import type { Prng } from './prng.js';

/** What a link does to packets, per direction; every probability in 0..1. */
export interface Impairments {
  /** Probability a packet is lost. */
  loss?: number;
  /** Probability a packet is delivered twice. */
  duplicate?: number;
  /** Probability a packet is held back by an extra reorderDelayMs. */
  reorder?: number;
  /** Extra delay for reordered packets; default 2 × delayMs, or 5 ms when delayMs is 0. */
  reorderDelayMs?: number;
  /** One-way propagation delay. */
  delayMs?: number;
  /** Uniform extra delay in [0, jitterMs). */
  jitterMs?: number;
  /** Bits per second; 0/undefined = infinite. */
  bandwidthBps?: number;
  /**
   * Drop-tail queue limit in bytes for this direction's bottleneck: a packet that would find more
   * than this many bytes still waiting for the link (the one being serialized included) is dropped
   * with reason 'queue'. Only meaningful with `bandwidthBps` (an infinitely fast link never
   * queues); undefined = unbounded.
   */
  queueBytes?: number;
  /** Probability to flip one random bit. */
  corrupt?: number;
  /** Larger packets are dropped. */
  mtu?: number;
}

/** Why an impairment dropped a packet. */
export type ImpairDropReason = 'loss' | 'queue' | 'mtu';

/** Random numbers drawn per packet on a link with any random impairment. */
export const DRAWS_PER_PACKET = 8;

/** One direction's bottleneck: when its link has finished serializing what it accepted (ms). */
export interface Bottleneck {
  busyUntil: number;
}

/** A new, idle bottleneck. */
export function newBottleneck(): Bottleneck {
  return { busyUntil: -Infinity };
}

/**
 * One packet's fate (`decideFate` fills one and the caller reuses it): dropped and why, or the
 * time it arrives, and an extra copy's arrival when it is duplicated.
 */
export interface PacketFate {
  /** why the packet is dropped; undefined when it is delivered */
  drop: ImpairDropReason | undefined;
  /** when it arrives (ms on the caller's clock) */
  at: number;
  /** it was held back by reorderDelayMs */
  reordered: boolean;
  /** the bit to flip before delivery (0 = the first byte's lowest bit), or -1 */
  corruptBit: number;
  /** when an uncorrupted extra copy arrives, or -1 when there is none */
  duplicateAt: number;
  duplicateReordered: boolean;
}

/** A fate to pass to `decideFate`. */
export function newFate(): PacketFate {
  return { drop: undefined, at: 0, reordered: false, corruptBit: -1, duplicateAt: -1, duplicateReordered: false };
}

/** Whether `imp` makes any random decision (and so draws from the Prng). */
export function isRandom(imp: Impairments): boolean {
  return !!(imp.loss || imp.duplicate || imp.corrupt || imp.jitterMs || imp.reorder);
}

/**
 * Decide what `imp` does to a packet of `length` bytes sent at `now` into `link` (used, and its
 * busy time advanced, only when `imp.bandwidthBps` is set). In order: the MTU, the drop-tail queue
 * (a packet that enters it occupies the link even if it is lost later), random loss, then the copy's
 * arrival: departure (when its last bit is out) + delay + jitter, + reorderDelayMs if reordered.
 */
export function decideFate(imp: Impairments, prng: Prng, link: Bottleneck, now: number, length: number, fate: PacketFate): PacketFate {
  const random = isRandom(imp);
  const uLoss = random ? prng.float() : 1;
  const uDup = random ? prng.float() : 1;
  const uCorrupt = random ? prng.float() : 1;
  const bitDraw = random ? prng.nextU32() : 0;
  const uJitter = random ? prng.float() : 0;
  const uReorder = random ? prng.float() : 1;
  const uJitter2 = random ? prng.float() : 0;
  const uReorder2 = random ? prng.float() : 1;
  fate.drop = undefined;
  fate.corruptBit = -1;
  fate.duplicateAt = -1;
  fate.reordered = fate.duplicateReordered = false;
  if (imp.mtu !== undefined && imp.mtu > 0 && length > imp.mtu) {
    fate.drop = 'mtu';
    return fate;
  }
  // Serialization: the packet leaves when the link is free and its last bit is out.
  let depart = now;
  const bps = imp.bandwidthBps ?? 0;
  if (bps > 0) {
    const free = Math.max(now, link.busyUntil);
    // drop-tail: the bytes still to serialize ahead of this packet, against the queue's limit
    const backlog = ((free - now) * bps) / 8000;
    if (imp.queueBytes !== undefined && backlog + length > imp.queueBytes + 1e-6) {
      fate.drop = 'queue';
      return fate;
    }
    depart = free + (length * 8 * 1000) / bps;
    link.busyUntil = depart;
  }
  if (uLoss < (imp.loss ?? 0)) {
    fate.drop = 'loss';
    return fate;
  }
  if (uCorrupt < (imp.corrupt ?? 0) && length > 0) fate.corruptBit = bitDraw % (length * 8);
  fate.at = arrival(depart, imp, uJitter);
  if (uReorder < (imp.reorder ?? 0)) {
    fate.at += reorderDelay(imp);
    fate.reordered = true;
  }
  if (uDup < (imp.duplicate ?? 0)) {
    fate.duplicateAt = arrival(depart, imp, uJitter2);
    if (uReorder2 < (imp.reorder ?? 0)) {
      fate.duplicateAt += reorderDelay(imp);
      fate.duplicateReordered = true;
    }
  }
  return fate;
}

function arrival(depart: number, imp: Impairments, uJitter: number): number {
  return depart + (imp.delayMs ?? 0) + (imp.jitterMs ?? 0) * uJitter;
}

function reorderDelay(imp: Impairments): number {
  const delay = imp.delayMs ?? 0;
  return imp.reorderDelayMs ?? (delay > 0 ? 2 * delay : 5);
}

/** Flip bit `bit` of `data` in place (0 = the first byte's lowest bit). */
export function flipBit(data: Uint8Array, bit: number): void {
  data[bit >> 3]! ^= 1 << (bit & 7);
}
