/**
 * What a link does for the stack, so the stack can skip that work: the offloads Linux's drivers
 * declare in their netdev features (NETIF_F_HW_CSUM, NETIF_F_RXCSUM, NETIF_F_GSO/TSO) and that
 * loopback and veth declare because nothing between two ends in one host corrupts or cuts packets.
 *
 * A stack has one declaration (`StackOptions.offload`, `stack.setOffload()`); the default is no
 * offload at all, which is right for any raw-packet interface a user wires by hand: every checksum
 * is computed and verified, and no packet is larger than the MTU. Links that know better declare it:
 * two stacks joined in one process (`pairStacks`, link/pair.ts) declare everything.
 */
import { invalidArgType, outOfRange } from '../errors.js';

/** The offloads a link declares (`StackOptions.offload`, `stack.setOffload()`). */
export interface LinkOffload {
  /**
   * Transmit checksum offload (Linux's CHECKSUM_PARTIAL): the link completes the TCP checksum of
   * what the stack sends, or its receiver does not need it. The stack then writes only the
   * pseudo-header's sum in the TCP checksum field (folded, not complemented, as Linux leaves it
   * for the device: `csum_start` = the TCP header, `csum_offset` = 16), and the link or the peer
   * finishes it — `completeTcpChecksum()` (wire/packet.ts) does so for any link that must.
   * IPv4 header checksums, UDP and ICMP are always computed in full.
   */
  readonly txChecksum: boolean;
  /**
   * Receive checksum offload (Linux's CHECKSUM_UNNECESSARY): every TCP segment the link delivers is
   * known good (the link verified it, or it cannot corrupt), so the stack does not verify TCP
   * checksums. The IPv4 header checksum is still checked, as Linux's ip_rcv does.
   */
  readonly rxChecksumVerified: boolean;
  /**
   * Segmentation offload (GSO/TSO): the largest IP packet the stack may hand the link, which cuts
   * it into MTU-sized segments itself (or, within one process, delivers it whole: GRO). 0, or any
   * value not above the MTU, means no super-segments. At most 65535 (the IPv4 total length, the
   * IPv6 payload length). A super-segment is emitted as `'packet'` with its segment size — the
   * payload bytes each wire segment carries — as the listener's second argument (0 otherwise).
   */
  readonly gsoMaxBytes: number;
}

/** Nothing offloaded: full checksums both ways, no packet above the MTU (the default). */
export const NO_OFFLOAD: LinkOffload = Object.freeze({ txChecksum: false, rxChecksumVerified: false, gsoMaxBytes: 0 });

/** The largest super-segment an IP packet can be (IPv4 Total Length, IPv6 Payload Length: 16 bits). */
export const GSO_MAX_BYTES = 65535;

/**
 * Check a declaration given by the user and fill in what it leaves out (off). Throws a Node-style
 * error (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE) on a wrong type or range.
 */
export function resolveOffload(o: Partial<LinkOffload> | undefined, where = 'offload'): LinkOffload {
  if (o === undefined) return NO_OFFLOAD;
  if (o === null || typeof o !== 'object') throw invalidArgType(where, 'object', o);
  const flag = (name: 'txChecksum' | 'rxChecksumVerified'): boolean => {
    const v = o[name];
    if (v === undefined) return false;
    if (typeof v !== 'boolean') throw invalidArgType(`${where}.${name}`, 'boolean', v);
    return v;
  };
  const gso = o.gsoMaxBytes ?? 0;
  if (typeof gso !== 'number') throw invalidArgType(`${where}.gsoMaxBytes`, 'number', gso);
  if (!Number.isInteger(gso) || gso < 0 || gso > GSO_MAX_BYTES) throw outOfRange(`${where}.gsoMaxBytes`, `an integer >= 0 && <= ${GSO_MAX_BYTES}`, gso);
  return Object.freeze({ txChecksum: flag('txChecksum'), rxChecksumVerified: flag('rxChecksumVerified'), gsoMaxBytes: gso });
}

/**
 * Payload bytes one super-segment may carry under `o` on a link of `mtu`, after an IP header of
 * `ipHeader` bytes and the largest TCP header (RFC 9293 §3.1: 60 bytes); 0 without segmentation
 * offload (gsoMaxBytes not above the MTU).
 */
export function gsoPayloadBytes(o: LinkOffload, mtu: number, ipHeader: number): number {
  return o.gsoMaxBytes > mtu ? o.gsoMaxBytes - ipHeader - 60 : 0;
}
