/**
 * A Stack on a Linux TAP device: Ethernet frames through an EthernetAdapter (ARP, neighbour
 * discovery), and a capture of every frame in and out (LINKTYPE_ETHERNET) when asked. Impairments
 * apply to whole frames, ARP and neighbour discovery included, as netem on the interface would.
 */
import type { Stack } from '../stack/stack.js';
import type { AttachedLink } from './attach.js';
import { pcapTap } from './attach.js';
import { EthernetAdapter } from './ethernet-adapter.js';
import { impairLink, type LinkImpairments } from './impair-pipe.js';
import { LINKTYPE_ETHERNET } from './pcap.js';
import { TunDevice, type TunOpenOptions } from './tun.js';

export interface TapAttachOptions {
  pcap?: string;
  mac?: string | Uint8Array;
  /** impair the frames each way between synack's side (adapter and capture) and the device, as netem on the interface would */
  impair?: LinkImpairments;
}

/** Open (or create) TAP device `name`: a TunDevice in TAP mode, whose packets are Ethernet frames. */
export function openTap(name: string, opts: Omit<TunOpenOptions, 'mode'> = {}): TunDevice {
  return TunDevice.open(name, { ...opts, mode: 'tap' });
}

/** Attach `stack` to an open TAP device through an EthernetAdapter (ARP and neighbour discovery); optionally capture to pcap. */
export function attachTap(stack: Stack, device: TunDevice, opts: TapAttachOptions = {}): AttachedLink & { adapter: EthernetAdapter } {
  const adapter = new EthernetAdapter(stack, opts.mac !== undefined ? { mac: opts.mac } : {});
  const tap = opts.pcap ? pcapTap(opts.pcap, LINKTYPE_ETHERNET) : null;
  const toAdapter = (f: Uint8Array): void => {
    tap?.write(f);
    adapter.input(f);
  };
  const toDevice = (f: Uint8Array): void => {
    device.write(f);
  };
  const impaired = opts.impair ? impairLink(stack.clock, opts.impair, toDevice, toAdapter) : null;
  const onIn = impaired ? impaired.in : toAdapter;
  const out = impaired ? impaired.out : toDevice;
  adapter.on('frame', (f: Uint8Array) => {
    tap?.write(f);
    out(f);
  });
  device.on('packet', onIn);
  let closed = false;
  return {
    device,
    adapter,
    pcap: tap?.file ?? null,
    impaired: impaired?.stats ?? null,
    close() {
      if (closed) return;
      closed = true;
      impaired?.close();
      adapter.close();
      device.off('packet', onIn);
      device.close();
      tap?.file.close();
    },
  };
}
