/**
 * A Stack on a Linux TAP device: Ethernet frames through an EthernetAdapter (ARP, neighbour
 * discovery), and a capture of every frame in and out (LINKTYPE_ETHERNET) when asked.
 */
import type { Stack } from '../stack/stack.js';
import type { AttachedLink } from './attach.js';
import { pcapTap } from './attach.js';
import { EthernetAdapter } from './ethernet-adapter.js';
import { LINKTYPE_ETHERNET } from './pcap.js';
import { TunDevice, type TunOpenOptions } from './tun.js';

export interface TapAttachOptions {
  pcap?: string;
  mac?: string | Uint8Array;
}

/** Open (or create) TAP device `name`: a TunDevice in TAP mode, whose packets are Ethernet frames. */
export function openTap(name: string, opts: Omit<TunOpenOptions, 'mode'> = {}): TunDevice {
  return TunDevice.open(name, { ...opts, mode: 'tap' });
}

/** Attach `stack` to an open TAP device through an EthernetAdapter (ARP and neighbour discovery); optionally capture to pcap. */
export function attachTap(stack: Stack, device: TunDevice, opts: TapAttachOptions = {}): AttachedLink & { adapter: EthernetAdapter } {
  const adapter = new EthernetAdapter(stack, opts.mac !== undefined ? { mac: opts.mac } : {});
  const tap = opts.pcap ? pcapTap(opts.pcap, LINKTYPE_ETHERNET) : null;
  const onIn = (f: Uint8Array): void => {
    tap?.write(f);
    adapter.input(f);
  };
  adapter.on('frame', (f: Uint8Array) => {
    tap?.write(f);
    device.write(f);
  });
  device.on('packet', onIn);
  let closed = false;
  return {
    device,
    adapter,
    pcap: tap?.file ?? null,
    close() {
      if (closed) return;
      closed = true;
      adapter.close();
      device.off('packet', onIn);
      device.close();
      tap?.file.close();
    },
  };
}
