/**
 * TCP header codec (RFC 9293 §3.1) with the options of RFC 9293 §3.2, RFC 7323 (window scale,
 * timestamps) and RFC 2018 (SACK). Decoding validates and never throws.
 *
 * `pseudoSum` is the unfolded pseudo-header sum from checksum.ts, *including* the TCP length
 * (header + options + data) of the segment being decoded or encoded.
 */
import type { DropReason, Segment, TcpOptions } from './segment.js';
import { SYN } from './segment.js';
import { finish, fold, sum } from './checksum.js';

/** RFC 9293 §3.2 and the RFCs above: option kinds and their fixed lengths. */
const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;
const OPT_SACK_PERMITTED = 4;
const OPT_SACK = 5;
const OPT_TIMESTAMPS = 8;
const LEN_MSS = 4;
const LEN_WSCALE = 3;
const LEN_SACK_PERMITTED = 2;
const LEN_TIMESTAMPS = 10;

/** RFC 9293 §3.1: the data offset field is 4 bits, so the header is at most 60 bytes. */
export const TCP_HEADER_MIN = 20;
export const TCP_OPTIONS_MAX = 40;

/** the payload of a segment without data decoded into a caller's record (a view of nothing: nothing to change) */
const EMPTY_PAYLOAD = new Uint8Array(0);

function u32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}

/**
 * Decode the TCP segment in buf[off, off+len). Returns the Segment (payload a view, no copy)
 * or why it must be dropped. `into` (the stack's hot path): the header is written into that
 * record, which is returned, instead of a new one, and a segment without data gets one empty view
 * shared by all (most segments are SYNs, ACKs and FINs) — valid, like the payload, until the
 * next decode into the same record. So are the options: `into` must come from newSegmentRecord,
 * whose options record is cleared and refilled (a new object each without `into`).
 */
export function decodeTcp(
  buf: Uint8Array,
  off: number,
  len: number,
  pseudoSum: number,
  verifyChecksum = true,
  into: Segment | null = null,
): Segment | DropReason {
  if (len < TCP_HEADER_MIN || off < 0 || off + len > buf.length) return 'tcp_truncated';
  // RFC 9293 §3.1 "Data Offset": the header length in 32-bit words; at least 5.
  const dataOffset = buf[off + 12] >>> 4;
  const hl = dataOffset << 2;
  if (dataOffset < 5 || hl > len) return 'tcp_bad_offset';
  // RFC 9293 §3.1 "Checksum": over pseudo-header, header and data.
  if (verifyChecksum && finish(sum(buf, off, len, pseudoSum)) !== 0) return 'tcp_bad_checksum';

  // into a record: its options record too, every field cleared (absent) and refilled, as the
  // output path's (tcp/output.ts); valid, like the record, until the next decode into it
  let options: TcpOptions;
  if (into !== null) {
    options = into.options;
    options.mss = undefined;
    options.wscale = undefined;
    options.sackPermitted = undefined;
    options.sack = undefined;
    options.tsVal = undefined;
    options.tsEcr = undefined;
  } else options = {};
  const end = off + hl;
  let i = off + 20;
  while (i < end) {
    const kind = buf[i];
    // RFC 9293 §3.2: End of Option List ends parsing; the rest is padding.
    if (kind === OPT_EOL) break;
    if (kind === OPT_NOP) {
      i++;
      continue;
    }
    // RFC 9293 §3.2 "Specific Option Definitions" / §3.1: every other option has a length
    // octet counting kind and length; a length that cannot be right is a malformed header.
    if (i + 1 >= end) return 'tcp_bad_option';
    const olen = buf[i + 1];
    if (olen < 2 || i + olen > end) return 'tcp_bad_option';
    // Known kinds with the wrong length are skipped, like Linux's tcp_parse_options.
    switch (kind) {
      case OPT_MSS:
        if (olen === LEN_MSS) options.mss = (buf[i + 2] << 8) | buf[i + 3];
        break;
      case OPT_WSCALE:
        // RFC 7323 §2.3: a shift above 14 is used as 14; we report it as received.
        if (olen === LEN_WSCALE) options.wscale = buf[i + 2];
        break;
      case OPT_SACK_PERMITTED:
        if (olen === LEN_SACK_PERMITTED) options.sackPermitted = true;
        break;
      case OPT_SACK: {
        // RFC 2018 §3: 2 + 8n bytes, n blocks of (left edge, right edge).
        const body = olen - 2;
        if (body >= 8 && body <= 32 && (body & 7) === 0) {
          const edges: number[] = [];
          for (let j = i + 2; j < i + olen; j += 4) edges.push(u32(buf, j));
          options.sack = edges;
        }
        break;
      }
      case OPT_TIMESTAMPS:
        // RFC 7323 §3.2: TSval then TSecr.
        if (olen === LEN_TIMESTAMPS) {
          options.tsVal = u32(buf, i + 2);
          options.tsEcr = u32(buf, i + 6);
        }
        break;
      default:
        // RFC 9293 §3.1: unknown options are skipped by their length.
        break;
    }
    i += olen;
  }

  if (into !== null) {
    into.srcPort = (buf[off] << 8) | buf[off + 1];
    into.dstPort = (buf[off + 2] << 8) | buf[off + 3];
    into.seq = u32(buf, off + 4);
    into.ack = u32(buf, off + 8);
    into.flags = buf[off + 13];
    into.window = (buf[off + 14] << 8) | buf[off + 15];
    into.urgent = (buf[off + 18] << 8) | buf[off + 19];
    // the view made directly (subarray would look up the species constructor for the same view)
    into.payload = end === off + len ? EMPTY_PAYLOAD : new Uint8Array(buf.buffer, buf.byteOffset + end, off + len - end);
    return into;
  }
  return {
    srcPort: (buf[off] << 8) | buf[off + 1],
    dstPort: (buf[off + 2] << 8) | buf[off + 3],
    seq: u32(buf, off + 4),
    ack: u32(buf, off + 8),
    flags: buf[off + 13],
    window: (buf[off + 14] << 8) | buf[off + 15],
    urgent: (buf[off + 18] << 8) | buf[off + 19],
    options,
    payload: buf.subarray(end, off + len),
  };
}

