/**
 * Wire a Stack to a TUN device: packets from the device go to `stack.input` (a read batch at a
 * time), the stack's packets go to the device, and with a capture file every packet in and out is
 * written to it (LINKTYPE_RAW). With impairments, an ImpairPipe sits on each impaired direction
 * between the capture (synack's side: what it sent and what reached it) and the device.
 *
 * With the virtio-net header on (`device.vnetHdr`) the link declares its offloads to the stack
 * (link/offload.ts), as a virtio NIC does to Linux:
 * - rxChecksumVerified: a TCP segment the kernel marks NEEDS_CSUM is its own (never on a wire) and
 *   one marked DATA_VALID was checked by the kernel or a NIC (drivers/net/tun.c, tun_put_user), so
 *   neither is verified again, and the addon leaves TCP's partial checksums partial. A segment
 *   with neither flag (forwarded from a NIC that did not check it) is verified here, and dropped
 *   and counted as the stack would (`tcp_bad_checksum`) when wrong.
 * - txChecksum: the stack leaves TCP checksums partial; each packet goes out with NEEDS_CSUM and
 *   the kernel completes it, or never computes it for a local peer (tun_get_user ->
 *   virtio_net_hdr_to_skb: CHECKSUM_PARTIAL).
 * - gsoMaxBytes 64 KiB: the stack sends super-segments and the kernel cuts them into segments of
 *   the size the stack names (gso_type TCPV4/TCPV6, gso_size), or delivers them whole to a local
 *   socket, as GRO would have.
 * The capture holds what a capture on the wire would: arrivals are completed by the addon when
 * capturing, a copy of each partial packet sent is completed before it is written, and a
 * super-segment either way is written as the segments it stands for (wire/gso.ts, cut at its
 * gso_size), so a capture's packets are never larger than the MTU. An impaired link is a wire: nothing is declared there
 * (its loss, rate and queue act on MTU-sized packets, and the checksums must catch its corruption).
 */
import type { Stack } from '../stack/stack.js';
import { segmentSuperPacket } from '../wire/gso.js';
import { completeTcpChecksum, decodeTcpPacket } from '../wire/packet.js';
import { impairLink, type ImpairedLink, type LinkImpairments } from './impair-pipe.js';
import { GSO_MAX_BYTES, type LinkOffload } from './offload.js';
import { openPcapFile, LINKTYPE_RAW, type PcapFile } from './pcap.js';
import { TUN_RX_CSUM_PARTIAL, TUN_RX_CSUM_VALID, TUN_TX_NEEDS_CSUM, type TunDevice } from './tun.js';

/** A stack attached to a device (`attachTun`, `attachTap`): the device, the capture if any, and `close()`. */
export interface AttachedLink {
  readonly device: TunDevice;
  readonly pcap: PcapFile | null;
  /** what the impairments did each way (`opts.impair`); null without them */
  readonly impaired: ImpairedLink['stats'] | null;
  /** Detach: flush and close the capture and the device. */
  close(): void;
}

/** A pcap tap usable on any link: call it with each packet, in or out. */
export function pcapTap(
  path: string,
  linktype = LINKTYPE_RAW,
): {
  /** Record one packet, timestamped now. */
  write(p: Uint8Array): void;
  /** The capture file (close it when done). */
  file: PcapFile;
} {
  const file = openPcapFile(path, { linktype });
  return { file, write: (p) => file.packet(Date.now(), p) };
}

/** Options of `attachTun()`. */
export interface AttachTunOptions {
  /** Capture every packet in and out to this pcap file. */
  pcap?: string;
  /** Use the device's offloads when it has the virtio-net header (default true); false: none. */
  offload?: boolean;
  /** Seeded loss, delay, rate, queue... on either direction (link/impair-pipe.ts); no offload then. */
  impair?: LinkImpairments;
}

