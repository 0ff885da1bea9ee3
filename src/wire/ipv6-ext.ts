/**
 * The IPv6 extension header chain (RFC 8200 §4), walked with a bound: Hop-by-Hop and Destination
 * Options have their options read and their action bits honoured (§4.2), a Routing header that
 * still has segments left is refused (§4.4), and the walk stops at the Fragment header (§4.5), at
 * No Next Header (§4.7) or at the upper-layer protocol. Never throws; every step advances at least
 * 8 bytes towards `end`, so a chain is walked in at most payloadLength / 8 steps.
 */
import type { DropReason } from './segment.js';

/** RFC 8200 §4 extension header numbers. */
export const HOP_BY_HOP = 0;
export const ROUTING = 43;
export const FRAGMENT = 44;
export const NO_NEXT_HEADER = 59;
export const DEST_OPTS = 60;

/** RFC 4443 §3.4 Parameter Problem codes. */
export const PARAM_ERRONEOUS_FIELD = 0;
export const PARAM_UNRECOGNIZED_NEXT_HEADER = 1;
export const PARAM_UNRECOGNIZED_OPTION = 2;
/** RFC 7112 §5: the first fragment lacks part of the header chain */
export const PARAM_INCOMPLETE_CHAIN = 3;

/** What a walk found. One object is reused by the caller: valid until its next walk. */
export interface ExtWalk {
  /** the header that ended the walk: an upper-layer protocol, FRAGMENT or NO_NEXT_HEADER */
  nextHeader: number;
  /** where that header starts in the packet */
  offset: number;
  /** the offset of the byte that named it: 6 (the fixed header's Next Header) or in the last extension header */
  nextHeaderAt: number;
  /** when the walk refused the packet: the Parameter Problem code to answer with (-1: drop silently) */
  icmpCode: number;
  /** ... and the ICMPv6 pointer: the offset in the packet of the field at fault */
  pointer: number;
}

export function newExtWalk(): ExtWalk {
  return { nextHeader: 0, offset: 0, nextHeaderAt: 6, icmpCode: -1, pointer: 0 };
}

/**
 * Walk from `off` (whose header is named `nh` by the byte at `nhAt`) up to `end`. With `options`
 * false, options are not read (the walk only checks that the headers are all there, as RFC 7112
 * wants of a first fragment). Returns null when the walk reached its end, or why the packet must be
 * dropped (w.icmpCode and w.pointer then say what to answer).
 */
export function walkExtensions(buf: Uint8Array, off: number, end: number, nh: number, nhAt: number, options: boolean, w: ExtWalk): DropReason | null {
  w.icmpCode = -1;
  w.pointer = 0;
  while (nh === HOP_BY_HOP || nh === ROUTING || nh === DEST_OPTS) {
    // RFC 8200 §4.1: "The Hop-by-Hop Options header, when present, must immediately follow the IPv6
    // header". Linux answers one anywhere else as an unrecognised Next Header (ip6_input.c).
    if (nh === HOP_BY_HOP && off !== 40) return refuse(w, 'ip6_bad_ext_order', PARAM_UNRECOGNIZED_NEXT_HEADER, nhAt);
    // RFC 8200 §4.3/§4.4/§4.6: next header, length in 8-octet units not counting the first 8
    if (off + 2 > end) return 'ip_truncated';
    const len = (buf[off + 1] + 1) << 3;
    if (off + len > end) return 'ip_truncated';
    if (nh === ROUTING) {
      // RFC 8200 §4.4: a host recognises no routing type that would make it forward (type 0 is
      // deprecated by RFC 5095 and must be treated as unrecognised): with Segments Left nonzero
      // "discard the packet and send an ICMP Parameter Problem, Code 0 ... pointing to the
      // unrecognized Routing Type"; with zero segments left the header is ignored.
      if (buf[off + 3] !== 0) return refuse(w, 'ip6_routing_header', PARAM_ERRONEOUS_FIELD, off + 2);
    } else if (options) {
      const why = checkOptions(buf, off + 2, off + len, w);
      if (why !== null) return why;
    }
    nhAt = off;
    nh = buf[off];
    off += len;
  }
  w.nextHeader = nh;
  w.offset = off;
  w.nextHeaderAt = nhAt;
  return null;
}

/**
 * RFC 8200 §4.2: the options of one Hop-by-Hop or Destination Options header, type-length-value.
 * Pad1 (0) and PadN (1) are padding; no other option is recognised here, so the two high-order
 * bits of its type decide: 00 skip it, 01 discard the packet, 10 discard and send Parameter
 * Problem code 2 pointing at the option type, 11 the same unless the destination was multicast.
 * Like Linux's ip6_parse_tlv, more than 7 consecutive bytes of padding are refused (a run that
 * long is never needed for alignment: RFC 4942 §2.1.9.5 notes it as a covert channel).
 */
function checkOptions(buf: Uint8Array, i: number, end: number, w: ExtWalk): DropReason | null {
  let pad = 0;
  while (i < end) {
    const type = buf[i];
    if (type === 0) {
      if (++pad > 7) return 'ip6_bad_option';
      i++;
      continue;
    }
    if (i + 2 > end) return 'ip6_bad_option';
    const optEnd = i + 2 + buf[i + 1];
    if (optEnd > end) return 'ip6_bad_option';
    if (type === 1) {
      pad += optEnd - i;
      if (pad > 7) return 'ip6_bad_option';
    } else {
      pad = 0;
      switch (type >>> 6) {
        case 0:
          break;
        case 1:
          return 'ip6_option_discard';
        case 2:
          return refuse(w, 'ip6_option_unknown', PARAM_UNRECOGNIZED_OPTION, i);
        default:
          // the destination address's first byte 0xff: multicast (RFC 4291 §2.7)
          if (buf[24] === 0xff) return 'ip6_option_discard';
          return refuse(w, 'ip6_option_unknown', PARAM_UNRECOGNIZED_OPTION, i);
      }
    }
    i = optEnd;
  }
  return null;
}

function refuse(w: ExtWalk, reason: DropReason, code: number, pointer: number): DropReason {
  w.icmpCode = code;
  w.pointer = pointer;
  return reason;
}
