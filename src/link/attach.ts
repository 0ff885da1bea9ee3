/**
 * Wire a Stack to a TUN device: packets from the device go to `stack.input`, the stack's packets
 * go to the device, and with a capture file every packet in and out is written to it (LINKTYPE_RAW).
 * With impairments, an ImpairPipe sits on each impaired direction between the capture (synack's
 * side: what it sent and what reached it) and the device.
 */
import type { Stack } from '../stack/stack.js';
import { impairLink, type ImpairedLink, type LinkImpairments } from './impair-pipe.js';
import { openPcapFile, LINKTYPE_RAW, type PcapFile } from './pcap.js';
import type { TunDevice } from './tun.js';

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

/** Attach `stack` to an open TUN device: its packets go to the device and the device's to the stack; `pcap` captures both ways. */
export function attachTun(stack: Stack, device: TunDevice, opts: { pcap?: string; impair?: LinkImpairments } = {}): AttachedLink {
  const tap = opts.pcap ? pcapTap(opts.pcap) : null;
  const toStack = tap
    ? (p: Uint8Array) => {
        tap.write(p);
        stack.input(p);
      }
    : (p: Uint8Array) => stack.input(p);
  const toDevice = (p: Uint8Array): void => {
    device.write(p);
  };
  const impaired = opts.impair ? impairLink(stack.clock, opts.impair, toDevice, toStack) : null;
  const onIn = impaired ? impaired.in : toStack;
  const out = impaired ? impaired.out : toDevice;
  const onOut = tap
    ? (p: Uint8Array) => {
        tap.write(p);
        out(p);
      }
    : out;
  device.on('packet', onIn);
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
      device.close();
      tap?.file.close();
    },
  };
}
