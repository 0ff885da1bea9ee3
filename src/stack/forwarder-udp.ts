/**
 * UDP forwarding: datagrams that no socket of the stack takes — to its own addresses with nothing
 * bound, or to any foreign unicast address — go to the application with their 4-tuple, instead of
 * being answered with Port Unreachable. The application answers with datagrams from any source
 * (the original destination), and may report a closed port with an ICMP Port Unreachable from that
 * destination (RFC 1122 §4.1.3.1, RFC 4443 §3.1), as the real host would have sent it. This is what
 * Linux's TPROXY does for UDP with an IP_TRANSPARENT socket (IP_RECVORIGDSTADDR gives the original
 * destination; a transparent socket may send from a foreign address).
 */
import { makeError } from '../errors.js';
import { ICMP6_DEST_UNREACH, ICMP6_PORT_UNREACH, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, buildIcmpV4, buildIcmpV6 } from '../ip/icmp.js';
import { encodeUdpPacketV4, encodeUdpPacketV6 } from '../wire/udp.js';
import { ipFromText, type IpAddr } from './ip-addr.js';
import type { Stack } from './stack.js';

/** One datagram handed to `stack.forwardUdp()`'s handler. */
export interface UdpForwardedDatagram {
  /** the original destination address (need not be the stack's) */
  localAddress: string;
  /** the original destination port */
  localPort: number;
  /** the guest's address */
  remoteAddress: string;
  /** the guest's port */
  remotePort: number;
  /** 'IPv4' or 'IPv6' */
  family: 'IPv4' | 'IPv6';
  /** the datagram's data (a copy: the handler may keep it) */
  payload: Uint8Array;
}

/** The handler of `stack.forwardUdp()`: called for every datagram no socket takes. */
export type UdpForwardHandler = (datagram: UdpForwardedDatagram) => void;

/** One end of a forwarded datagram: an IP literal and a port. */
export interface UdpEndpoint {
  address: string;
  port: number;
}

/** What a UDP forwarder has done since it was installed. */
export interface UdpForwardCounters {
  /** datagrams handed to the handler */
  datagramsIn: number;
  /** datagrams sent with send() */
  datagramsOut: number;
  /** Port Unreachable messages sent with portUnreachable() */
  unreachableSent: number;
}

/** ICMP errors quote as much of the datagram as fits in 576 (IPv4, RFC 1812 §4.3.2.3) or 1280 (IPv6, RFC 4443 §2.4(c)) bytes. */
const QUOTE_V4 = 576 - 28;
const QUOTE_V6 = 1280 - 48;

/** A stack's UDP forwarder (`stack.forwardUdp()`). */
export class UdpForwarder {
  /** What this forwarder has done. */
  readonly counters: UdpForwardCounters = { datagramsIn: 0, datagramsOut: 0, unreachableSent: 0 };
  private closed = false;

  /** @internal installed by stack.forwardUdp() */
  constructor(
    private readonly stack: Stack,
    private readonly handler: UdpForwardHandler,
  ) {
    if (stack.fwd.udp) throw makeError('ERR_INVALID_STATE', 'forwardUdp: UDP forwarding is already on (close() that forwarder first)');
    stack.udp.setForward((payload, from, fromPort, to, toPort) => {
      this.counters.datagramsIn++;
      const d: UdpForwardedDatagram = {
        localAddress: to.text,
        localPort: toPort,
        remoteAddress: from.text,
        remotePort: fromPort,
        family: to.version === 4 ? 'IPv4' : 'IPv6',
        payload: payload.slice(),
      };
      try {
        this.handler(d);
      } catch (err) {
        this.stack.emit('internalError', err);
      }
    });
  }

  /**
   * Send `payload` from `from` (the original destination, any address) to `to` (the guest). Returns
   * null when sent, or the errno: EMSGSIZE (over the link MTU: no fragmentation), EINVAL (the
   * families differ). Throws ERR_INVALID_ARG_VALUE for an address that is not an IP literal or a
   * port outside 1–65535, and ERR_FORWARDER_CLOSED after close().
   */
  send(payload: Uint8Array, from: UdpEndpoint, to: UdpEndpoint): string | null {
    this.open('send');
    const src = endpoint(from, 'from');
    const dst = endpoint(to, 'to');
    const err = this.stack.udp.sendFrom(src, from.port, payload, dst, to.port);
    if (err === null) this.counters.datagramsOut++;
    return err;
  }

  /**
   * Tell the guest the destination's port is closed: an ICMP (ICMPv6) Port Unreachable from the
   * original destination, quoting the guest's datagram (`payload`, as much as fits), which its
   * stack turns into ECONNREFUSED on a connected socket.
   */
  portUnreachable(datagram: Pick<UdpForwardedDatagram, 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>, payload: Uint8Array = new Uint8Array(0)): void {
    this.open('portUnreachable');
    const dest = endpoint({ address: datagram.localAddress, port: datagram.localPort }, 'localAddress');
    const guest = endpoint({ address: datagram.remoteAddress, port: datagram.remotePort }, 'remoteAddress');
    if (dest.version !== guest.version) throw makeError('ERR_INVALID_ARG_VALUE', 'portUnreachable: the addresses are of different families');
    let pkt: Uint8Array;
    if (dest.version === 4) {
      const quote = encodeUdpPacketV4(guest.v4, dest.v4, datagram.remotePort, datagram.localPort, payload);
      pkt = buildIcmpV4(dest.v4, guest.v4, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, quote.subarray(0, Math.min(quote.length, QUOTE_V4)));
    } else {
      const quote = encodeUdpPacketV6(guest.v6!, dest.v6!, datagram.remotePort, datagram.localPort, payload);
      pkt = buildIcmpV6(dest.v6!, guest.v6!, ICMP6_DEST_UNREACH, ICMP6_PORT_UNREACH, 0, quote.subarray(0, Math.min(quote.length, QUOTE_V6)));
    }
    this.counters.unreachableSent++;
    this.stack.ip.counters.icmpOut++;
    this.stack.ip.counters.unreachSent++;
    this.stack.sendPacket(pkt);
  }

  /** Stop forwarding: datagrams no socket takes are answered with Port Unreachable again. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stack.udp.setForward(null);
    if (this.stack.fwd.udp === this) this.stack.fwd.udp = null;
  }

  private open(call: string): void {
    if (this.closed) throw makeError('ERR_FORWARDER_CLOSED', `${call}(): the UDP forwarder was closed`);
  }
}

function endpoint(e: UdpEndpoint, name: string): IpAddr {
  const ip = e && typeof e.address === 'string' ? ipFromText(e.address) : null;
  if (!ip) throw makeError('ERR_INVALID_ARG_VALUE', `${name}.address must be an IP address (got ${String(e?.address)})`);
  if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) throw makeError('ERR_INVALID_ARG_VALUE', `${name}.port must be an integer from 1 to 65535 (got ${String(e.port)})`);
  return ip;
}
