/** The options of `new Stack()`, and their checks. */
import { makeError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import type { Sysctl } from '../tcp/sysctl.js';
import type { LinkOffload } from '../link/offload.js';
import { ipFromText, ipSame, loopbackAddresses, type IpAddr } from './ip-addr.js';

export interface StackOptions {
  /** The host's addresses, IPv4 and/or IPv6 text. */
  addresses: string[];
  /** Link MTU; the advertised MSS is MTU - 40 (IPv4) or MTU - 60 (IPv6). Default 1500. */
  mtu?: number;
  /**
   * Linux's TCP tunables by name, typed (`tcp_syn_retries: 2`, or the text `sysctl` shows:
   * `ip_local_port_range: '1024 65535'`); checked again at run time (unknown names, ranges).
   */
  sysctl?: { [K in keyof Sysctl]?: Sysctl[K] | string };
  /** Real clock by default; a VirtualClock for simulations and tests. */
  clock?: Clock;
  /** Seed for the ISN / port / timestamp secrets (deterministic runs); random by default. */
  seed?: number;
  /** Name used in events; defaults to the first address. */
  name?: string;
  /**
   * What the link this stack's packets go over does for it (link/offload.ts): checksums it
   * completes or does not need, packets larger than the MTU it cuts itself. Omitted fields are
   * off, and the default is no offload: right for a raw-packet interface wired by hand.
   */
  offload?: Partial<LinkOffload>;
}

/** The host's addresses, checked, with the loopback interface's added as on Linux (one stack can serve and connect to itself). */
export function stackAddresses(opts: StackOptions): IpAddr[] {
  if (!opts || !Array.isArray(opts.addresses) || opts.addresses.length === 0) {
    throw makeError('ERR_INVALID_ARG_VALUE', 'Stack: options.addresses must list at least one IP address');
  }
  const addresses = opts.addresses.map((a) => {
    const ip = ipFromText(a);
    if (!ip) throw makeError('ERR_INVALID_IP_ADDRESS', `Stack: invalid IP address "${a}"`);
    return ip;
  });
  for (const lo of loopbackAddresses()) if (!addresses.some((a) => ipSame(a, lo))) addresses.push(lo);
  return addresses;
}

/** The link MTU, 1500 unless given: an integer from 576 (RFC 791's minimum datagram) to 65535. */
export function stackMtu(opts: StackOptions): number {
  const mtu = opts.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 576 || mtu > 65535) {
    throw makeError('ERR_OUT_OF_RANGE', `Stack: mtu must be an integer from 576 to 65535 (got ${opts.mtu})`);
  }
  return mtu;
}
