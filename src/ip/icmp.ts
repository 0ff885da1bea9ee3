/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) messages the stack answers or acts on: echo, and the error
 * messages that quote one of our TCP segments (destination unreachable, fragmentation needed /
 * packet too big, time exceeded, parameter problem). Parsing never throws; building writes whole
 * IP packets with correct checksums.
 */
import { finish, pseudoSumV6, sum } from '../wire/checksum.js';
import { writeIPv4HeaderRaw } from '../wire/ipv4.js';
import { writeIPv6HeaderRaw } from '../wire/ipv6.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

// RFC 792 message types
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;
// RFC 792 destination-unreachable codes (RFC 1122 §3.2.2.1 adds 6..12, RFC 1812 §5.2.7.1 13..15)
export const ICMP_PORT_UNREACH = 3;
export const ICMP_PROTO_UNREACH = 2;
export const ICMP_FRAG_NEEDED = 4;

// RFC 4443 message types
export const ICMP6_DEST_UNREACH = 1;
export const ICMP6_PACKET_TOO_BIG = 2;
export const ICMP6_TIME_EXCEEDED = 3;
export const ICMP6_PARAM_PROBLEM = 4;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;
export const ICMP6_PORT_UNREACH = 4;

/**
 * The errno an ICMP error maps to, as Linux's icmp_err_convert (net/ipv4/icmp.c) and
 * icmpv6_err_convert (net/ipv6/icmp.c) map them, or null when the message is not an error for TCP.
 */
export function icmpErrno(version: 4 | 6, type: number, code: number): string | null {
  if (version === 4) {
    if (type === ICMP_DEST_UNREACH) return V4_UNREACH[code] ?? null;
    if (type === ICMP_TIME_EXCEEDED) return 'EHOSTUNREACH';
    if (type === ICMP_PARAMETER_PROBLEM) return 'EPROTO';
    return null; // source quench is ignored (RFC 6633), others are not errors
  }
  if (type === ICMP6_DEST_UNREACH) return V6_UNREACH[code] ?? 'EPROTO';
  if (type === ICMP6_TIME_EXCEEDED) return 'EHOSTUNREACH';
  if (type === ICMP6_PARAM_PROBLEM) return 'EPROTO';
  return null;
}

const V4_UNREACH: readonly string[] = [
  'ENETUNREACH', // 0 net unreachable
  'EHOSTUNREACH', // 1 host unreachable
  'ENOPROTOOPT', // 2 protocol unreachable
  'ECONNREFUSED', // 3 port unreachable
  'EMSGSIZE', // 4 fragmentation needed and DF set (handled as PMTU, RFC 1191)
  'EOPNOTSUPP', // 5 source route failed
  'ENETUNREACH', // 6 destination network unknown
  'EHOSTDOWN', // 7 destination host unknown
  'ENONET', // 8 source host isolated
  'ENETUNREACH', // 9 network administratively prohibited
  'EHOSTUNREACH', // 10 host administratively prohibited
  'ENETUNREACH', // 11 network unreachable for TOS
  'EHOSTUNREACH', // 12 host unreachable for TOS
  'EHOSTUNREACH', // 13 communication administratively prohibited
  'EHOSTUNREACH', // 14 host precedence violation
  'EHOSTUNREACH', // 15 precedence cutoff in effect
];

const V6_UNREACH: readonly string[] = [
  'ENETUNREACH', // 0 no route to destination
  'EACCES', // 1 administratively prohibited
  'EHOSTUNREACH', // 2 beyond scope of source address
  'EHOSTUNREACH', // 3 address unreachable
  'ECONNREFUSED', // 4 port unreachable
  'EACCES', // 5 source address failed ingress/egress policy
  'EACCES', // 6 reject route to destination
];

/** The part of a quoted (offending) packet an ICMP error carries that TCP needs. */
export interface QuotedTcp {
  /** our address: the quoted packet's source */
  src4: number;
  src6: Uint8Array | null;
  /** the peer's address: the quoted packet's destination */
  dst4: number;
  dst6: Uint8Array | null;
  srcPort: number;
  dstPort: number;
  /** the quoted segment's sequence number */
  seq: number;
}

/**
 * Read the quoted packet of an ICMP(v6) error (RFC 792: the IP header and at least 64 bits of the
 * data; RFC 4443 §2.4(c): as much as fits). Returns null unless it is a TCP segment with at least
 * its ports and sequence number present.
 */
