/**
 * Raw packet building for the receive-path fuzzer: TCP headers with any field (data offset,
 * reserved bits, option bytes of any kind and length), IPv4 with options and fragment fields,
 * IPv6 with extension headers, checksums made valid after a mutation, and fragmentation.
 * Unlike wire/ these writers accept what a correct stack would never send.
 */
import { finish, pseudoSumV4, pseudoSumV6, sum } from '../../src/wire/checksum.js';

export interface RawTcp {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** the 8 flag bits */
  flags: number;
  /** the 4 reserved bits (byte 12, low nibble) */
  reserved: number;
  window: number;
  urgent: number;
  /** option bytes as sent (padded with EOL to a multiple of 4) */
  options: Uint8Array;
  payload: Uint8Array;
  /** a Data Offset to write instead of the right one */
  doff?: number;
}

/** The TCP segment's bytes, checksum left zero. */
export function tcpBytes(t: RawTcp): Uint8Array {
  const optLen = (t.options.length + 3) & ~3;
  const hl = 20 + optLen;
  const out = new Uint8Array(hl + t.payload.length);
  put16(out, 0, t.srcPort);
  put16(out, 2, t.dstPort);
  put32(out, 4, t.seq);
  put32(out, 8, t.ack);
  out[12] = (((t.doff ?? hl >> 2) & 15) << 4) | (t.reserved & 15);
  out[13] = t.flags & 255;
  put16(out, 14, t.window);
  put16(out, 18, t.urgent);
  out.set(t.options, 20);
  out.set(t.payload, hl);
  return out;
}

export interface V4Fields {
  ttl: number;
  tos: number;
  id: number;
  df: boolean;
  mf: boolean;
  /** in 8-byte units */
  fragOffset: number;
  /** IP option bytes (padded to a multiple of 4) */
  ipOptions: Uint8Array;
}

export const V4_DEFAULTS: V4Fields = { ttl: 64, tos: 0, id: 0, df: true, mf: false, fragOffset: 0, ipOptions: new Uint8Array(0) };

/** An IPv4 packet with a valid header checksum. */
export function ipv4Packet(src: number, dst: number, protocol: number, body: Uint8Array, f: V4Fields = V4_DEFAULTS): Uint8Array {
  const optLen = Math.min(40, (f.ipOptions.length + 3) & ~3);
  const hl = 20 + optLen;
  const out = new Uint8Array(hl + body.length);
  out[0] = 0x40 | (hl >> 2);
  out[1] = f.tos;
  put16(out, 2, Math.min(0xffff, out.length));
  put16(out, 4, f.id);
  put16(out, 6, (f.df ? 0x4000 : 0) | (f.mf ? 0x2000 : 0) | (f.fragOffset & 0x1fff));
  out[8] = f.ttl;
  out[9] = protocol;
  put32(out, 12, src);
  put32(out, 16, dst);
  out.set(f.ipOptions.subarray(0, optLen), 20);
  out.set(body, hl);
  fixIpv4Header(out);
  return out;
}

/** One IPv6 extension header: its type (the Next Header value naming it) and its bytes (first byte rewritten). */
export interface Ext {
  type: number;
  bytes: Uint8Array;
}

/** An IPv6 packet, the extension headers chained in order before `nextHeader`. */
export function ipv6Packet(src: Uint8Array, dst: Uint8Array, nextHeader: number, body: Uint8Array, exts: Ext[] = [], hopLimit = 64, trafficClass = 0, flowLabel = 0): Uint8Array {
  const extLen = exts.reduce((n, e) => n + e.bytes.length, 0);
  const out = new Uint8Array(40 + extLen + body.length);
  out[0] = 0x60 | (trafficClass >> 4);
  out[1] = ((trafficClass & 15) << 4) | ((flowLabel >> 16) & 15);
  put16(out, 2, flowLabel & 0xffff);
  put16(out, 4, Math.min(0xffff, out.length - 40));
  out[6] = exts.length ? exts[0]!.type : nextHeader;
  out[7] = hopLimit;
  out.set(src, 8);
  out.set(dst, 24);
  let off = 40;
  exts.forEach((e, i) => {
    out.set(e.bytes, off);
    out[off] = i + 1 < exts.length ? exts[i + 1]!.type : nextHeader;
    off += e.bytes.length;
  });
  out.set(body, off);
  return out;
}

