/**
 * Fragments as codecs see them: where a fragment's data sits and what it says about its datagram
 * (RFC 791 §3.1 for IPv4, RFC 8200 §4.5 for IPv6), and the whole datagram rebuilt from its first
 * fragment's headers and the reassembled data. Parsing never throws; reassembly itself (queues,
 * bounds, timers) is ip/reassembly.ts.
 */
import type { DropReason } from './segment.js';
import { finish, sum } from './checksum.js';
import { parseIPv4Header } from './ipv4.js';
import { FRAGMENT, newExtWalk, walkExtensions } from './ipv6-ext.js';

export interface Fragment {
  version: 4 | 6;
  /** IPv4 addresses as u32 (0 for IPv6) */
  src4: number;
  dst4: number;
  /** IPv6 addresses: views into the packet (null for IPv4) */
  src6: Uint8Array | null;
  dst6: Uint8Array | null;
  /** Identification: 16 bits (IPv4) or 32 bits (IPv6) */
  id: number;
  /** IPv4 Protocol, or the Next Header of the IPv6 Fragment header: the datagram's upper layer */
  protocol: number;
  /** where this fragment's data belongs in the datagram, in bytes */
  offset: number;
  /** More Fragments */
  more: boolean;
  /** where the fragment's data sits in the packet: [dataStart, dataEnd) */
  dataStart: number;
  dataEnd: number;
  /** IPv4: the header length. IPv6: the unfragmentable part (40 + extension headers before the Fragment header) */
  headerLength: number;
  /** IPv6: offset of the byte that names the Fragment header (6, or in the last unfragmentable header); -1 for IPv4 */
  nextHeaderAt: number;
}

const walk = newExtWalk();

/**
 * Describe a packet decodePacket called 'ip_fragment'. IPv4 header and IPv6 unfragmentable headers
 * were already checked by then; this only locates the fragment.
 */
export function parseFragment(pkt: Uint8Array): Fragment | DropReason {
  if (pkt.length < 1) return 'ip_truncated';
  if (pkt[0] >>> 4 === 4) {
    const ip = parseIPv4Header(pkt);
    if (typeof ip === 'string') return ip;
    return {
      version: 4,
      src4: ip.src,
      dst4: ip.dst,
      src6: null,
      dst6: null,
      id: ip.id,
      protocol: ip.protocol,
      offset: ip.fragOffset << 3,
      more: ip.mf,
      dataStart: ip.payloadOffset,
      dataEnd: ip.payloadOffset + ip.payloadLength,
      headerLength: ip.headerLength,
      nextHeaderAt: -1,
    };
  }
  if (pkt.length < 40 || pkt[0] >>> 4 !== 6) return 'ip_truncated';
  const end = 40 + ((pkt[4] << 8) | pkt[5]);
  if (end > pkt.length) return 'ip_bad_length';
  const why = walkExtensions(pkt, 40, end, pkt[6], 6, true, walk);
  if (why !== null) return why;
  if (walk.nextHeader !== FRAGMENT) return 'ip_not_tcp';
  const at = walk.offset;
  // RFC 8200 §4.5: Next Header (1), Reserved (1), Fragment Offset (13 bits) Res (2) M (1), Identification (4)
  if (at + 8 > end) return 'ip_truncated';
  const offM = (pkt[at + 2] << 8) | pkt[at + 3];
  return {
    version: 6,
    src4: 0,
    dst4: 0,
    src6: pkt.subarray(8, 24),
    dst6: pkt.subarray(24, 40),
    id: ((pkt[at + 4] << 24) | (pkt[at + 5] << 16) | (pkt[at + 6] << 8) | pkt[at + 7]) >>> 0,
    protocol: pkt[at],
    offset: offM & 0xfff8,
    more: (offM & 1) !== 0,
    dataStart: at + 8,
    dataEnd: end,
    headerLength: at,
    nextHeaderAt: walk.nextHeaderAt,
  };
}

/** The upper-layer header sizes RFC 7112 wants whole in a first fragment (Linux's ipv6frag_thdr_truncated). */
const UPPER_HEADER: Record<number, number> = { 6: 20, 17: 8, 58: 4 };

/**
 * RFC 7112 §5: the first fragment of an IPv6 datagram must carry every header through the upper-layer
 * header; returns false when it does not (the IP layer answers Parameter Problem code 3).
 */
export function firstFragmentHasHeaderChain(pkt: Uint8Array, f: Fragment): boolean {
  if (f.version !== 6 || f.offset !== 0) return true;
  const why = walkExtensions(pkt, f.dataStart, f.dataEnd, f.protocol, f.dataStart - 8, false, walk);
  if (why === 'ip_truncated') return false;
  if (why !== null) return true; // a header the whole datagram will be refused for once reassembled
  const need = UPPER_HEADER[walk.nextHeader] ?? 0;
  return f.more ? walk.offset + need <= f.dataEnd : true;
}

/**
 * The IPv4 datagram rebuilt (RFC 791 §3.2 "Reassembly"): the first fragment's header with MF and the
 * offset cleared, Total Length set and the checksum recomputed, followed by `data`.
 */
export function assembleIPv4(firstHeader: Uint8Array, data: Uint8Array): Uint8Array {
  const hl = firstHeader.length;
  const out = new Uint8Array(hl + data.length);
  out.set(firstHeader, 0);
  out.set(data, hl);
  const total = out.length;
  out[2] = total >>> 8;
  out[3] = total;
  out[6] &= 0x40; // keep DF; MF and the offset go
  out[7] = 0;
  out[10] = 0;
  out[11] = 0;
  const c = finish(sum(out, 0, hl));
  out[10] = c >>> 8;
  out[11] = c;
  return out;
}

/**
 * The IPv6 packet rebuilt (RFC 8200 §4.5): the first fragment's unfragmentable part, with the Next
 * Header that named the Fragment header now naming the Fragment header's Next Header and Payload
 * Length covering the new length, followed by `data`. Also unwraps an atomic fragment (RFC 6946).
 */
export function assembleIPv6(unfragmentable: Uint8Array, nextHeaderAt: number, nextHeader: number, data: Uint8Array): Uint8Array {
  const hl = unfragmentable.length;
  const out = new Uint8Array(hl + data.length);
  out.set(unfragmentable, 0);
  out.set(data, hl);
  const payload = out.length - 40;
  out[4] = payload >>> 8;
  out[5] = payload;
  out[nextHeaderAt] = nextHeader;
  return out;
}
