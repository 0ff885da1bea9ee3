/**
 * The TCP segment as the state machine sees it: header fields decoded, payload a view.
 * This is the boundary between wire/ (bytes) and tcp/ (state): the codec in tcp.ts turns
 * bytes into a Segment and a Segment back into bytes.
 */

/** TCP header flag bits, in their on-the-wire positions (RFC 9293 §3.1, RFC 3168). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;

/** Decoded TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018). Absent fields were not present. */
export interface TcpOptions {
  /** Maximum segment size (kind 2), SYN only. */
  mss?: number;
  /** Window scale shift count (kind 3), SYN only; values above 14 are kept as received. */
  wscale?: number;
  /** SACK-permitted (kind 4), SYN only. */
  sackPermitted?: boolean;
  /** SACK blocks (kind 5) as flat pairs [left0, right0, left1, right1, ...]. */
  sack?: number[];
  /** Timestamps (kind 8): TSval and TSecr, both u32. */
  tsVal?: number;
  tsEcr?: number;
}

export interface Segment {
  srcPort: number;
  dstPort: number;
  /** u32 */
  seq: number;
  /** u32; meaningful only when ACK is set */
  ack: number;
  /** bitwise OR of FIN|SYN|RST|PSH|ACK|URG|ECE|CWR */
  flags: number;
  /** the raw 16-bit window field, not yet scaled */
  window: number;
  urgent: number;
  options: TcpOptions;
  /** a view into the packet; valid only during the call that delivers it */
  payload: Uint8Array;
}

/** Why a packet was dropped before reaching a connection. Each is a counter. */
export type DropReason =
  | 'ip_truncated'
  | 'ip_bad_version'
  | 'ip_bad_ihl'
  | 'ip_bad_length'
  | 'ip_bad_checksum'
  | 'ip_fragment'
  | 'ip_not_tcp'
  /** IPv6 (RFC 8200 §4.2): an unrecognised option whose action bits say "discard" (01, or 11 to multicast) */
  | 'ip6_option_discard'
  /** IPv6 (RFC 8200 §4.2): an unrecognised option whose action bits say "discard and send Parameter Problem" */
  | 'ip6_option_unknown'
  /** IPv6: an option that runs past its header, or too much padding */
  | 'ip6_bad_option'
  /** IPv6 (RFC 8200 §4.4): a Routing header with Segments Left nonzero reached a host */
  | 'ip6_routing_header'
  /** IPv6 (RFC 8200 §4.1): a Hop-by-Hop Options header anywhere but right after the IPv6 header */
  | 'ip6_bad_ext_order'
  | 'tcp_truncated'
  | 'tcp_bad_offset'
  | 'tcp_bad_checksum'
  | 'tcp_bad_option'
  | 'tcp_bad_flags';
