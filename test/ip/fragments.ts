/**
 * Cutting whole packets into fragments the way a sender (or an attacker) would, for the reassembly
 * tests: IPv4 (RFC 791 §3.2: header copied, MF, offset in 8-byte units) and IPv6 (RFC 8200 §4.5: the
 * 40-byte header, a Fragment header, a piece of the rest).
 */
import { finish, sum } from '../../src/wire/checksum.js';

export interface Cut {
  /** byte offset in the datagram's data (IPv4: after the header; IPv6: after the 40-byte header) */
  offset: number;
  len: number;
  /** More Fragments; by default set unless the cut reaches the end */
  more?: boolean;
  /** bytes to carry instead of the datagram's own (overlap attacks) */
  data?: Uint8Array;
}

/** IPv4 fragments of `pkt` (20-byte header, no options) with identification `id`. */
export function fragmentV4(pkt: Uint8Array, cuts: Cut[], id = 0x1234): Uint8Array[] {
  const hl = (pkt[0]! & 15) * 4;
  const data = pkt.subarray(hl, (pkt[2]! << 8) | pkt[3]!);
  return cuts.map((c) => {
    const piece = c.data ?? data.subarray(c.offset, c.offset + c.len);
    const more = c.more ?? c.offset + c.len < data.length;
    const f = new Uint8Array(hl + piece.length);
    f.set(pkt.subarray(0, hl));
    f.set(piece, hl);
    f[2] = f.length >> 8;
    f[3] = f.length & 255;
    f[4] = id >> 8;
    f[5] = id & 255;
    const fo = (c.offset >> 3) | (more ? 0x2000 : 0);
    f[6] = fo >> 8;
    f[7] = fo & 255;
    f[10] = f[11] = 0;
    const ck = finish(sum(f, 0, hl));
    f[10] = ck >> 8;
    f[11] = ck & 255;
    return f;
  });
}

/** IPv6 fragments of `pkt` (no extension headers before the cut) with identification `id`. */
export function fragmentV6(pkt: Uint8Array, cuts: Cut[], id = 0x12345678): Uint8Array[] {
  const data = pkt.subarray(40, 40 + ((pkt[4]! << 8) | pkt[5]!));
  return cuts.map((c) => {
    const piece = c.data ?? data.subarray(c.offset, c.offset + c.len);
    const more = c.more ?? c.offset + c.len < data.length;
    const f = new Uint8Array(48 + piece.length);
    f.set(pkt.subarray(0, 40));
    f[4] = (8 + piece.length) >> 8;
    f[5] = (8 + piece.length) & 255;
    f[6] = 44; // Fragment
    f[40] = pkt[6]!;
    const om = c.offset | (more ? 1 : 0);
    f[42] = om >> 8;
    f[43] = om & 255;
    f[44] = id >>> 24;
    f[45] = (id >>> 16) & 255;
    f[46] = (id >>> 8) & 255;
    f[47] = id & 255;
    f.set(piece, 48);
    return f;
  });
}

/** Cuts of `size` bytes (the last one shorter) covering `total` bytes. */
export function evenCuts(total: number, size: number): Cut[] {
  const cuts: Cut[] = [];
  for (let o = 0; o < total; o += size) cuts.push({ offset: o, len: Math.min(size, total - o) });
  return cuts;
}
