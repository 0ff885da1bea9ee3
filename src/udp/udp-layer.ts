/**
 * UDP in the stack (RFC 768): a table of bound sockets by local address and port, demultiplexing of
 * arriving datagrams to them, and datagrams out. Sans-IO like the rest of the stack: the host sends
 * the IP packets this layer builds; what a socket does with a datagram is its receiver's business.
 *
 * Demultiplexing follows Linux's udp4_lib_lookup2 / compute_score: among the sockets bound to the
 * destination port, one bound to the exact local address beats a wildcard bind, and a connected
 * socket accepts only its peer's datagrams (and beats an unconnected one). A datagram no socket
 * takes is refused: the IP layer answers it with ICMP Port Unreachable (RFC 1122 §4.1.3.1).
 *
 * Ports: an explicit bind conflicts with any socket of the same family on that port whose local
 * address is the same or either is the wildcard (EADDRINUSE, as without SO_REUSEADDR); port 0 picks
 * an ephemeral port from net.ipv4.ip_local_port_range, from a keyed-hash offset (RFC 6056 §3.3.3, as stack/ports.ts).
 */
import type { IpAddr } from '../stack/ip-addr.js';
import { ipEquals, ipSame, ipV4, ipV6, isLoopback } from '../stack/ip-addr.js';
import { chooseEphemeralPort } from '../stack/ports.js';
import { ForeignAddresses } from '../stack/forwarder-addr.js';
import type { HashKey } from '../tcp/halfsiphash.js';
import { pseudoSumV4, pseudoSumV6 } from '../wire/checksum.js';
import type { DecodedPacket } from '../wire/packet.js';
import { decodeUdp, encodeUdpPacketV4, encodeUdpPacketV6, UDP_HEADER_LENGTH, IPPROTO_UDP } from '../wire/udp.js';

/** What the UDP layer needs from its host stack. */
export interface UdpHost {
  readonly addresses: readonly IpAddr[];
  readonly sysctl: { readonly ip_local_port_range: readonly [number, number] };
  readonly mtu: number;
  readonly clock: { defer(fn: () => void): void };
  /** This host's own address equal to `ip` (any of 127.0.0.0/8 counts), or null. */
  ownAddress(ip: IpAddr): IpAddr | null;
  /** Send a whole IP packet out of the link. */
  sendPacket(packet: Uint8Array): void;
  /** Take a packet in as if it had just arrived (the loopback path). */
  receive(packet: Uint8Array): void;
  /** Count a dropped packet by reason. */
  drop(reason: string): void;
}

/** The socket side of a binding: where its datagrams go. */
export interface UdpReceiver {
  /** One datagram for this socket; `payload` is valid during the call only. */
  datagram(payload: Uint8Array, from: IpAddr, fromPort: number): void;
  /** An ICMP error for this connected socket ('ECONNREFUSED', 'EHOSTUNREACH', ...). */
  error(errno: string): void;
}

/** One bound socket in the table. */
export interface UdpBinding {
  readonly family: 4 | 6;
  /** the bound address, or null for the wildcard (0.0.0.0 / ::) */
  readonly local: IpAddr | null;
  readonly port: number;
  /** the connected peer (connect()), or null */
  remote: IpAddr | null;
  remotePort: number;
  readonly receiver: UdpReceiver;
}

/** UDP counters, after Linux's /proc/net/snmp Udp: line. */
export interface UdpCounters {
  datagramsIn: number;
  datagramsOut: number;
  /** datagrams for a port nobody is bound to (answered with Port Unreachable) */
  noPorts: number;
  /** datagrams dropped as malformed (length, checksum) */
  inErrors: number;
}

/**
 * Where datagrams no socket takes go when the stack forwards UDP (stack/forwarder-udp.ts): to its
 * own addresses with no socket bound, and to any foreign unicast address. `payload` is valid
 * during the call only.
 */
export type UdpForwardSink = (payload: Uint8Array, from: IpAddr, fromPort: number, to: IpAddr, toPort: number) => void;

/** The IPv4 datagram's largest payload: 65535 - 20 (IP) - 8 (UDP); IPv6: 65535 - 8 (RFC 8200 payload length). */
const MAX_PAYLOAD = { 4: 65507, 6: 65527 } as const;

export class UdpLayer {
  readonly counters: UdpCounters = { datagramsIn: 0, datagramsOut: 0, noPorts: 0, inErrors: 0 };
  private readonly byPort = new Map<number, UdpBinding[]>();

  private portCounter = 0;
  /** forwarding on: datagrams no socket takes go here instead of Port Unreachable */
  private forward: UdpForwardSink | null = null;
  private readonly foreign = new ForeignAddresses();