/** A record for decodeTcp's `into` (its fields are overwritten by each decode). */
export function newSegmentRecord(): Segment {
  // the options record has every field from the start: one shape, refilled in place (decodeTcp)
  const options: TcpOptions = { mss: undefined, wscale: undefined, sackPermitted: undefined, sack: undefined, tsVal: undefined, tsEcr: undefined };
  return { srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, urgent: 0, options, payload: EMPTY_PAYLOAD };
}

function hasTs(o: TcpOptions): boolean {
  return o.tsVal !== undefined || o.tsEcr !== undefined;
}

/** Bytes of the fixed (non-SACK) options; see encodeOptions for the layout. */
function fixedOptionsLength(o: TcpOptions, isSyn: boolean): number {
  const ts = hasTs(o);
  let n = ts ? 12 : 0; // NOP NOP TS, or sackOK TS on a SYN
  if (isSyn) {
    if (o.mss !== undefined) n += 4;
    if (o.sackPermitted && !ts) n += 4; // NOP NOP sackOK
    if (o.wscale !== undefined) n += 4; // NOP wscale
  }
  return n;
}

/** How many SACK blocks fit after `fixed` option bytes (RFC 2018 §3: at most 4). */
function sackBlocksThatFit(o: TcpOptions, fixed: number): number {
  const sack = o.sack;
  if (sack === undefined) return 0;
  const want = sack.length >>> 1;
  if (want === 0) return 0;
  const room = (TCP_OPTIONS_MAX - fixed - 4) >> 3; // NOP NOP kind len, then 8 per block
  return Math.max(0, Math.min(want, room, 4));
}

/**
 * Length in bytes of the options encodeTcp writes for `opts` (a multiple of 4, ≤ 40).
 * MSS, window scale and SACK-permitted are SYN-only (RFC 9293 §3.7.1, RFC 7323 §2.2,
 * RFC 2018 §2) and are left out of non-SYN segments.
 */
export function tcpOptionsLength(opts: TcpOptions, isSyn: boolean): number {
  const fixed = fixedOptionsLength(opts, isSyn);
  const blocks = sackBlocksThatFit(opts, fixed);
  const n = fixed + (blocks > 0 ? 4 + 8 * blocks : 0);
  return (n + 3) & ~3;
}

/**
 * Write options at out[i] in the order Linux sends them (tcp_options_write):
 *   SYN:     MSS | sackOK TS (or NOP NOP TS, or NOP NOP sackOK) | NOP wscale
 *   any:     NOP NOP TS                           (non-SYN)
 *   any:     NOP NOP SACK(n blocks)               (when blocks are given and fit)
 * Returns the number of bytes written, padded with EOL to a multiple of 4.
 */
