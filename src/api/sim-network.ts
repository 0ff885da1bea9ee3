/**
 * SimNetwork: hosts (Stacks) on the in-memory simulated network, with per-link impairments from a
 * seeded PRNG. Virtual time by default: `run(ms)` and `runUntil(pred)` advance it, so a 60 s
 * TIME_WAIT passes in microseconds and the same seed replays the same run byte for byte.
 */
import { Stack, type StackOptions } from '../stack/stack.js';
import { SimLinkNetwork, type Impairments, type SimPacketEvent } from '../link/sim.js';
import { openPcapFile } from '#platform/pcap-file';
import { PcapWriter, type PcapFile } from '../link/pcap-writer.js';
import { settleAsyncWork } from '../platform/defer.js';
import type { Clock } from '../time/clock.js';
import { RealClock } from '../time/real-clock.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { invalidArgValue, makeError } from '../errors.js';
import { GSO_MAX_BYTES, type LinkOffload } from '../link/offload.js';
import { segmentSuperPacket } from '../wire/gso.js';

/** Options of `new SimNetwork()`: the seed of every random impairment, default impairments, the clock. */
export interface SimNetworkOptions {
  seed?: number;
  /** default impairments for every link */
  impairments?: Impairments;
  /** 'virtual' (default) or 'real' */
  clock?: 'virtual' | 'real';
  /**
   * Offloads on every link (link/offload.ts), off by default: hosts neither compute nor verify TCP
   * checksums (captures then show partial checksums, as tcpdump on Linux's lo does), and send
   * super-segments of up to 64 KiB that the network cuts into MTU-sized segments before any
   * impairment, as a NIC's TSO would. A network that corrupts packets cannot skip checksums:
   * `corrupt` is refused while this is on.
   */
  offload?: boolean;
}

/** Options of `net.host(address, options)`: a Stack's options less its address and clock, which the network gives. */
export type HostOptions = Omit<StackOptions, 'addresses' | 'clock'>;

/**
 * A simulated network of synack hosts joined by in-memory links, in virtual time by default:
 * `host()` adds a Stack, `impair()` sets loss, delay, reordering... per direction, `onPacket()`
 * and `capture()` see every packet, `run()`/`runUntil()` drive the clock. The same seed replays
 * the same run.
 */
export class SimNetwork {
  readonly clock: Clock;
  readonly link: SimLinkNetwork;
  readonly hosts: Stack[] = [];
  private readonly seed: number;
  private readonly pcaps: PcapFile[] = [];
  /** what every host declares (SimNetworkOptions.offload), or null */
  private readonly offload: LinkOffload | null;

  constructor(opts: SimNetworkOptions = {}) {
    this.seed = opts.seed ?? 1;
    this.offload = opts.offload ? { txChecksum: true, rxChecksumVerified: true, gsoMaxBytes: GSO_MAX_BYTES } : null;
    if (opts.impairments) this.checkImpairments(opts.impairments);
    this.clock = opts.clock === 'real' ? new RealClock({ unref: true }) : new VirtualClock();
    this.link = new SimLinkNetwork({
      clock: this.clock,
      seed: this.seed,
      ...(opts.impairments ? { impairments: opts.impairments } : {}),
    });
  }

  /** Add a host with one or more addresses. */
  host(addresses: string | string[], opts: HostOptions = {}): Stack {
    const list = Array.isArray(addresses) ? addresses : [addresses];
    const stack = new Stack({ seed: this.seed * 7919 + this.hosts.length, ...opts, addresses: list, clock: this.clock, ...(this.offload ? { offload: this.offload } : {}) });
    const take = this.clock instanceof RealClock ? batchedInput(stack) : (p: Uint8Array): void => stack.input(p);
    const ports = list.map((a) => this.link.attach(a, take));
    // route by the packet's own source address (IPv4 or IPv6): each family's port, chosen once
    const v6Port = ports.find((x) => x.address.includes(':')) ?? ports[0]!;
    const v4Port = ports.find((x) => !x.address.includes(':')) ?? ports[0]!;
    stack.on('packet', (p: Uint8Array, gsoSize: number) => {
      const port = p[0]! >> 4 === 6 ? v6Port : v4Port;
      // a super-segment is cut as a NIC's TSO would, before the link's impairments see it
      if (gsoSize > 0) segmentSuperPacket(p, gsoSize, (piece) => port.send(piece), true);
      else port.send(p);
    });
    this.hosts.push(stack);
    return stack;
  }

