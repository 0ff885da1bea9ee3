/**
 * IPv4 header codec (RFC 791 §3.1). Parsing validates and never throws; writing produces a
 * 20-byte header without options and with a correct header checksum.
 */
import type { DropReason } from './segment.js';
import { finish, sum } from './checksum.js';

export interface IPv4Header {
  version: number;
  /** header length in 32-bit words */
  ihl: number;
  /** header length in bytes (ihl * 4) */
  headerLength: number;
  tos: number;
  totalLength: number;
  id: number;
  /** Don't Fragment */
  df: boolean;
  /** More Fragments */
  mf: boolean;
  /** in 8-byte units, as on the wire */
  fragOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  /** u32 */
  src: number;
  /** u32 */
  dst: number;
  /** = headerLength: where the payload starts in the parsed buffer */
  payloadOffset: number;
  /** totalLength - headerLength: bytes past totalLength (link padding) are not counted */
  payloadLength: number;
}

export const IPV4_HEADER_LENGTH = 20;

/**
 * The checks every IPv4 header must pass (the caller has seen 20 bytes and version 4): its length,
 * or why it is refused. Shared by parseIPv4Header and the stack's in-place decode (packet.ts).
 */
export function ipv4HeaderLength(buf: Uint8Array): number | DropReason {
  const n = buf.length;
  // RFC 791 §3.1 "IHL": minimum value for a correct header is 5.
  const headerLength = (buf[0] & 0x0f) << 2;
  if (headerLength < 20 || headerLength > n) return 'ip_bad_ihl';
  // RFC 791 §3.1 "Total Length": header and data; it may be shorter than what the link
  // delivered (Ethernet pads short frames), but never shorter than the header or longer
  // than what we have.
  const totalLength = (buf[2] << 8) | buf[3];
  if (totalLength < headerLength || totalLength > n) return 'ip_bad_length';
  // RFC 791 §3.1 "Header Checksum": the sum over the header, checksum field included, is
  // all ones when correct (RFC 1071 §1(3)).
  if (finish(sum(buf, 0, headerLength)) !== 0) return 'ip_bad_checksum';
  return headerLength;
}

/** Parse the IPv4 header at the start of `buf`; returns why it is unusable otherwise. */
export function parseIPv4Header(buf: Uint8Array): IPv4Header | DropReason {
  if (buf.length < 20) return 'ip_truncated';
  const version = buf[0] >>> 4;
  if (version !== 4) return 'ip_bad_version';
  const headerLength = ipv4HeaderLength(buf);
  if (typeof headerLength === 'string') return headerLength;
  const totalLength = (buf[2] << 8) | buf[3];
  const flagsFrag = (buf[6] << 8) | buf[7];
  return {
    version,
    ihl: headerLength >>> 2,
    headerLength,
    tos: buf[1],
    totalLength,
    id: (buf[4] << 8) | buf[5],
    df: (flagsFrag & 0x4000) !== 0,
    mf: (flagsFrag & 0x2000) !== 0,
    fragOffset: flagsFrag & 0x1fff,
    ttl: buf[8],
    protocol: buf[9],
    checksum: (buf[10] << 8) | buf[11],
    src: ((buf[12] << 24) | (buf[13] << 16) | (buf[14] << 8) | buf[15]) >>> 0,
    dst: ((buf[16] << 24) | (buf[17] << 16) | (buf[18] << 8) | buf[19]) >>> 0,
    payloadOffset: headerLength,
    payloadLength: totalLength - headerLength,
  };
}

export interface IPv4HeaderFields {
  src: number;
  dst: number;
  protocol: number;
  payloadLength: number;
  /** default 64 */
  ttl?: number;
  /** default 0 (RFC 6864 §4.1: the ID of an atomic datagram carries no meaning) */
  id?: number;
  /** default true */
  df?: boolean;
  /** default 0 */
  tos?: number;
}

/**
 * Write a 20-byte header at out[off]. Positional form of writeIPv4Header for hot paths that
 * should not build an options object per packet.
 */
export function writeIPv4HeaderRaw(
  out: Uint8Array,
  off: number,
  src: number,
  dst: number,
  protocol: number,
  payloadLength: number,
  ttl: number,
  id: number,
  df: boolean,
  tos: number,
): number {
  const total = 20 + payloadLength;
  out[off] = 0x45; // version 4, IHL 5
  out[off + 1] = tos;
  out[off + 2] = total >>> 8;
  out[off + 3] = total;
  out[off + 4] = id >>> 8;
  out[off + 5] = id;
  out[off + 6] = df ? 0x40 : 0;
  out[off + 7] = 0;
  out[off + 8] = ttl;
  out[off + 9] = protocol;
  out[off + 10] = 0;
  out[off + 11] = 0;
  out[off + 12] = src >>> 24;
  out[off + 13] = src >>> 16;
  out[off + 14] = src >>> 8;
  out[off + 15] = src;
  out[off + 16] = dst >>> 24;
  out[off + 17] = dst >>> 16;
  out[off + 18] = dst >>> 8;
  out[off + 19] = dst;
  const c = finish(sum(out, off, 20));
  out[off + 10] = c >>> 8;
  out[off + 11] = c;
  return 20;
}

/** Write a 20-byte IPv4 header (no options) with a correct checksum at out[off]; returns 20. */
export function writeIPv4Header(out: Uint8Array, off: number, h: IPv4HeaderFields): number {
  return writeIPv4HeaderRaw(
    out,
    off,
    h.src,
    h.dst,
    h.protocol,
    h.payloadLength,
    h.ttl ?? 64,
    h.id ?? 0,
    h.df ?? true,
    h.tos ?? 0,
  );
}
