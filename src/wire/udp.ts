/**
 * UDP header codec (RFC 768) with the checksum over the IPv4 pseudo-header (RFC 768 "Fields") or the
 * IPv6 one (RFC 8200 §8.1). Decoding validates and never throws: it returns a typed drop reason.
 *
 * `pseudoSum` arguments are the pseudo-header sums from checksum.ts computed with a length of 0:
 * the sum is additive, so the codec adds the UDP length itself (the pseudo-header's length is the
 * UDP Length field, RFC 768; RFC 8200 §8.1 "the Upper-Layer Packet Length ... for UDP, taken from
 * the UDP header").
 */
import { finish, pseudoSumV4, pseudoSumV6, sum } from './checksum.js';
import { writeIPv4HeaderRaw } from './ipv4.js';
import { writeIPv6HeaderRaw } from './ipv6.js';

/** IANA protocol number for UDP (IPv4 Protocol / IPv6 Next Header). */
export const IPPROTO_UDP = 17;
/** RFC 768: source port, destination port, length, checksum: 8 bytes. */
export const UDP_HEADER_LENGTH = 8;

/** Why a UDP datagram was dropped by the codec. */
export type UdpDropReason =
  /** fewer than 8 bytes of IP payload, or a Length field below 8 */
  | 'udp_truncated'
  /** the Length field says more than the IP payload holds */
  | 'udp_bad_length'
  /** the checksum does not verify */
  | 'udp_bad_checksum'
  /** RFC 8200 §8.1: over IPv6 a zero checksum is not allowed */
  | 'udp6_zero_checksum';

/** One decoded UDP datagram; `payload` is a view into the packet (no copy). */
export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/**
 * Decode the UDP datagram in buf[off, off+len) (len: the IP payload length), for IP `version` with
 * the pseudo-header sum `pseudoSum` (length 0, see above). Bytes past the UDP Length are ignored
 * (RFC 768 does not forbid them; Linux trims to the UDP length in __udp4_lib_rcv).
 */
export function decodeUdp(buf: Uint8Array, off: number, len: number, version: 4 | 6, pseudoSum: number): UdpDatagram | UdpDropReason {
  if (len < UDP_HEADER_LENGTH || off < 0 || off + len > buf.length) return 'udp_truncated';
  const udpLen = (buf[off + 4]! << 8) | buf[off + 5]!;
  if (udpLen < UDP_HEADER_LENGTH) return 'udp_truncated';
  if (udpLen > len) return 'udp_bad_length';
  const check = (buf[off + 6]! << 8) | buf[off + 7]!;
  if (check === 0) {
    // RFC 768: an all-zero checksum means the sender computed none (IPv4 only);
    // RFC 8200 §8.1: an IPv6 receiver must discard a UDP packet with a zero checksum
    if (version === 6) return 'udp6_zero_checksum';
  } else if (finish(sum(buf, off, udpLen, pseudoSum + udpLen)) !== 0) {
    return 'udp_bad_checksum';
  }
  return {
    srcPort: (buf[off]! << 8) | buf[off + 1]!,
    dstPort: (buf[off + 2]! << 8) | buf[off + 3]!,
    payload: buf.subarray(off + UDP_HEADER_LENGTH, off + udpLen),
  };
}

/**
 * Write the UDP header and `payload` at out[off] with its checksum (pseudo-header sum with length 0).
 * RFC 768: a computed checksum of zero is sent as all ones (0 means "no checksum"). Returns the UDP length.
 */
export function encodeUdp(out: Uint8Array, off: number, srcPort: number, dstPort: number, payload: Uint8Array, pseudoSum: number): number {
  const udpLen = UDP_HEADER_LENGTH + payload.length;
  out.set(payload, off + UDP_HEADER_LENGTH);
  out[off] = srcPort >>> 8;
  out[off + 1] = srcPort;
  out[off + 2] = dstPort >>> 8;
  out[off + 3] = dstPort;
  out[off + 4] = udpLen >>> 8;
  out[off + 5] = udpLen;
  out[off + 6] = 0;
  out[off + 7] = 0;
  const c = finish(sum(out, off, udpLen, pseudoSum + udpLen)) || 0xffff;
  out[off + 6] = c >>> 8;
  out[off + 7] = c;
  return udpLen;
}

/** An IPv4 packet (20-byte header, TTL 64, DF as Linux sets it with path MTU discovery, ID 0) carrying one datagram. */
export function encodeUdpPacketV4(src: number, dst: number, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const udpLen = UDP_HEADER_LENGTH + payload.length;
  const out = new Uint8Array(20 + udpLen);
  encodeUdp(out, 20, srcPort, dstPort, payload, pseudoSumV4(src, dst, IPPROTO_UDP, 0));
  writeIPv4HeaderRaw(out, 0, src, dst, IPPROTO_UDP, udpLen, 64, 0, true, 0);
  return out;
}

/** An IPv6 packet (40-byte header, hop limit 64, no extension headers) carrying one datagram. */
export function encodeUdpPacketV6(src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const udpLen = UDP_HEADER_LENGTH + payload.length;
  const out = new Uint8Array(40 + udpLen);
  writeIPv6HeaderRaw(out, 0, src, dst, IPPROTO_UDP, udpLen, 64);
  encodeUdp(out, 40, srcPort, dstPort, payload, pseudoSumV6(src, dst, IPPROTO_UDP, 0));
  return out;
}
