/**
 * Two stacks joined in one process, as two network namespaces joined by a veth pair: what one
 * stack sends the other receives, in order, nothing lost or corrupted. Such a link declares every
 * offload (link/offload.ts) — no checksums computed or verified, super-segments delivered whole
 * (GSO on one side, GRO on the other) — and delivers in batches: everything a stack sends during
 * one synchronous run reaches the peer in one `inputBatch()` call, a microtask later, so a window
 * of segments costs one hop and draws one ACK (as GRO and delayed ACKs do), and a small write
 * reaches the peer in the same turn of the event loop.
 *
 *   const link = pairStacks(a, b);          // a's packets to b, b's to a
 *   link.close();                           // unhook; the declarations are withdrawn
 */
import type { Stack } from '../stack/stack.js';
import { GSO_MAX_BYTES, NO_OFFLOAD, type LinkOffload } from './offload.js';

/** Options of `pairStacks()`. */
export interface PairOptions {
  /** Declare checksum offload both ways (default true). */
  checksumOffload?: boolean;
  /** Let super-segments of up to 64 KiB through whole (GSO/GRO; default true). */
  gso?: boolean;
}

/** The link `pairStacks()` made. */
export interface StackPair {
  /** what each side declares */
  readonly offload: LinkOffload;
  /** Stop carrying packets; both stacks' declarations return to no offload. */
  close(): void;
}

/**
 * Consecutive batches delivered by microtask before one goes by `setImmediate`: two busy stacks
 * could otherwise keep each other in microtasks forever and starve timers and I/O.
 */
const MICROTASK_RUN = 64;
/** bytes of one copy slab: a window's worth of packets is copied into one allocation */
const SLAB = 1 << 20;

const schedule: (fn: () => void) => void =
  typeof queueMicrotask === 'function' ? queueMicrotask : (fn) => void Promise.resolve().then(fn);
const macrotask: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (fn) => void (globalThis as unknown as { setImmediate(f: () => void): unknown }).setImmediate(fn)
    : (fn) => void setTimeout(fn, 0);

/**
 * A plain Uint8Array, not Buffer.allocUnsafeSlow: the link layer stays free of Node's Buffer (the
 * browser bundle would otherwise carry the `buffer` polyfill), and slabs are reused, so zeroing
 * one costs once.
 */
function newSlab(size: number): Uint8Array {
  return new Uint8Array(size);
}

/**
 * One direction: packets copied into slabs as the sender emits them (its bytes are valid during the
 * 'packet' call only), handed over as one batch.
 */
class Direction {
  private queue: Uint8Array[] = [];
  private spare: Uint8Array[] = [];
  private slab = newSlab(SLAB);
  private used = 0;
  private scheduled = false;
  private run = 0;
  closed = false;

  constructor(private readonly to: Stack) {}

  readonly onPacket = (p: Uint8Array): void => {
    if (this.closed) return;
    const n = p.length;
    if (this.used + n > this.slab.length) {
      // the full slab stays alive through the views queued in it; later packets go to a fresh one
      this.slab = newSlab(Math.max(SLAB, n));
      this.used = 0;
    }
    const copy = this.slab.subarray(this.used, this.used + n);
    copy.set(p);
    this.used += n;
    this.queue.push(copy);
    if (this.scheduled) return;
    this.scheduled = true;
    if (++this.run < MICROTASK_RUN) schedule(this.deliver);
    else macrotask(this.deliverAfterTurn);
  };

  private readonly deliverAfterTurn = (): void => {
    this.run = 0;
    this.deliver();
  };

  private readonly deliver = (): void => {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = this.spare;
    // the packets are handed over (owned): the receiver may keep large payloads as views, so a
    // slab is never written again; it is freed once the last view into it is read
    if (!this.closed) this.to.inputBatch(batch, true);
    batch.length = 0;
    this.spare = batch;
  };
}

/**
 * Join two stacks in one process (link/pair.ts): each one's packets go to the other in batches,
 * and both declare the offloads such a link allows (checksums and GSO, unless turned off).
 */
export function pairStacks(a: Stack, b: Stack, opts: PairOptions = {}): StackPair {
  const csum = opts.checksumOffload ?? true;
  const offload: LinkOffload = Object.freeze({
    txChecksum: csum,
    rxChecksumVerified: csum,
    gsoMaxBytes: (opts.gso ?? true) ? GSO_MAX_BYTES : 0,
  });
  a.setOffload(offload);
  b.setOffload(offload);
  const ab = new Direction(b);
  const ba = new Direction(a);
  a.on('packet', ab.onPacket);
  b.on('packet', ba.onPacket);
  return {
    offload,
    close() {
      if (ab.closed) return;
      ab.closed = ba.closed = true;
      a.off('packet', ab.onPacket);
      b.off('packet', ba.onPacket);
      a.setOffload(NO_OFFLOAD);
      b.setOffload(NO_OFFLOAD);
    },
  };
}