  /** `portKey`: the stack's secret for port choice, so a seeded stack picks the same ports every run. */
  constructor(
    private readonly host: UdpHost,
    private readonly portKey: HashKey,
  ) {}

  /**
   * Bind `receiver` to `local` (null: the wildcard) and `port` (0: an ephemeral one). Returns the
   * binding, or the errno: EADDRINUSE (taken, or no ephemeral port left), EADDRNOTAVAIL (not ours).
   */
  bind(family: 4 | 6, local: IpAddr | null, port: number, receiver: UdpReceiver): UdpBinding | 'EADDRINUSE' | 'EADDRNOTAVAIL' {
    let own: IpAddr | null = null;
    if (local !== null) {
      own = this.host.addresses.find((a) => ipSame(a, local)) ?? null;
      if (own === null) return 'EADDRNOTAVAIL';
    }
    const chosen = port === 0 ? this.ephemeral(family, own) : this.free(family, own, port) ? port : null;
    if (chosen === null) return 'EADDRINUSE';
    const b: UdpBinding = { family, local: own, port: chosen, remote: null, remotePort: 0, receiver };
    const list = this.byPort.get(chosen);
    if (list) list.push(b);
    else this.byPort.set(chosen, [b]);
    return b;
  }

  /** Remove a binding from the table (close). */
  unbind(b: UdpBinding): void {
    const list = this.byPort.get(b.port);
    if (!list) return;
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byPort.delete(b.port);
  }

  /** Turn forwarding on (a sink) or off (null). */
  setForward(sink: UdpForwardSink | null): void {
    this.forward = sink;
  }

  /** A destination that is not ours, as the IpAddr a forwarder answers for: null unless forwarding (and never loopback, multicast...). */
  foreignLocal(d: DecodedPacket): IpAddr | null {
    return this.forward === null ? null : this.foreign.get(d.version, d.dst4, d.dst6);
  }

  /** The source address a datagram from `b` to `remote` carries: the bound one, else one of ours. */
  sourceFor(b: UdpBinding, remote: IpAddr): IpAddr | null {
    if (b.local !== null) return b.local;
    // to ourselves: from the address it is sent to (Linux: the route is local, the source is the destination)
    const own = this.host.addresses.find((a) => ipSame(a, remote));
    if (own) return own;
    if (isLoopback(remote)) return remote;
    return this.host.addresses.find((a) => a.version === remote.version && !isLoopback(a)) ?? null;
  }

  /**
   * Send one datagram from `b` to `remote`:`remotePort`. Returns null when sent, or the errno:
   * EMSGSIZE (larger than an IP datagram can carry, or than the link MTU: we do not fragment),
   * ENETUNREACH (no source address of that family), EINVAL (a family mismatch).
   */
  send(b: UdpBinding, payload: Uint8Array, remote: IpAddr, remotePort: number): string | null {
    if (remote.version !== b.family) return 'EINVAL';
    if (payload.length > MAX_PAYLOAD[b.family]) return 'EMSGSIZE';
    const src = this.sourceFor(b, remote);
    if (src === null) return 'ENETUNREACH';
    return this.sendFrom(src, b.port, payload, remote, remotePort);
  }

  /**
   * Send one datagram from any source, which need not be ours: a forwarder's reply from the
   * original destination (Linux: IP_TRANSPARENT lets a socket send from a foreign address). Null
   * when sent, or EMSGSIZE / EINVAL (families differ).
   */
  sendFrom(src: IpAddr, srcPort: number, payload: Uint8Array, remote: IpAddr, remotePort: number): string | null {
    if (remote.version !== src.version) return 'EINVAL';
    if (payload.length > MAX_PAYLOAD[src.version]) return 'EMSGSIZE';
    const ipHeader = src.version === 4 ? 20 : 40;
    if (!isLoopback(remote) && ipHeader + UDP_HEADER_LENGTH + payload.length > this.host.mtu) return 'EMSGSIZE';
    const pkt =
      src.version === 4
        ? encodeUdpPacketV4(src.v4, remote.v4, srcPort, remotePort, payload)
        : encodeUdpPacketV6(src.v6!, remote.v6!, srcPort, remotePort, payload);
    this.counters.datagramsOut++;
    // to ourselves: looped back, asynchronously like any link (as the stack does for TCP)
    if (this.host.ownAddress(remote)) this.host.clock.defer(() => this.host.receive(pkt));
    else this.host.sendPacket(pkt);
    return null;
  }

