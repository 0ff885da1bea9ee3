/**
 * A synack stack as the network behind a v86 emulator's NIC. v86 passes Ethernet frames on its bus:
 * the guest's NIC (NE2000 or virtio-net) sends each frame it transmits as `net<N>-send`, and takes
 * frames to receive as `net<N>-receive`. V86NetworkAdapter sits on that bus with an EthernetAdapter
 * (ARP, IPv6 neighbour discovery), so the guest reaches the stack's addresses by plain Ethernet.
 *
 *   const stack = new Stack({ addresses: ['10.0.2.2'] });
 *   const emulator = new V86({ ..., net_device: { type: 'virtio' } });   // or 'ne2k'
 *   new V86NetworkAdapter(emulator.bus, stack);
 *   stack.net.createServer((s) => s.pipe(s)).listen(7);   // the guest: nc 10.0.2.2 7
 *
 * v86 versions with a `network_adapter` option take `v86NetworkAdapter(stack)` there instead.
 * test/v86 boots a Debian i386 guest on both NICs this way.
 */
import type { Stack } from '../stack/stack.js';
import { EthernetAdapter, type EthernetAdapterOptions } from './ethernet-adapter.js';

/** The part of v86's BusConnector an adapter uses. */
export interface V86Bus {
  /** Call `fn` with every message sent under `name`. */
  register(name: string, fn: (data: Uint8Array) => void, thisValue?: unknown): void;
  /** Stop calling `fn` for `name`. */
  unregister(name: string, fn: (data: Uint8Array) => void): void;
  /** Send `data` to whoever registered `name` (the emulated NIC, for net<N>-receive). */
  send(name: string, data: Uint8Array): void;
}

export interface V86AdapterOptions extends EthernetAdapterOptions {
  /** Which NIC: its frames travel as net<id>-send / net<id>-receive (default 0). */
  id?: number;
}

/** A stack on one v86 NIC's bus messages, through Ethernet with ARP and neighbour discovery. */
export class V86NetworkAdapter {
  /** ARP, neighbour discovery and the frame counters */
  readonly ethernet: EthernetAdapter;
  private readonly sendName: string;
  private readonly receiveName: string;
  private open = true;

  constructor(
    readonly bus: V86Bus,
    readonly stack: Stack,
    opts: V86AdapterOptions = {},
  ) {
    const id = opts.id ?? 0;
    if (!Number.isInteger(id) || id < 0) {
      throw Object.assign(new TypeError(`the NIC id must be a non-negative integer (got ${String(opts.id)})`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    this.sendName = `net${id}-send`;
    this.receiveName = `net${id}-receive`;
    this.ethernet = new EthernetAdapter(stack, opts);
    // the stack's frames are valid during the event only; the guest's NIC keeps what it is given
    this.ethernet.on('frame', this.toGuest);
    bus.register(this.sendName, this.fromGuest, this);
  }

  /** The frames the guest transmits reach the stack. */
  private readonly fromGuest = (frame: Uint8Array): void => {
    if (this.open && frame instanceof Uint8Array) this.ethernet.input(frame);
  };

  private readonly toGuest = (frame: Uint8Array): void => {
    if (this.open) this.bus.send(this.receiveName, frame.slice());
  };

  /** Detach from the bus and the stack (v86 calls this when the emulator is destroyed). */
  destroy(): void {
    if (!this.open) return;
    this.open = false;
    this.bus.unregister(this.sendName, this.fromGuest);
    this.ethernet.off('frame', this.toGuest);
    this.ethernet.close();
  }
}

/** For v86's `network_adapter` option, which v86 calls with its bus. */
export function v86NetworkAdapter(stack: Stack, opts: V86AdapterOptions = {}): (bus: V86Bus) => V86NetworkAdapter {
  return (bus) => new V86NetworkAdapter(bus, stack, opts);
}
