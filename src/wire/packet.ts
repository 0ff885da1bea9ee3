/**
 * Whole-packet helpers for the stack's hot path: IP (v4 or v6) + TCP in one call each way.
 * No closures, no strings, no allocation beyond the result objects.
 */
import type { DropReason, Segment } from './segment.js';
import { SYN } from './segment.js';
import { finish, pseudoSumV4, pseudoSumV6, sum } from './checksum.js';
import { ipv4HeaderLength, parseIPv4Header, writeIPv4HeaderRaw } from './ipv4.js';
import type { IPv4Header } from './ipv4.js';
import { parseIPv6Header, writeIPv6HeaderRaw } from './ipv6.js';
import type { IPv6Header } from './ipv6.js';
import { decodeTcp, encodeTcp, tcpOptionsLength } from './tcp.js';

/** IANA protocol number for TCP (RFC 9293 §3.1; IPv4 Protocol / IPv6 Next Header). */
export const IPPROTO_TCP = 6;

export interface DecodedPacket {
  version: 4 | 6;
  /** IPv4 source as u32; 0 for IPv6 */
  src4: number;
  /** IPv4 destination as u32; 0 for IPv6 */
  dst4: number;
  /** IPv6 source (view into the packet); null for IPv4 */
  src6: Uint8Array | null;
  /** IPv6 destination (view into the packet); null for IPv4 */
  dst6: Uint8Array | null;
  /** upper-layer protocol (after IPv6 extension headers) */
  protocol: number;
  ip: IPv4Header | IPv6Header;
  /** where the upper-layer data starts in the packet */
  payloadOffset: number;
  /** upper-layer length (IPv4: totalLength - header; IPv6: after extension headers) */
  payloadLength: number;
}

/** Parse the IP layer of a raw IPv4 or IPv6 packet. */
export function decodePacket(pkt: Uint8Array): DecodedPacket | DropReason {
  if (pkt.length < 1) return 'ip_truncated';
  const version = pkt[0] >>> 4;
  if (version === 4) {
    const ip = parseIPv4Header(pkt);
    if (typeof ip === 'string') return ip;
    // RFC 791 §3.2 "Fragmentation and Reassembly": any piece of a fragmented datagram has MF
    // set or a nonzero offset. We do not reassemble.
    if (ip.mf || ip.fragOffset !== 0) return 'ip_fragment';
    return {
      version: 4,
      src4: ip.src,
      dst4: ip.dst,
      src6: null,
      dst6: null,
      protocol: ip.protocol,
      ip,
      payloadOffset: ip.payloadOffset,
      payloadLength: ip.payloadLength,
    };
  }
  if (version === 6) {
    const ip = parseIPv6Header(pkt);
    if (typeof ip === 'string') return ip;
    return {
      version: 6,
      src4: 0,
      dst4: 0,
      src6: ip.src,
      dst6: ip.dst,
      protocol: ip.nextHeader,
      ip,
      payloadOffset: ip.payloadOffset,
      payloadLength: ip.upperLength,
    };
  }
  return pkt.length < 20 ? 'ip_truncated' : 'ip_bad_version';
}

export interface DecodedTcpPacket {
  pkt: DecodedPacket;
  seg: Segment;
}

/**
 * Parse IP and TCP, verifying both checksums. Non-TCP packets give 'ip_not_tcp'. With
 * `verifyTcpChecksum` false (receive checksum offload, link/offload.ts) the TCP checksum is not
 * looked at, as Linux skips it for CHECKSUM_UNNECESSARY; the IPv4 header's always is.
 */
export function decodeTcpPacket(pkt: Uint8Array, verifyTcpChecksum = true): DecodedTcpPacket | DropReason {
  const d = decodePacket(pkt);
  if (typeof d === 'string') return d;
  if (d.protocol !== IPPROTO_TCP) return 'ip_not_tcp';
  // RFC 9293 §3.1 (IPv4 pseudo-header), RFC 8200 §8.1 (IPv6: upper-layer length; at the
  // final destination the header's destination is the final one even with a Routing header).
  const ps = !verifyTcpChecksum
    ? 0
    : d.version === 4
      ? pseudoSumV4(d.src4, d.dst4, IPPROTO_TCP, d.payloadLength)
      : pseudoSumV6(d.src6!, d.dst6!, IPPROTO_TCP, d.payloadLength);
  const seg = decodeTcp(pkt, d.payloadOffset, d.payloadLength, ps, verifyTcpChecksum);
  if (typeof seg === 'string') return seg;
  return { pkt: d, seg };
}

/**
 * The addresses of a packet decodeTcpPacketInto took apart: filled in place, so the stack's hot
 * path builds no header or wrapper object per packet (one record per stack, reused).
 */
export interface PacketAddrs {
  version: 4 | 6;
  /** IPv4 source as u32; 0 for IPv6 */
  src4: number;
  /** IPv4 destination as u32; 0 for IPv6 */
  dst4: number;
  /** IPv6 source (view into the packet); null for IPv4 */
  src6: Uint8Array | null;
  /** IPv6 destination (view into the packet); null for IPv4 */
  dst6: Uint8Array | null;
}

/** A fresh PacketAddrs for decodeTcpPacketInto. */
export function newPacketAddrs(): PacketAddrs {
  return { version: 4, src4: 0, dst4: 0, src6: null, dst6: null };
}

