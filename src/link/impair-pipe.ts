/**
 * Impairments on a real link: a pipe that takes packets in (`send`) and hands them on
 * (`deliver`) after the simulator's own seeded loss, delay, jitter, rate limit and drop-tail queue
 * (`impair.ts` decides every packet's fate; this file only carries it out), in the time of a Clock.
 * `impairLink` puts one pipe on each direction of a device attachment (`attach.ts`).
 *
 *   const pipe = new ImpairPipe({ clock, seed: 1, impairments: { loss: 0.01, delayMs: 10 }, deliver: (p) => device.write(p) });
 *   stack.on('packet', (p) => pipe.send(p));
 *
 * A packet that arrives at once (no delay, rate or jitter) and finds nothing waiting ahead of it
 * is delivered inside `send`, uncopied; any other is copied and delivered by a clock timer, in the
 * order of its arrival time (packets due at the same time keep their order).
 */
import type { Clock, TimerHandle } from '../time/clock.js';
import { decideFate, flipBit, newBottleneck, newFate, type ImpairDropReason, type Impairments } from './impair.js';
import { Prng } from './prng.js';

/** What one pipe did (`pipe.stats`): packets in, delivered, dropped by reason, and the rest. */
export interface ImpairStats {
  /** packets given to `send` */
  packets: number;
  /** packets (and extra copies) handed to `deliver` */
  delivered: number;
  /** packets dropped, by reason */
  drops: Record<ImpairDropReason, number>;
  duplicated: number;
  corrupted: number;
  reordered: number;
}

/** Options of `new ImpairPipe()`. */
export interface ImpairPipeOptions {
  clock: Clock;
  /** seed of the pipe's Prng (default 1): the same seed and sends at the same times give the same fates */
  seed?: number;
  impairments: Impairments;
  /** where a packet goes once it arrives; called with bytes the callee may keep */
  deliver: (packet: Uint8Array) => void;
}

/** One direction of a real link, impaired: `send` packets in, `deliver` gets what survives, when it arrives. */
export class ImpairPipe {
  readonly stats: ImpairStats = { packets: 0, delivered: 0, drops: { loss: 0, queue: 0, mtu: 0 }, duplicated: 0, corrupted: 0, reordered: 0 };
  private readonly clock: Clock;
  private readonly prng: Prng;
  private readonly impairments: Impairments;
  private readonly deliver: (packet: Uint8Array) => void;
  private readonly bottleneck = newBottleneck();
  private readonly fate = newFate();
  /** scheduled deliveries not yet made */
  private readonly pending = new Set<TimerHandle>();
  private closed = false;

  constructor(opts: ImpairPipeOptions) {
    this.clock = opts.clock;
    this.prng = new Prng(opts.seed ?? 1);
    this.impairments = { ...opts.impairments };
    this.deliver = opts.deliver;
  }

  /** The settings this pipe applies (a copy). */
  get settings(): Impairments {
    return { ...this.impairments };
  }

  /** Packets accepted and not yet delivered (in flight or queued). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Put one packet into the pipe; `packet` is read during the call only. */
  send(packet: Uint8Array): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.stats.packets++;
    const fate = decideFate(this.impairments, this.prng, this.bottleneck, now, packet.length, this.fate);
    if (fate.drop !== undefined) {
      this.stats.drops[fate.drop]++;
      return;
    }
    const { at, reordered, corruptBit, duplicateAt, duplicateReordered } = fate;
    if (reordered) this.stats.reordered++;
    if (corruptBit < 0 && duplicateAt < 0 && at <= now && this.pending.size === 0) {
      this.stats.delivered++;
      this.deliver(packet);
      return;
    }
    const data = packet.slice();
    const copy = duplicateAt >= 0 ? data.slice() : undefined;
    if (corruptBit >= 0) {
      flipBit(data, corruptBit);
      this.stats.corrupted++;
    }
    this.deliverAt(at, data);
    if (copy !== undefined) {
      this.stats.duplicated++;
      if (duplicateReordered) this.stats.reordered++;
      this.deliverAt(duplicateAt, copy);
    }
  }

  /** Drop whatever is still in flight and accept nothing more. */
  close(): void {
    this.closed = true;
    for (const h of this.pending) this.clock.cancel(h);
    this.pending.clear();
  }

  private deliverAt(at: number, data: Uint8Array): void {
    const handle = this.clock.schedule(at, () => {
      this.pending.delete(handle);
      this.stats.delivered++;
      this.deliver(data);
    });
    this.pending.add(handle);
  }
}

/** Impairments for both directions of a device link, as `serve`/`connect --loss ...` give them. */
export interface LinkImpairments {
  /** what happens to packets synack sends (towards the device and the kernel) */
  out?: Impairments;
  /** what happens to packets synack receives (from the device) */
  in?: Impairments;
  /** seed of the outbound pipe; the inbound one uses seed + 1 (default 1) */
  seed?: number;
}

/** Both directions of an impaired link: where to send packets each way, their counters, and `close()`. */
export interface ImpairedLink {
  /** give this the stack's packets: they reach `toDevice` impaired */
  readonly out: (packet: Uint8Array) => void;
  /** give this the device's packets: they reach `toStack` impaired */
  readonly in: (packet: Uint8Array) => void;
  /** each direction's counters; null for a direction without impairments */
  readonly stats: { out: ImpairStats | null; in: ImpairStats | null };
  /** drop what is in flight both ways */
  close(): void;
}

/** Whether `imp` does anything at all to packets. */
export function impairs(imp: Impairments | undefined): imp is Impairments {
  return imp !== undefined && Object.values(imp).some((v) => v !== undefined && v !== 0);
}

/**
 * Put an ImpairPipe on each direction of a link that `li` impairs (a direction it leaves clean
 * passes packets straight through, with null stats).
 */
export function impairLink(
  clock: Clock,
  li: LinkImpairments,
  toDevice: (packet: Uint8Array) => void,
  toStack: (packet: Uint8Array) => void,
): ImpairedLink {
  const seed = li.seed ?? 1;
  const out = impairs(li.out) ? new ImpairPipe({ clock, seed, impairments: li.out, deliver: toDevice }) : null;
  const inbound = impairs(li.in) ? new ImpairPipe({ clock, seed: (seed + 1) | 0, impairments: li.in, deliver: toStack }) : null;
  return {
    out: out ? (p) => out.send(p) : toDevice,
    in: inbound ? (p) => inbound.send(p) : toStack,
    stats: { out: out?.stats ?? null, in: inbound?.stats ?? null },
    close() {
      out?.close();
      inbound?.close();
    },
  };
}
