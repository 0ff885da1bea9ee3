/**
 * Helpers for the stack tests: raw segments crafted and injected with `stack.input`, packets
 * captured and decoded, and a look at the TCBs a stack holds (internal state, for assertions only).
 */
import '../../src/api/net.js';
import { Stack } from '../../src/stack/stack.js';
import type { ConnTable } from '../../src/stack/conn.js';
import type { Tcb } from '../../src/tcp/tcb.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../../src/wire/addr.js';
import { decodeTcpPacket, encodeTcpPacketV4, encodeTcpPacketV6 } from '../../src/wire/packet.js';
import { ACK, FIN, RST, SYN, type Segment } from '../../src/wire/segment.js';

export { ACK, FIN, RST, SYN };

export const CLIENT = '10.0.0.1';
export const SERVER = '10.0.0.2';

/** A segment with defaults for what a test does not care about. */
export function seg(s: Partial<Segment> & { srcPort: number; dstPort: number }): Segment {
  return {
    seq: 0,
    ack: 0,
    flags: 0,
    window: 65535,
    urgent: 0,
    options: {},
    payload: new Uint8Array(0),
    ...s,
  };
}

/** One raw IPv4 or IPv6 packet from `src` to `dst` carrying `s`. */
export function packet(src: string, dst: string, s: Segment): Uint8Array {
  const s4 = parseIPv4(src);
  const d4 = parseIPv4(dst);
  if (s4 !== null && d4 !== null) return encodeTcpPacketV4(s4, d4, s);
  return encodeTcpPacketV6(parseIPv6(src)!, parseIPv6(dst)!, s);
}

export interface Captured {
  src: string;
  dst: string;
  seg: Segment;
}

/** Decode a packet, copying its payload (the stack reuses its output buffer). */
export function decode(p: Uint8Array): Captured {
  const d = decodeTcpPacket(p);
  if (typeof d === 'string') throw new Error(`not a valid TCP packet: ${d}`);
  const { pkt, seg: s } = d;
  return {
    src: pkt.version === 4 ? formatIPv4(pkt.src4) : formatIPv6(pkt.src6!),
    dst: pkt.version === 4 ? formatIPv4(pkt.dst4) : formatIPv6(pkt.dst6!),
    seg: { ...s, options: { ...s.options }, payload: s.payload.slice() },
  };
}

export function flagsOf(c: Captured): number {
  return c.seg.flags & (SYN | ACK | FIN | RST);
}

/**
 * A stack on its own virtual clock, not attached to any network: every packet it sends is captured
 * and decoded, and the test plays the peer by injecting raw segments.
 */
export class RawHost {
  readonly clock = new VirtualClock();
  readonly stack: Stack;
  out: Captured[] = [];

  constructor(
    readonly address: string,
    sysctl: Record<string, unknown> = {},
    seed = 11,
  ) {
    this.stack = new Stack({ addresses: [address], clock: this.clock, sysctl, seed });
    this.stack.on('packet', (p: Uint8Array) => this.out.push(decode(p)));
  }

  /** Inject a segment from `src` (to this host). */
  send(src: string, s: Segment): void {
    this.stack.input(packet(src, this.address, s));
  }

  /** Advance virtual time, running timers and deferred calls. */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /** The captured packets so far, clearing the capture. */
  take(): Captured[] {
    const o = this.out;
    this.out = [];
    return o;
  }
}

/** Every TCB the stack holds (full connections; TIME_WAIT records are in `stack.timeWait`). */
export function tcbs(stack: Stack): Tcb[] {
  const conns = (stack as unknown as { conns: ConnTable }).conns;
  return [...conns.all()].map((c) => c.tcb);
}

/** The slot of the only TIME_WAIT record. */
export function onlyTimeWaitSlot(stack: Stack): number {
  const slots = [...stack.timeWait.slots()];
  if (slots.length !== 1) throw new Error(`expected one TIME_WAIT record, found ${slots.length}`);
  return slots[0]!;
}

export function u32(n: number): number {
  return n >>> 0;
}

/** `a` after `b` in sequence space. */
export function seqAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
