/**
 * What the gateway's relays share: the flow request its hooks see, the snapshot of one relayed
 * flow (both legs, for `synack ss`), the counters, and the context a relay runs in.
 */
import type { Stack } from '../stack/stack.js';
import type { Policy } from './policy.js';

/** A guest flow as the gateway's hooks see it: its original destination and the guest's end. */
export interface GatewayFlowRequest {
  protocol: 'tcp' | 'udp';
  /** the original destination address (what the guest sent to) */
  localAddress: string;
  /** the original destination port */
  localPort: number;
  /** the guest's address */
  remoteAddress: string;
  /** the guest's port */
  remotePort: number;
  family: 'IPv4' | 'IPv6';
}

/** Where the host side of a flow goes: an IP literal and a port. */
export interface GatewayDestination {
  address: string;
  port: number;
}

/** One leg of a relayed flow. */
export interface GatewayLeg {
  localAddress: string | undefined;
  localPort: number | undefined;
  remoteAddress: string;
  remotePort: number;
  /**
   * TCP guest leg: synack's TCP state (ESTABLISHED, CLOSE_WAIT, ...), or 'SYN_PENDING' while the
   * guest's SYN waits for the host's connect (no SYN-ACK sent yet). TCP host leg: node:net's
   * readyState ('opening', 'open', 'readOnly' once our FIN went to the host, 'writeOnly' once
   * the host's FIN came, 'closed'). UDP: 'open' or 'closed'.
   */
  state: string;
}

/** One relayed flow with both legs: the guest's (on the stack) and the host's (a real socket). */
export interface GatewayFlowInfo {
  /** unique within a gateway */
  id: number;
  protocol: 'tcp' | 'udp';
  /** the guest leg: local = the original destination, remote = the guest */
  guest: GatewayLeg;
  /** the host leg: local = the host socket's own end, remote = the destination it reaches */
  host: GatewayLeg;
  /** bytes relayed guest → host and host → guest */
  bytesToHost: number;
  bytesToGuest: number;
  /** when the flow began (ms on the stack's clock) */
  since: number;
}

/** Counters by reason, e.g. `{ policy: 3, host_econnrefused: 1 }`. */
export type ReasonCounts = Record<string, number>;

/** The counters of one protocol's relay. */
export interface RelayCounters {
  /** flows relayed (TCP: both legs connected; UDP: host socket opened) */
  relayed: number;
  bytesToHost: number;
  bytesToGuest: number;
  /** flows answered as refused (TCP RST, UDP Port Unreachable), by reason */
  refused: ReasonCounts;
  /** flows dropped without an answer, by reason */
  dropped: ReasonCounts;
  /** TCP: resets carried to the host (the guest reset) and to the guest (the host reset or failed) */
  resetsToHost: number;
  resetsToGuest: number;
}

/** The gateway's counters, per protocol; suitable for Prometheus counters labelled by protocol and reason. */
export interface GatewayCounters {
  tcp: RelayCounters;
  udp: RelayCounters;
}

/** A fresh set of relay counters. */
export function newRelayCounters(): RelayCounters {
  return { relayed: 0, bytesToHost: 0, bytesToGuest: 0, refused: {}, dropped: {}, resetsToHost: 0, resetsToGuest: 0 };
}

/** Add one to a reason's count. */
export function countReason(counts: ReasonCounts, reason: string): void {
  counts[reason] = (counts[reason] ?? 0) + 1;
}

/** What a relay needs from its gateway. */
export interface RelayContext {
  readonly stack: Stack;
  readonly policy: Policy;
  /** what a denied flow gets */
  readonly denied: 'refuse' | 'drop';
  /** the host leg's destination for a flow, after the resolveDestination hook; a string: refuse for that reason */
  destination(flow: GatewayFlowRequest): GatewayDestination | string;
  /** a new flow id */
  nextId(): number;
}

/** What the gateway's own addresses and the policy say of a flow: the destination to relay it to, or the verdict and its reason. */
export function screen(ctx: RelayContext, flow: GatewayFlowRequest): { dest: GatewayDestination } | { verdict: 'refuse' | 'drop'; reason: string } {
  const dest = ctx.destination(flow);
  if (typeof dest === 'string') return { verdict: 'refuse', reason: dest };
  if (ctx.policy.decide(dest.address, dest.port).action === 'deny') return { verdict: ctx.denied, reason: 'policy' };
  return { dest };
}