/** Recompute the IPv4 header checksum in place (when the IHL fits the buffer). */
export function fixIpv4Header(p: Uint8Array): void {
  if (p.length < 20 || p[0]! >> 4 !== 4) return;
  const hl = (p[0]! & 15) * 4;
  if (hl < 20 || hl > p.length) return;
  p[10] = p[11] = 0;
  const c = finish(sum(p, 0, hl));
  p[10] = c >> 8;
  p[11] = c & 255;
}

/**
 * Make the TCP checksum of a whole (unfragmented) packet right, so a mutated segment reaches the
 * TCP layer. Does nothing when the headers do not lead to a TCP segment that fits.
 */
export function fixTcpChecksum(p: Uint8Array): void {
  if (p.length < 1) return;
  if (p[0]! >> 4 === 4) {
    if (p.length < 20) return;
    const hl = (p[0]! & 15) * 4;
    const total = (p[2]! << 8) | p[3]!;
    if (p[9] !== 6 || hl < 20 || total > p.length || total < hl + 18 || ((p[6]! & 0x3f) | p[7]!) !== 0) return;
    const src = get32(p, 12);
    const dst = get32(p, 16);
    p[hl + 16] = p[hl + 17] = 0;
    const c = finish(sum(p, hl, total - hl, pseudoSumV4(src, dst, 6, total - hl)));
    put16(p, hl + 16, c);
    return;
  }
  if (p[0]! >> 4 !== 6 || p.length < 40) return;
  const end = 40 + ((p[4]! << 8) | p[5]!);
  if (end > p.length) return;
  let nh = p[6]!;
  let off = 40;
  for (let guard = 0; guard < 64 && (nh === 0 || nh === 43 || nh === 60); guard++) {
    if (off + 2 > end) return;
    nh = p[off]!;
    off += (p[off + 1]! + 1) * 8;
  }
  if (nh !== 6 || off + 18 > end) return;
  p[off + 16] = p[off + 17] = 0;
  const c = finish(sum(p, off, end - off, pseudoSumV6(p.subarray(8, 24), p.subarray(24, 40), 6, end - off)));
  put16(p, off + 16, c);
}

/** A cut of a packet's fragmentable data. */
export interface Cut {
  offset: number;
  len: number;
  more: boolean;
}

/** Fragments of a whole packet (IPv4: after its header; IPv6: after the fixed header) along `cuts`. */
export function fragment(p: Uint8Array, cuts: Cut[], id: number): Uint8Array[] {
  if (p[0]! >> 4 === 4) {
    const hl = (p[0]! & 15) * 4;
    const data = p.subarray(hl, Math.min(p.length, (p[2]! << 8) | p[3]!));
    return cuts.map((c) => {
      const piece = data.subarray(Math.min(c.offset, data.length), Math.min(data.length, c.offset + c.len));
      const f = new Uint8Array(hl + piece.length);
      f.set(p.subarray(0, hl));
      f.set(piece, hl);
      put16(f, 2, f.length);
      put16(f, 4, id & 0xffff);
      put16(f, 6, (c.more ? 0x2000 : 0) | ((c.offset >> 3) & 0x1fff));
      fixIpv4Header(f);
      return f;
    });
  }
  const data = p.subarray(40, Math.min(p.length, 40 + ((p[4]! << 8) | p[5]!)));
  return cuts.map((c) => {
    const piece = data.subarray(Math.min(c.offset, data.length), Math.min(data.length, c.offset + c.len));
    const f = new Uint8Array(48 + piece.length);
    f.set(p.subarray(0, 40));
    put16(f, 4, 8 + piece.length);
    f[6] = 44;
    f[40] = p[6]!;
    put16(f, 42, (c.offset & 0xfff8) | (c.more ? 1 : 0));
    put32(f, 44, id);
    f.set(piece, 48);
    return f;
  });
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 255;
  b[o + 1] = v & 255;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 255;
  b[o + 2] = (v >>> 8) & 255;
  b[o + 3] = v & 255;
}

export function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}