  /**
   * One arriving UDP packet for `local` (already checked to be ours). Returns false when no socket
   * takes it (the caller answers Port Unreachable); true when delivered or dropped as malformed.
   */
  input(packet: Uint8Array, d: DecodedPacket, local: IpAddr): boolean {
    const ps = d.version === 4 ? pseudoSumV4(d.src4, d.dst4, IPPROTO_UDP, 0) : pseudoSumV6(d.src6!, d.dst6!, IPPROTO_UDP, 0);
    const u = decodeUdp(packet, d.payloadOffset, d.payloadLength, d.version, ps);
    if (typeof u === 'string') {
      this.counters.inErrors++;
      this.host.drop(u);
      return true;
    }
    // RFC 768 has no port 0 to send from or to; Linux drops a datagram from source port 0 only
    // for connected sockets, and nobody can bind port 0: it falls to "no socket" below
    // a foreign destination (taken only while forwarding) never reaches a socket, wildcard or not
    const own = this.host.addresses.includes(local);
    const b = own ? this.lookup(d, local, u.srcPort, u.dstPort) : null;
    if (b === null && (this.forward === null || u.srcPort === 0 || u.dstPort === 0)) {
      if (!own) {
        this.host.drop('udp_port_zero');
        return true;
      }
      this.counters.noPorts++;
      return false;
    }
    this.counters.datagramsIn++;
    const from = d.version === 4 ? ipV4(d.src4) : ipV6(d.src6!);
    if (b === null) this.forward!(u.payload, from, u.srcPort, local, u.dstPort);
    else b.receiver.datagram(u.payload, from, u.srcPort);
    return true;
  }

  /**
   * An ICMP error quoting a packet (buf[off, end): its IP header and at least 8 bytes after it,
   * RFC 792 / RFC 4443 §2.4(c)). When the quote is a UDP datagram from a connected socket of ours to
   * its peer, the socket gets the error, as Linux's __udp4_lib_err / __udp6_lib_err report it only
   * to connected sockets (without IP_RECVERR). Returns whether the quote was UDP from one of our ports.
   */
  icmpError(version: 4 | 6, buf: Uint8Array, off: number, end: number, errno: string): boolean {
    let t: number;
    if (version === 4) {
      if (end - off < 20 || buf[off]! >>> 4 !== 4 || buf[off + 9] !== IPPROTO_UDP) return false;
      if ((((buf[off + 6]! << 8) | buf[off + 7]!) & 0x1fff) !== 0) return false; // a later fragment has no UDP header
      t = off + ((buf[off]! & 0x0f) << 2);
    } else {
      // the quote of one of our own datagrams: no extension headers (we send none)
      if (end - off < 40 || buf[off]! >>> 4 !== 6 || buf[off + 6] !== IPPROTO_UDP) return false;
      t = off + 40;
    }
    if (end - t < 8) return false;
    const srcPort = (buf[t]! << 8) | buf[t + 1]!;
    const dstPort = (buf[t + 2]! << 8) | buf[t + 3]!;
    const list = this.byPort.get(srcPort);
    if (!list) return false;
    const dst4 = version === 4 ? ((buf[off + 16]! << 24) | (buf[off + 17]! << 16) | (buf[off + 18]! << 8) | buf[off + 19]!) >>> 0 : 0;
    const dst6 = version === 6 ? buf.subarray(off + 24, off + 40) : null;
    for (const b of list) {
      if (b.family === version && b.remote !== null && b.remotePort === dstPort && ipEquals(b.remote, dst4, dst6)) {
        b.receiver.error(errno);
        return true;
      }
    }
    this.host.drop('udp_icmp_unconnected');
    return true;
  }

  /** The best-scoring binding for a datagram (Linux compute_score: exact local +, connected peer +). */
  private lookup(d: DecodedPacket, local: IpAddr, srcPort: number, dstPort: number): UdpBinding | null {
    const list = this.byPort.get(dstPort);
    if (!list) return null;
    let best: UdpBinding | null = null;
    let bestScore = -1;
    for (const b of list) {
      if (b.family !== d.version) continue;
      let score = 0;
      if (b.local !== null) {
        if (!ipSame(b.local, local)) continue;
        score += 4;
      }
      if (b.remote !== null) {
        if (b.remotePort !== srcPort || !ipEquals(b.remote, d.src4, d.src6)) continue;
        score += 8;
      }
      if (score > bestScore) {
        best = b;
        bestScore = score;
      }
    }
    return best;
  }

  private free(family: 4 | 6, local: IpAddr | null, port: number): boolean {
    const list = this.byPort.get(port);
    if (!list) return true;
    for (const b of list) {
      if (b.family !== family) continue;
      if (b.local === null || local === null || ipSame(b.local, local)) return false;
    }
    return true;
  }

  private ephemeral(family: 4 | 6, local: IpAddr | null): number | null {
    const range = this.host.sysctl.ip_local_port_range;
    return chooseEphemeralPort(this.portKey, [IPPROTO_UDP, family], range, this.portCounter++, (p) => this.free(family, local, p));
  }
}
