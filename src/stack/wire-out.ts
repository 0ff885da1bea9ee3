/**
 * The stack's side of its link on the way out: the one wire buffer every segment is encoded into,
 * and what the link's declared offloads (link/offload.ts) let the encoder skip — the TCP checksum
 * (transmit checksum offload, and always on the loopback path as on Linux's lo) and the MTU's
 * bound on a segment (segmentation offload: super-segments up to gsoMaxBytes).
 */
import { gsoPayloadBytes, resolveOffload, type LinkOffload } from '../link/offload.js';
import { encodeTcpPacketV4, encodeTcpPacketV6, tcpSegmentLength } from '../wire/packet.js';
import type { Segment } from '../wire/segment.js';
import type { IpAddr } from './ip-addr.js';

/** packets up to this length are encoded into a view made once per length (WireOut.view) */
const VIEWS_MAX = 2048;

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
    if (this.buf.length < this.offload.gsoMaxBytes + 128) {
      this.buf = new Uint8Array(this.offload.gsoMaxBytes + 128);
      this.views = [];
    }
  }

  /** Payload bytes one super-segment from `local` may carry (0: no segmentation offload). */
  gsoPayload(local: IpAddr): number {
    return gsoPayloadBytes(this.offload, this.mtu, local.version === 4 ? 20 : 40);
  }

  /** `seg` as an IP packet: a view of the wire buffer, valid until the next encode. */
  encode(local: IpAddr, remote: IpAddr, seg: Segment, loopback: boolean): Uint8Array {
    const partial = loopback || this.offload.txChecksum;
    // the packet's own length: the encoder then writes into (and returns) that view itself
    const out = this.view((local.version === 4 ? 20 : 40) + tcpSegmentLength(seg));
    return local.version === 4
      ? encodeTcpPacketV4(local.v4, remote.v4, seg, out, partial)
      : encodeTcpPacketV6(local.v6!, remote.v6!, seg, out, partial);
  }

  /**
   * The first `n` bytes of the wire buffer. Views up to VIEWS_MAX bytes are made once per length
   * and reused (a packet handed out is valid during the 'packet' call only, whatever its view).
   */
  private view(n: number): Uint8Array {
    if (n > VIEWS_MAX || n > this.buf.length) return this.buf;
    return (this.views[n] ??= this.buf.subarray(0, n));
  }

  private views: (Uint8Array | undefined)[] = [];
}