  /** Impair packets from `from` to `to` (one direction). */
  impair(from: string, to: string, imp: Impairments): void {
    this.checkImpairments(imp);
    this.link.setImpairments(from, to, imp);
  }

  /** Impair every link (both directions). */
  impairAll(imp: Impairments): void {
    this.checkImpairments(imp);
    this.link.setAllImpairments(imp);
  }

  /** A link that corrupts packets cannot declare checksum offload. */
  private checkImpairments(imp: Impairments): void {
    if (this.offload && (imp?.corrupt ?? 0) > 0) {
      throw invalidArgValue('impairments.corrupt', imp.corrupt, 'must be 0 on a network with offload, whose hosts skip checksums');
    }
  }

  /** Watch every packet's fate: delivered or dropped (with the reason). */
  onPacket(listener: (ev: SimPacketEvent) => void): () => void {
    return this.link.onPacket(listener);
  }

  /**
   * Write every packet sent (delivered and lost) as a pcap capture (LINKTYPE_RAW): to a file at
   * `path` (Node), or to a function that receives each chunk of the capture's bytes (any runtime).
   */
  capture(sink: string | ((chunk: Uint8Array) => void)): PcapFile {
    const file = typeof sink === 'string' ? openPcapFile(sink) : Object.assign(new PcapWriter(sink), { flush() {}, close() {} });
    const seen = new WeakSet<Uint8Array>();
    this.link.onPacket((ev) => {
      if (seen.has(ev.packet)) return;
      seen.add(ev.packet);
      file.packet(ev.t, ev.packet);
    });
    this.pcaps.push(file);
    return file;
  }

  private get virtual(): VirtualClock {
    if (!(this.clock instanceof VirtualClock)) {
      throw makeError('ERR_INVALID_STATE', 'SimNetwork: run/runUntil need the virtual clock (this network uses the real one)');
    }
    return this.clock;
  }

  /**
   * Advance virtual time by `ms`, running everything that happens in it. Between virtual events
   * it lets Node's own asynchronous work run (nextTick, promises, stream events), so sockets and
   * servers behave exactly as with real time, only without the waiting.
   */
  async run(ms: number): Promise<void> {
    await this.runUntil(() => false, ms);
  }

  /** Advance virtual time until `pred()` holds or `limitMs` of virtual time passes; returns pred(). */
  async runUntil(pred: () => boolean, limitMs = 3_600_000): Promise<boolean> {
    const clock = this.virtual;
    const end = clock.now() + limitMs;
    for (let steps = 0; steps < 50_000_000; steps++) {
      await settle();
      if (pred()) return true;
      const next = clock.nextEventTime();
      if (next > end) break;
      clock.advance(Math.max(0, next - clock.now()));
    }
    await settle();
    if (pred()) return true;
    if (clock.now() < end) clock.advance(end - clock.now());
    await settle();
    return pred();
  }

  /** Virtual (or real) ms since the network started. */
  now(): number {
    return this.clock.now();
  }

  /** Flush captures and stop the real clock if one is used. */
  close(): void {
    for (const p of this.pcaps) p.close();
    this.pcaps.length = 0;
    for (const h of this.hosts) h.destroy();
    if (this.clock instanceof RealClock) this.clock.close();
  }
}

/** Let pending nextTicks, promise jobs and immediates run (see platform/defer.ts for other runtimes). */
function settle(): Promise<void> {
  return settleAsyncWork();
}

/**
 * On the real clock, the packets the link delivers in one turn reach a stack as one input batch,
 * taken a microtask later (as a NIC's interrupt coalescing and NAPI hand a driver's poll): the
 * application hears of them once, and each connection sends one ACK for the batch's in-order data.
 * The virtual clock delivers packet by packet, so scripted runs and the demo keep their exact order.
 */
function batchedInput(stack: Stack): (p: Uint8Array) => void {
  let pending: Uint8Array[] = [];
  const run = (): void => {
    const batch = pending;
    pending = [];
    stack.inputBatch(batch);
  };
  return (p) => {
    if (pending.length === 0) queueMicrotask(run);
    pending.push(p);
  };
}
