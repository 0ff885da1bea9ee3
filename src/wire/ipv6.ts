/**
 * IPv6 header codec (RFC 8200 §3) with a bounded walk over extension headers (RFC 8200 §4,
 * wire/ipv6-ext.ts).
 * Parsing validates and never throws.
 */
import type { DropReason } from './segment.js';
import { FRAGMENT, NO_NEXT_HEADER, newExtWalk, walkExtensions, type ExtWalk } from './ipv6-ext.js';

export interface IPv6Header {
  trafficClass: number;
  flowLabel: number;
  /** the Payload Length field: everything after the fixed 40-byte header */
  payloadLength: number;
  /** the upper-layer protocol, found after skipping extension headers */
  nextHeader: number;
  hopLimit: number;
  /** a 16-byte view into the parsed buffer */
  src: Uint8Array;
  /** a 16-byte view into the parsed buffer */
  dst: Uint8Array;
  /** where the upper-layer data starts (40 + extension headers) */
  payloadOffset: number;
  /** the upper-layer length: payloadLength minus extension headers (RFC 8200 §8.1) */
  upperLength: number;
}

export const IPV6_HEADER_LENGTH = 40;

const walk = newExtWalk();

/**
 * Parse the IPv6 header at the start of `buf`; returns why it is unusable otherwise. A packet
 * carrying a Fragment header gives 'ip_fragment' (the IP layer reassembles it); one an extension
 * header refuses gives the reason, and `explainIPv6Drop` says what to answer.
 */
export function parseIPv6Header(buf: Uint8Array): IPv6Header | DropReason {
  if (buf.length < 40) return 'ip_truncated';
  if (buf[0] >>> 4 !== 6) return 'ip_bad_version';
  const payloadLength = (buf[4] << 8) | buf[5];
  // RFC 8200 §3 "Payload Length": bytes beyond it (link padding) are ignored. A zero here
  // with a Jumbo Payload option (RFC 2675) is not supported: it reads as an empty payload.
  const end = 40 + payloadLength;
  if (end > buf.length) return 'ip_bad_length';

  const why = walkExtensions(buf, 40, end, buf[6], 6, true, walk);
  if (why !== null) return why;
  const nh = walk.nextHeader;
  const off = walk.offset;
  // RFC 8200 §4.5: the IP layer reassembles (or, for an atomic fragment, unwraps) it
  if (nh === FRAGMENT) return 'ip_fragment';
  // RFC 8200 §4.7: nothing follows.
  if (nh === NO_NEXT_HEADER) return 'ip_not_tcp';

  return {
    trafficClass: ((buf[0] & 0x0f) << 4) | (buf[1] >>> 4),
    flowLabel: ((buf[1] & 0x0f) << 16) | (buf[2] << 8) | buf[3],
    payloadLength,
    nextHeader: nh,
    hopLimit: buf[7],
    src: buf.subarray(8, 24),
    dst: buf.subarray(24, 40),
    payloadOffset: off,
    upperLength: end - off,
  };
}

export interface IPv6HeaderFields {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  payloadLength: number;
  /** default 64 */
  hopLimit?: number;
}

/** Positional form of writeIPv6Header for hot paths (no per-packet options object). */
export function writeIPv6HeaderRaw(
  out: Uint8Array,
  off: number,
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  payloadLength: number,
  hopLimit: number,
): number {
  out[off] = 0x60; // version 6, traffic class 0
  out[off + 1] = 0; // flow label 0
  out[off + 2] = 0;
  out[off + 3] = 0;
  out[off + 4] = payloadLength >>> 8;
  out[off + 5] = payloadLength;
  out[off + 6] = nextHeader;
  out[off + 7] = hopLimit;
  // Read both bytes before writing either, so swapping addresses in place works (src and dst
  // may be views of this very header when a reply reuses the received packet's buffer).
  for (let i = 0; i < 16; i++) {
    const s = src[i];
    const d = dst[i];
    out[off + 8 + i] = s;
    out[off + 24 + i] = d;
  }
  return 40;
}

/** Write the fixed 40-byte IPv6 header (traffic class and flow label 0) at out[off]; returns 40. */
export function writeIPv6Header(out: Uint8Array, off: number, h: IPv6HeaderFields): number {
  return writeIPv6HeaderRaw(out, off, h.src, h.dst, h.nextHeader, h.payloadLength, h.hopLimit ?? 64);
}

/**
 * Walk the extension headers of a packet parseIPv6Header refused, and fill `w` with what to answer
 * (w.icmpCode -1: nothing). The slow path of the IP layer only.
 */
export function explainIPv6Drop(buf: Uint8Array, w: ExtWalk): DropReason | null {
  if (buf.length < 40 || buf[0] >>> 4 !== 6) return null;
  const end = 40 + ((buf[4] << 8) | buf[5]);
  if (end > buf.length) return null;
  return walkExtensions(buf, 40, end, buf[6], 6, true, w);
}
