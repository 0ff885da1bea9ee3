/**
 * The stack's side of its link on the way out: the one wire buffer every segment is encoded into,
 * and what the link's declared offloads (link/offload.ts) let the encoder skip — the TCP checksum
 * (transmit checksum offload, and always on the loopback path as on Linux's lo) and the MTU's
 * bound on a segment (segmentation offload: super-segments up to gsoMaxBytes).
 */
import { gsoPayloadBytes, resolveOffload, type LinkOffload } from '../link/offload.js';
import { encodeTcpPacketV4, encodeTcpPacketV6 } from '../wire/packet.js';
import type { Segment } from '../wire/segment.js';
import type { IpAddr } from './ip-addr.js';

export class WireOut {
  offload: LinkOffload;
  private buf: Uint8Array;

  constructor(
    private readonly mtu: number,
    offload: Partial<LinkOffload> | undefined,
  ) {
    this.offload = resolveOffload(offload, 'options.offload');
    this.buf = new Uint8Array(Math.max(mtu, this.offload.gsoMaxBytes) + 128);
  }

  /** A new declaration (checked; fields left out are off); the wire buffer grows to take it. */
  declare(offload: Partial<LinkOffload>): void {
    this.offload = resolveOffload(offload);
    if (this.buf.length < this.offload.gsoMaxBytes + 128) this.buf = new Uint8Array(this.offload.gsoMaxBytes + 128);
  }

  /** Payload bytes one super-segment from `local` may carry (0: no segmentation offload). */
  gsoPayload(local: IpAddr): number {
    return gsoPayloadBytes(this.offload, this.mtu, local.version === 4 ? 20 : 40);
  }

  /** `seg` as an IP packet: a view of the wire buffer, valid until the next encode. */
  encode(local: IpAddr, remote: IpAddr, seg: Segment, loopback: boolean): Uint8Array {
    const partial = loopback || this.offload.txChecksum;
    return local.version === 4
      ? encodeTcpPacketV4(local.v4, remote.v4, seg, this.buf, partial)
      : encodeTcpPacketV6(local.v6!, remote.v6!, seg, this.buf, partial);
  }
}