export function parseQuotedTcp(version: 4 | 6, buf: Uint8Array, off: number, end: number): QuotedTcp | null {
  if (version === 4) {
    if (end - off < 20 || buf[off]! >>> 4 !== 4) return null;
    const ihl = (buf[off]! & 0x0f) << 2;
    if (ihl < 20 || buf[off + 9] !== IPPROTO_TCP) return null;
    // a non-first fragment carries no TCP header
    if ((((buf[off + 6]! << 8) | buf[off + 7]!) & 0x1fff) !== 0) return null;
    const t = off + ihl;
    if (end - t < 8) return null;
    return {
      src4: u32(buf, off + 12),
      dst4: u32(buf, off + 16),
      src6: null,
      dst6: null,
      srcPort: (buf[t]! << 8) | buf[t + 1]!,
      dstPort: (buf[t + 2]! << 8) | buf[t + 3]!,
      seq: u32(buf, t + 4),
    };
  }
  if (end - off < 40 || buf[off]! >>> 4 !== 6) return null;
  let nh = buf[off + 6]!;
  let t = off + 40;
  // RFC 8200 §4: skip Hop-by-Hop (0), Routing (43), Destination Options (60); bounded because
  // each step advances at least 8 bytes within the quote
  while (nh === 0 || nh === 43 || nh === 60) {
    if (end - t < 2) return null;
    const len = (buf[t + 1]! + 1) << 3;
    nh = buf[t]!;
    t += len;
  }
  if (nh !== IPPROTO_TCP || end - t < 8) return null;
  return {
    src4: 0,
    dst4: 0,
    src6: buf.subarray(off + 8, off + 24),
    dst6: buf.subarray(off + 24, off + 40),
    srcPort: (buf[t]! << 8) | buf[t + 1]!,
    dstPort: (buf[t + 2]! << 8) | buf[t + 3]!,
    seq: u32(buf, t + 4),
  };
}

/**
 * RFC 1122 §3.2.2 / RFC 4443 §2.4(e.1): no ICMP error is sent about an ICMP error. Whether `pkt`
 * (possibly cut short, possibly a first fragment) carries one: IPv4 types 3, 4, 5, 11, 12; ICMPv6
 * types below 128, found past any extension headers and a first fragment's Fragment header.
 */
export function carriesIcmpError(pkt: Uint8Array): boolean {
  if (pkt.length < 1) return false;
  if (pkt[0]! >>> 4 === 4) {
    if (pkt.length < 20 || pkt[9] !== IPPROTO_ICMP || (((pkt[6]! << 8) | pkt[7]!) & 0x1fff) !== 0) return false;
    const hl = (pkt[0]! & 15) * 4;
    const t = pkt[hl];
    return t === 3 || t === 4 || t === 5 || t === 11 || t === 12;
  }
  if (pkt.length < 40) return false;
  let nh = pkt[6]!;
  let off = 40;
  for (let guard = 0; guard < 64 && off < pkt.length; guard++) {
    if (nh === 0 || nh === 43 || nh === 60) {
      if (off + 2 > pkt.length) return false;
      nh = pkt[off]!;
      off += (pkt[off + 1]! + 1) << 3;
    } else if (nh === 44) {
      if (off + 8 > pkt.length || (((pkt[off + 2]! << 8) | pkt[off + 3]!) & 0xfff8) !== 0) return false;
      nh = pkt[off]!;
      off += 8;
    } else {
      break;
    }
  }
  return nh === IPPROTO_ICMPV6 && off < pkt.length && pkt[off]! < 128;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** RFC 792: the ICMP checksum covers the ICMP message only; a correct one sums to zero. */
export function icmpChecksumOk(buf: Uint8Array, off: number, len: number): boolean {
  return finish(sum(buf, off, len)) === 0;
}

/** RFC 4443 §2.3: the ICMPv6 checksum covers a pseudo-header (RFC 8200 §8.1) and the message. */
export function icmp6ChecksumOk(src: Uint8Array, dst: Uint8Array, buf: Uint8Array, off: number, len: number): boolean {
  return finish(sum(buf, off, len, pseudoSumV6(src, dst, IPPROTO_ICMPV6, len))) === 0;
}

/**
 * An IPv4 ICMP packet from `src` to `dst`: type, code, the 4-byte rest-of-header word and a body
 * (for echo: identifier + sequence as the word, the request's data as the body). TTL 64.
 */
export function buildIcmpV4(src: number, dst: number, type: number, code: number, word: number, body: Uint8Array): Uint8Array {
  const len = 8 + body.length;
  const out = new Uint8Array(20 + len);
  out[20] = type;
  out[21] = code;
  out[24] = word >>> 24;
  out[25] = word >>> 16;
  out[26] = word >>> 8;
  out[27] = word;
  out.set(body, 28);
  const c = finish(sum(out, 20, len));
  out[22] = c >>> 8;
  out[23] = c;
  // DF clear: an ICMP error or echo reply may be fragmented on the way back (RFC 1191 §4)
  writeIPv4HeaderRaw(out, 0, src, dst, IPPROTO_ICMP, len, 64, 0, false, 0);
  return out;
}

/** An ICMPv6 packet (RFC 4443 §2.1) from `src` to `dst`, hop limit `hopLimit` (64 by default). */
export function buildIcmpV6(
  src: Uint8Array,
  dst: Uint8Array,
  type: number,
  code: number,
  word: number,
  body: Uint8Array,
  hopLimit = 64,
): Uint8Array {
  const len = 8 + body.length;
  const out = new Uint8Array(40 + len);
  writeIPv6HeaderRaw(out, 0, src, dst, IPPROTO_ICMPV6, len, hopLimit);
  out[40] = type;
  out[41] = code;
  out[44] = word >>> 24;
  out[45] = word >>> 16;
  out[46] = word >>> 8;
  out[47] = word;
  out.set(body, 48);
  const c = finish(sum(out, 40, len, pseudoSumV6(out.subarray(8, 24), out.subarray(24, 40), IPPROTO_ICMPV6, len)));
  out[42] = c >>> 8;
  out[43] = c;
  return out;
}