/** Whether an IP packet carries TCP directly (IPv4 protocol / IPv6 next header 6). */
function isTcp(p: Uint8Array): boolean {
  const v = p[0]! >>> 4;
  return v === 4 ? p[9] === 6 : v === 6 && p[6] === 6;
}

/** Attach `stack` to an open TUN device: its packets go to the device and the device's to the stack; `pcap` captures both ways. */
export function attachTun(stack: Stack, device: TunDevice, opts: AttachTunOptions = {}): AttachedLink {
  const tap = opts.pcap ? pcapTap(opts.pcap) : null;
  const offload = device.vnetHdr && (opts.offload ?? true) && !opts.impair;
  const before: LinkOffload = stack.offload;
  if (offload) {
    stack.setOffload({ txChecksum: true, rxChecksumVerified: true, gsoMaxBytes: GSO_MAX_BYTES });
    device.setChecksumCompletion(tap ? 'all' : 'except-tcp');
  }
  // unimpaired: one read batch, handed to the stack whole when the device says the batch is over
  // (the views stay valid until then; the stack answers the batch, its ACKs coalesced, in one go).
  // A packet the device handed over (its own buffer, never reused: the 64 KiB segments) is the
  // stack's for good, which may then keep views of its payload instead of copying them.
  // Impaired: a packet at a time, whenever its pipe delivers it.
  const batch: Uint8Array[] = [];
  const batchOwned: boolean[] = [];
  const toStack = opts.impair
    ? (p: Uint8Array): void => {
        tap?.write(p);
        stack.input(p);
      }
    : (p: Uint8Array, owned = false): void => {
        batch.push(p);
        batchOwned.push(owned);
      };
  const onBatch = (): void => {
    if (batch.length === 0) return;
    try {
      stack.inputBatch(batch, batchOwned);
    } finally {
      batch.length = 0;
      batchOwned.length = 0;
    }
  };
  // a scratch copy for the capture of a packet whose checksum the kernel completes
  let scratch: Uint8Array | null = null;
  const capture = (p: Uint8Array, info: number): void => {
    if (!tap) return;
    if (info === 0) return tap.write(p);
    if (info >>> 16 !== 0) {
      segmentSuperPacket(p, info >>> 16, tap.write);
      return;
    }
    if (scratch === null || scratch.length < p.length) scratch = new Uint8Array(Math.max(p.length, 2048));
    const copy = scratch.subarray(0, p.length);
    copy.set(p);
    completeTcpChecksum(copy);
    tap.write(copy);
  };
  const impaired = opts.impair ? impairLink(stack.clock, opts.impair, (p) => device.write(p), toStack) : null;
  const onIn = (p: Uint8Array, info = 0, owned = false): void => {
    if (offload && (info & (TUN_RX_CSUM_PARTIAL | TUN_RX_CSUM_VALID)) === 0 && isTcp(p) && decodeTcpPacket(p) === 'tcp_bad_checksum') {
      stack.drop('tcp_bad_checksum');
      return;
    }
    if (impaired) impaired.in(p);
    else {
      // the addon completed every checksum (a capture is on), so only a super-segment needs work
      if (tap) capture(p, info & 0xffff0000);
      toStack(p, owned);
    }
  };
  const onOut = (p: Uint8Array, gsoSize = 0): void => {
    if (impaired) {
      capture(p, 0);
      impaired.out(p);
      return;
    }
    const info = offload && isTcp(p) ? TUN_TX_NEEDS_CSUM | (gsoSize << 16) : 0;
    capture(p, info);
    device.write(p, info);
  };
  device.on('packet', onIn);
  device.on('batch', onBatch);
  stack.on('packet', onOut);
  let closed = false;
  return {
    device,
    pcap: tap?.file ?? null,
    impaired: impaired?.stats ?? null,
    close() {
      if (closed) return;
      closed = true;
      impaired?.close();
      stack.off('packet', onOut);
      device.off('packet', onIn);
      device.off('batch', onBatch);
      if (offload) stack.setOffload(before);
      device.close();
      tap?.file.close();
    },
  };
}
