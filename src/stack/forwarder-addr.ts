/**
 * Which destination addresses a forwarding stack answers for besides its own: any unicast address
 * a guest can route to a gateway. Never the unspecified, loopback, multicast, limited-broadcast or
 * reserved (240.0.0.0/4) ones, nor IPv4-mapped IPv6: a packet to those reaching a link is bogus
 * (RFC 1122 §3.2.1.3, RFC 4291 §2.5.2–2.5.5, §2.7), and Linux's TPROXY would not take it either
 * (a transparent socket only sees packets the routing decision delivered locally).
 */
import { ipV6, PeerCache, type IpAddr } from './ip-addr.js';

/** Whether a packet to this destination may be taken by a forwarder. */
export function forwardableDestination(version: number, v4: number, v6: Uint8Array | null): boolean {
  if (version === 4) {
    const top = v4 >>> 24;
    return top !== 0 && top !== 127 && top < 224;
  }
  if (v6 === null) return false;
  if (v6[0] === 0xff) return false; // multicast
  let zero = true;
  for (let i = 0; i < 10; i++) if (v6[i] !== 0) zero = false;
  if (zero && v6[10] === 0xff && v6[11] === 0xff) return false; // IPv4-mapped
  if (zero && v6[10] === 0 && v6[11] === 0 && v6[12] === 0 && v6[13] === 0 && v6[14] === 0 && v6[15]! <= 1) return false; // :: and ::1
  return true;
}

/** The IpAddr objects of foreign destinations, IPv4 ones cached (one object per address, not per packet). */
export class ForeignAddresses {
  private readonly v4 = new PeerCache();

  /** The destination as an IpAddr, or null when no forwarder may take it (forwardableDestination). */
  get(version: number, v4: number, v6: Uint8Array | null): IpAddr | null {
    if (!forwardableDestination(version, v4, v6)) return null;
    return version === 4 ? this.v4.get(v4) : ipV6(v6!);
  }
}