function encodeOptions(o: TcpOptions, isSyn: boolean, out: Uint8Array, start: number): number {
  let i = start;
  const ts = hasTs(o);
  if (isSyn && o.mss !== undefined) {
    out[i] = OPT_MSS;
    out[i + 1] = LEN_MSS;
    out[i + 2] = o.mss >>> 8;
    out[i + 3] = o.mss;
    i += 4;
  }
  if (ts) {
    if (isSyn && o.sackPermitted) {
      out[i] = OPT_SACK_PERMITTED;
      out[i + 1] = LEN_SACK_PERMITTED;
    } else {
      out[i] = OPT_NOP;
      out[i + 1] = OPT_NOP;
    }
    out[i + 2] = OPT_TIMESTAMPS;
    out[i + 3] = LEN_TIMESTAMPS;
    put32(out, i + 4, o.tsVal ?? 0);
    put32(out, i + 8, o.tsEcr ?? 0);
    i += 12;
  } else if (isSyn && o.sackPermitted) {
    out[i] = OPT_NOP;
    out[i + 1] = OPT_NOP;
    out[i + 2] = OPT_SACK_PERMITTED;
    out[i + 3] = LEN_SACK_PERMITTED;
    i += 4;
  }
  if (isSyn && o.wscale !== undefined) {
    out[i] = OPT_NOP;
    out[i + 1] = OPT_WSCALE;
    out[i + 2] = LEN_WSCALE;
    out[i + 3] = o.wscale;
    i += 4;
  }
  const blocks = sackBlocksThatFit(o, i - start);
  if (blocks > 0) {
    const sack = o.sack!;
    out[i] = OPT_NOP;
    out[i + 1] = OPT_NOP;
    out[i + 2] = OPT_SACK;
    out[i + 3] = 2 + 8 * blocks;
    i += 4;
    for (let b = 0; b < 2 * blocks; b++) {
      put32(out, i, sack[b]);
      i += 4;
    }
  }
  while ((i - start) & 3) out[i++] = OPT_EOL;
  return i - start;
}

/**
 * Encode `seg` at out[off]: header, options, payload, with the checksum filled in. `pseudoSum`
 * must include the TCP length, i.e. 20 + tcpOptionsLength(seg.options, isSyn) +
 * seg.payload.length. Returns the number of bytes written. Throws RangeError if `out` is too
 * small (a caller bug, not bad input). The payload is copied first, so it may be a view into
 * `out` itself (e.g. already in place after the header).
 *
 * `partialChecksum` (transmit checksum offload, link/offload.ts): leave only the pseudo-header's
 * sum, folded and not complemented, in the checksum field, as Linux's CHECKSUM_PARTIAL does
 * (__tcp_v4_send_check); summing the segment from its first byte then gives the checksum.
 */
export function encodeTcp(seg: Segment, out: Uint8Array, off: number, pseudoSum: number, partialChecksum = false): number {
  const isSyn = (seg.flags & SYN) !== 0;
  const hl = 20 + tcpOptionsLength(seg.options, isSyn);
  const total = hl + seg.payload.length;
  if (off < 0 || off + total > out.length) throw new RangeError('encodeTcp: output buffer too small');
  if (seg.payload.length > 0) out.set(seg.payload, off + hl);

  out[off] = seg.srcPort >>> 8;
  out[off + 1] = seg.srcPort;
  out[off + 2] = seg.dstPort >>> 8;
  out[off + 3] = seg.dstPort;
  put32(out, off + 4, seg.seq);
  put32(out, off + 8, seg.ack);
  out[off + 12] = (hl >>> 2) << 4; // data offset; reserved bits zero
  out[off + 13] = seg.flags;
  out[off + 14] = seg.window >>> 8;
  out[off + 15] = seg.window;
  out[off + 16] = 0;
  out[off + 17] = 0;
  out[off + 18] = seg.urgent >>> 8;
  out[off + 19] = seg.urgent;
  encodeOptions(seg.options, isSyn, out, off + 20);

  const c = partialChecksum ? fold(pseudoSum) : finish(sum(out, off, total, pseudoSum));
  out[off + 16] = c >>> 8;
  out[off + 17] = c;
  return total;
}
