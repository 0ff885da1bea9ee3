/**
 * Software segmentation (GSO) of a TCP super-segment: what a NIC does with TSO, or Linux's
 * `tcp_gso_segment`, for a link that declared `gsoMaxBytes` (link/offload.ts) but must put
 * MTU-sized packets on its wire. Each piece gets a copy of the IP and TCP headers (options
 * included) with its own sequence number and lengths; FIN and PSH stay on the last piece only and
 * CWR on the first (RFC 3168 §6.1.2), as Linux's tcp_gso_segment does. IPv4 headers get their own
 * checksum; TCP checksums are completed, or left partial (the pseudo-header's sum) for a receiver
 * that does not verify them.
 */
import { finish, fold, pseudoSumV4, pseudoSumV6, sum } from './checksum.js';
import { IPPROTO_TCP, TCP_CHECKSUM_OFFSET, decodePacket } from './packet.js';
import { CWR, FIN, PSH } from './segment.js';

/**
 * Cut the TCP super-segment `pkt` into pieces of at most `gsoSize` payload bytes, handing each to
 * `out` (a fresh packet it may keep). `partialChecksum`: leave each piece's TCP checksum field
 * holding only its pseudo-header sum (CHECKSUM_PARTIAL) instead of completing it. Returns how many
 * pieces went out; a packet that is not TCP, or carries no more than `gsoSize`, goes out whole (as
 * a copy) and counts as one.
 */
export function segmentSuperPacket(pkt: Uint8Array, gsoSize: number, out: (piece: Uint8Array) => void, partialChecksum = false): number {
  const d = decodePacket(pkt);
  if (typeof d === 'string' || d.protocol !== IPPROTO_TCP || d.payloadLength < 20 || gsoSize <= 0) {
    out(pkt.slice());
    return 1;
  }
  const tcpOff = d.payloadOffset;
  const tcpHl = (pkt[tcpOff + 12]! >>> 4) << 2;
  const hdr = tcpOff + tcpHl;
  const data = d.payloadLength - tcpHl;
  if (data <= gsoSize) {
    out(pkt.slice());
    return 1;
  }
  const seq0 = ((pkt[tcpOff + 4]! << 24) | (pkt[tcpOff + 5]! << 16) | (pkt[tcpOff + 6]! << 8) | pkt[tcpOff + 7]!) >>> 0;
  const flags = pkt[tcpOff + 13]!;
  let n = 0;
  for (let at = 0; at < data; at += gsoSize, n++) {
    const len = Math.min(gsoSize, data - at);
    const last = at + len >= data;
    const piece = new Uint8Array(hdr + len);
    piece.set(pkt.subarray(0, hdr), 0);
    piece.set(pkt.subarray(hdr + at, hdr + at + len), hdr);
    const tcpLen = tcpHl + len;
    const seq = (seq0 + at) >>> 0;
    piece[tcpOff + 4] = seq >>> 24;
    piece[tcpOff + 5] = seq >>> 16;
    piece[tcpOff + 6] = seq >>> 8;
    piece[tcpOff + 7] = seq;
    piece[tcpOff + 13] = last ? flags & ~(n > 0 ? CWR : 0) : flags & ~(FIN | PSH | (n > 0 ? CWR : 0));
    let ps: number;
    if (d.version === 4) {
      const total = tcpOff + tcpLen;
      piece[2] = total >>> 8;
      piece[3] = total;
      piece[10] = 0;
      piece[11] = 0;
      const c = finish(sum(piece, 0, (piece[0]! & 0x0f) << 2));
      piece[10] = c >>> 8;
      piece[11] = c;
      ps = pseudoSumV4(d.src4, d.dst4, IPPROTO_TCP, tcpLen);
    } else {
      // the IPv6 payload length counts extension headers too
      const payloadLen = tcpOff - 40 + tcpLen;
      piece[4] = payloadLen >>> 8;
      piece[5] = payloadLen;
      ps = pseudoSumV6(d.src6!, d.dst6!, IPPROTO_TCP, tcpLen);
    }
    const at16 = tcpOff + TCP_CHECKSUM_OFFSET;
    piece[at16] = 0;
    piece[at16 + 1] = 0;
    const c = partialChecksum ? fold(ps) : finish(sum(piece, tcpOff, tcpLen, ps));
    piece[at16] = c >>> 8;
    piece[at16 + 1] = c;
    out(piece);
  }
  return n;
}