/**
 * decodeTcpPacket with the same checks and verdicts, the addresses written into `out` instead of a
 * new DecodedPacket: an IPv4 header is read in place (as parseIPv4Header checks it, RFC 791 §3.1);
 * IPv6 goes through decodePacket. `out` is meaningful only when a Segment is returned. `seg`: an
 * IPv4 segment is decoded into that record (decodeTcp `into`), valid until the next decode into it.
 */
export function decodeTcpPacketInto(pkt: Uint8Array, verifyTcpChecksum: boolean, out: PacketAddrs, seg: Segment | null = null): Segment | DropReason {
  const n = pkt.length;
  if (n >= 20 && pkt[0] >>> 4 === 4) {
    // RFC 791 §3.1, as parseIPv4Header checks it; fragments are not reassembled here
    const headerLength = ipv4HeaderLength(pkt);
    if (typeof headerLength === 'string') return headerLength;
    const totalLength = (pkt[2] << 8) | pkt[3];
    if (((pkt[6] << 8) | pkt[7]) & 0x3fff) return 'ip_fragment'; // MF or a fragment offset
    if (pkt[9] !== IPPROTO_TCP) return 'ip_not_tcp';
    const src = ((pkt[12] << 24) | (pkt[13] << 16) | (pkt[14] << 8) | pkt[15]) >>> 0;
    const dst = ((pkt[16] << 24) | (pkt[17] << 16) | (pkt[18] << 8) | pkt[19]) >>> 0;
    const tcpLen = totalLength - headerLength;
    const ps = verifyTcpChecksum ? pseudoSumV4(src, dst, IPPROTO_TCP, tcpLen) : 0;
    const decoded = decodeTcp(pkt, headerLength, tcpLen, ps, verifyTcpChecksum, seg);
    if (typeof decoded === 'string') return decoded;
    out.version = 4;
    out.src4 = src;
    out.dst4 = dst;
    out.src6 = null;
    out.dst6 = null;
    return decoded;
  }
  const d = decodeTcpPacket(pkt, verifyTcpChecksum);
  if (typeof d === 'string') return d;
  out.version = d.pkt.version;
  out.src4 = d.pkt.src4;
  out.dst4 = d.pkt.dst4;
  out.src6 = d.pkt.src6;
  out.dst6 = d.pkt.dst6;
  return d.seg;
}

/** TCP length (header + options + payload) encodeTcp will produce for `seg`. */
export function tcpSegmentLength(seg: Segment): number {
  return 20 + tcpOptionsLength(seg.options, (seg.flags & SYN) !== 0) + seg.payload.length;
}

/**
 * Build an IPv4 packet (20-byte header, TTL 64, DF, ID 0) carrying `seg`. When `out` is
 * given and large enough the packet is written at its start and a view of it is returned;
 * otherwise a new array is allocated. `partialChecksum`: transmit checksum offload (encodeTcp).
 */
export function encodeTcpPacketV4(
  src: number,
  dst: number,
  seg: Segment,
  out?: Uint8Array,
  partialChecksum = false,
): Uint8Array {
  const tcpLen = tcpSegmentLength(seg);
  const total = 20 + tcpLen;
  const buf = out !== undefined && out.length >= total ? out : new Uint8Array(total);
  // TCP first: its payload copy must happen before anything else is written, in case the
  // payload is a view into `out`.
  encodeTcp(seg, buf, 20, pseudoSumV4(src, dst, IPPROTO_TCP, tcpLen), partialChecksum);
  writeIPv4HeaderRaw(buf, 0, src, dst, IPPROTO_TCP, tcpLen, 64, 0, true, 0);
  return buf.length === total ? buf : buf.subarray(0, total);
}

/** Build an IPv6 packet (40-byte header, hop limit 64, no extension headers) carrying `seg`. */
export function encodeTcpPacketV6(
  src: Uint8Array,
  dst: Uint8Array,
  seg: Segment,
  out?: Uint8Array,
  partialChecksum = false,
): Uint8Array {
  const tcpLen = tcpSegmentLength(seg);
  const total = 40 + tcpLen;
  const buf = out !== undefined && out.length >= total ? out : new Uint8Array(total);
  encodeTcp(seg, buf, 40, pseudoSumV6(src, dst, IPPROTO_TCP, tcpLen), partialChecksum);
  writeIPv6HeaderRaw(buf, 0, src, dst, IPPROTO_TCP, tcpLen, 64);
  return buf.length === total ? buf : buf.subarray(0, total);
}

/** Offset of the checksum field in the TCP header (RFC 9293 §3.1): Linux's `csum_offset`. */
export const TCP_CHECKSUM_OFFSET = 16;

/**
 * Finish, in place, the TCP checksum of a packet sent with transmit checksum offload (its field
 * holds the pseudo-header's sum): what a device does for CHECKSUM_PARTIAL, summing from the TCP
 * header (`csum_start`) to the end and storing the complement at `csum_offset`. For a link that
 * must hand complete packets on (a capture, a peer without receive offload). Returns false, and
 * changes nothing, for a packet that is not TCP or not well-formed IP.
 */
export function completeTcpChecksum(pkt: Uint8Array): boolean {
  const d = decodePacket(pkt);
  if (typeof d === 'string' || d.protocol !== IPPROTO_TCP || d.payloadLength < 20) return false;
  const at = d.payloadOffset + TCP_CHECKSUM_OFFSET;
  const c = finish(sum(pkt, d.payloadOffset, d.payloadLength));
  pkt[at] = c >>> 8;
  pkt[at + 1] = c;
  return true;
}
