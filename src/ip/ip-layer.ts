/**
 * The IP layer's part of the stack beyond TCP: everything `Stack.input` finds is not TCP comes here.
 *
 *  - ICMP echo (RFC 792) and ICMPv6 echo (RFC 4443 §4) are answered, so `ping` works.
 *  - ICMP errors that quote one of our TCP segments go to the stack (`icmpError`): PMTU updates
 *    (RFC 1191, RFC 8201) and destination-unreachable aborts of connections being opened.
 *  - UDP goes to the host's UDP layer (udp/); a datagram no socket takes, and unknown protocols,
 *    are answered with port / protocol unreachable (RFC 1122 §3.2.2.1,
 *    RFC 4443 §3.1, RFC 8200 §4 "unrecognized Next Header"), rate-limited (RFC 4443 §2.4(f)).
 *
 *  - Fragments (IPv4, and IPv6 Fragment headers) are checked and handed to reassembly
 *    (ip/reassembly.ts); the datagrams it rebuilds go back to the stack like any packet. An IPv6
 *    atomic fragment (offset 0, M = 0) is unwrapped at once, apart from any reassembly (RFC 6946).
 *  - IPv6 extension headers the walk in wire/ipv6-ext.ts refused (an unrecognised option whose
 *    action bits say so, a Routing header with segments left, a misplaced Hop-by-Hop header) are
 *    answered with Parameter Problem where RFC 8200 §4.2/§4.4 say to.
 *
 * As a host, not a router, we never forward, so an arriving TTL / hop limit needs no check (RFC
 * 1122 §3.2.1.7: a host must not discard a datagram just because its TTL is low); ours is 64.
 */
import type { IpAddr } from '../stack/ip-addr.js';
import { ipEquals, ipV4, ipV6 } from '../stack/ip-addr.js';
import { decodePacket, IPPROTO_TCP, type DecodedPacket } from '../wire/packet.js';
import { assembleIPv6, firstFragmentHasHeaderChain, parseFragment, type Fragment } from '../wire/fragment.js';
import { explainIPv6Drop } from '../wire/ipv6.js';
import { PARAM_ERRONEOUS_FIELD, PARAM_INCOMPLETE_CHAIN, newExtWalk } from '../wire/ipv6-ext.js';
import type { DropReason } from '../wire/segment.js';
import type { Clock } from '../time/clock.js';
import { Reassembly, type ReassemblyHost } from './reassembly.js';
import {
  ICMP6_DEST_UNREACH,
  ICMP6_ECHO_REPLY,
  ICMP6_ECHO_REQUEST,
  ICMP6_PACKET_TOO_BIG,
  ICMP6_PARAM_PROBLEM,
  ICMP6_PORT_UNREACH,
  ICMP6_TIME_EXCEEDED,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHO_REPLY,
  ICMP_FRAG_NEEDED,
  ICMP_PORT_UNREACH,
  ICMP_PROTO_UNREACH,
  ICMP_TIME_EXCEEDED,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_UDP,
  buildIcmpV4,
  buildIcmpV6,
  carriesIcmpError,
  icmp6ChecksumOk,
  icmpChecksumOk,
  icmpErrno,
  parseQuotedTcp,
  type QuotedTcp,
} from './icmp.js';

/** An ICMP error about one of our TCP segments, for the connection it names. */
export interface TcpIcmpError {
  local: IpAddr;
  remote: IpAddr;
  localPort: number;
  remotePort: number;
  /** the quoted segment's sequence number */
  seq: number;
  /** the errno the message maps to ('ECONNREFUSED', 'EHOSTUNREACH', ...) */
  errno: string;
  /** set for fragmentation-needed / packet-too-big: the path MTU to use from now on */
  mtu?: number;
  /** ICMP type and code as received */
  type: number;
  code: number;
}

/** What the IP layer needs from its host stack. */
export interface IpHost {
  readonly addresses: readonly IpAddr[];
  readonly counters: { drops: Record<string, number> };
  readonly clock: Clock;
  /** the tunables (the ipfrag_* / ip6frag_* ones are read here) */
  readonly sysctl: ReassemblyHost['sysctl'];
  /** Send a whole IP packet (counted and emitted as a 'packet' event). */
  sendPacket(packet: Uint8Array): void;
  /** A datagram rebuilt from fragments: into the stack as if it had just arrived. */
  receive(packet: Uint8Array): void;
  /** Hand an ICMP error to the TCP connection it quotes. */
  icmpError(err: TcpIcmpError): void;
  /** The host's UDP layer (udp/udp-layer.ts), if it has one. */
  readonly udp?: UdpDemux;
}

/** What the IP layer hands to UDP. */
export interface UdpDemux {
  /** A UDP packet for `local`: false when no socket takes it (then Port Unreachable goes back). */
  input(packet: Uint8Array, d: DecodedPacket, local: IpAddr): boolean;
  /** An ICMP error whose quote (buf[off, end)) is not TCP: true when it was one of our UDP datagrams. */
  icmpError(version: 4 | 6, buf: Uint8Array, off: number, end: number, errno: string): boolean;
  /** While forwarding: a packet's destination that is not ours, as the address to answer from; else null. */
  foreignLocal?(d: DecodedPacket): IpAddr | null;
}

export interface IpCounters {
  icmpIn: number;
  icmpOut: number;
  echoRequests: number;
  icmpErrorsIn: number;
  pmtuMessages: number;
  unreachSent: number;
  /** errors we would have sent but the rate limit held back */
  rateLimited: number;
  /** packets with a fragment (IPv4 MF or offset, IPv6 Fragment header) */
  fragmentsIn: number;
  /** IPv6 atomic fragments unwrapped (RFC 6946) */
  atomicFragments: number;
  timeExceededSent: number;
  paramProblemsSent: number;
}

/** Whether a reason decodeTcpPacket gives means "for the IP layer" rather than "drop". */
export function forIpLayer(reason: DropReason): boolean {
  return reason === 'ip_not_tcp' || reason === 'ip_fragment' || reason.startsWith('ip6_');
}

/** Linux's minimum path MTUs: net.ipv4.route.min_pmtu (552) and the IPv6 minimum link MTU (RFC 8200 §5). */
export const MIN_PMTU_V4 = 552;
export const MIN_PMTU_V6 = 1280;

/** RFC 1191 §7: the plateau table, for a "fragmentation needed" from a router that gives no MTU. */
const PLATEAUS = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

export class IpLayer {
  readonly counters: IpCounters = {
    icmpIn: 0,
    icmpOut: 0,
    echoRequests: 0,
    icmpErrorsIn: 0,
    pmtuMessages: 0,
    unreachSent: 0,
    rateLimited: 0,
    fragmentsIn: 0,
    atomicFragments: 0,
    timeExceededSent: 0,
    paramProblemsSent: 0,
  };
  /** datagrams being reassembled, their memory and counters */
  readonly reassembly: Reassembly;
  /** set while a rebuilt datagram is being delivered: a fragment inside a fragment is refused */
  private delivering = false;
  private readonly walk = newExtWalk();
  /** token bucket for the errors we send: Linux's icmp_msgs_per_sec 1000, icmp_msgs_burst 50 */
  private tokens = 50;
  private tokensAt = 0;

  constructor(private readonly host: IpHost) {
    this.reassembly = new Reassembly({
      clock: host.clock,
      get sysctl() {
        return host.sysctl;
      },
      drop: (reason, n = 1) => this.drop(reason, n),
      deliver: (p) => this.deliver(p),
      timeExceeded: (first) => this.timeExceeded(first),
    });
  }

  /** One packet that is not TCP. Never throws on bad input; everything dropped is counted. */
  input(packet: Uint8Array): void {
    const d = decodePacket(packet);
    if (typeof d === 'string') {
      if (d === 'ip_fragment') return this.fragment(packet);
      if (d.startsWith('ip6_')) return this.extensionRefused(packet, d);
      this.drop(d === 'ip_not_tcp' ? 'ip_no_next_header' : d);
      return;
    }
    // a forwarding stack (stack/forwarder-udp.ts) takes UDP to foreign addresses too
    const local = this.localFor(d.version, d.dst4, d.dst6) ?? (d.protocol === IPPROTO_UDP ? (this.host.udp?.foreignLocal?.(d) ?? null) : null);
    if (!local) {
      this.drop('not_for_us');
      return;
    }
    // RFC 1122 §3.2.1.3 / RFC 4291 §2.7: no host sends from these; answering one (echo reply or
    // error) would go to a broadcast or a multicast group, or nowhere (RFC 1122 §3.2.2, RFC 4443 §2.4(e))
    if (badSource(d)) {
      this.drop('ip_bad_source');
      return;
    }
    const end = d.payloadOffset + d.payloadLength;
    if (d.version === 4) {
      if (d.protocol === IPPROTO_ICMP) return this.icmp4(packet, d, local, end);
      if (d.protocol === IPPROTO_UDP) {
        if (this.host.udp?.input(packet, d, local)) return;
        return this.unreachable(packet, d, local, ICMP_PORT_UNREACH, 'udp_no_socket');
      }
      return this.unreachable(packet, d, local, ICMP_PROTO_UNREACH, 'ip_unknown_protocol');
    }
    if (d.protocol === IPPROTO_ICMPV6) return this.icmp6(packet, d, local, end);
    if (d.protocol === IPPROTO_UDP) {
      if (this.host.udp?.input(packet, d, local)) return;
      return this.unreachable(packet, d, local, ICMP6_PORT_UNREACH, 'udp_no_socket');
    }
    return this.unreachable(packet, d, local, -1, 'ip_unknown_protocol');
  }

  private icmp4(buf: Uint8Array, d: DecodedPacket, local: IpAddr, end: number): void {
    const off = d.payloadOffset;
    if (end - off < 8) return this.drop('icmp_truncated');
    if (!icmpChecksumOk(buf, off, end - off)) return this.drop('icmp_bad_checksum');
    this.counters.icmpIn++;
    const type = buf[off]!;
    const code = buf[off + 1]!;
    if (type === ICMP_ECHO) {
      // RFC 792 "Echo or Echo Reply Message": addresses swapped, type 0, the same identifier,
      // sequence number and data; RFC 1122 §3.2.2.6: from the address the request was sent to
      this.counters.echoRequests++;
      this.send(buildIcmpV4(local.v4, d.src4, ICMP_ECHO_REPLY, 0, word(buf, off + 4), buf.subarray(off + 8, end)));
      return;
    }
    const errno = icmpErrno(4, type, code);
    if (errno === null) return this.drop('icmp_ignored');
    this.counters.icmpErrorsIn++;
    const q = parseQuotedTcp(4, buf, off + 8, end);
    if (!q && this.host.udp?.icmpError(4, buf, off + 8, end, errno)) return;
    if (!q || q.src4 !== local.v4) return this.drop('icmp_error_not_tcp');
    const err = quotedError(local, ipV4(q.dst4), q, errno, type, code);
    if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) {
      // RFC 1191 §4: the next-hop MTU is in the low 16 bits of the second word; 0 from an old router
      this.counters.pmtuMessages++;
      let mtu = (buf[off + 6]! << 8) | buf[off + 7]!;
      if (mtu === 0) {
        const quotedLen = (buf[off + 10]! << 8) | buf[off + 11]!;
        mtu = PLATEAUS.find((p) => p < quotedLen) ?? MIN_PMTU_V4;
      }
      err.mtu = Math.max(MIN_PMTU_V4, mtu);
    }
    this.host.icmpError(err);
  }

  private icmp6(buf: Uint8Array, d: DecodedPacket, local: IpAddr, end: number): void {
    const off = d.payloadOffset;
    if (end - off < 8) return this.drop('icmp_truncated');
    if (!icmp6ChecksumOk(d.src6!, d.dst6!, buf, off, end - off)) return this.drop('icmp_bad_checksum');
    this.counters.icmpIn++;
    const type = buf[off]!;
    const code = buf[off + 1]!;
    if (type === ICMP6_ECHO_REQUEST) {
      // RFC 4443 §4.2: the reply carries the request's identifier, sequence number and data
      this.counters.echoRequests++;
      this.send(buildIcmpV6(local.v6!, d.src6!, ICMP6_ECHO_REPLY, 0, word(buf, off + 4), buf.subarray(off + 8, end)));
      return;
    }
    // RFC 4443 §2.4(b): informational messages we do not know (router solicitations, MLD, ...) are
    // dropped silently; error messages (types below 128) go to the upper layer
    if (type >= 128) return this.drop('icmp_ignored');
    const packetTooBig = type === ICMP6_PACKET_TOO_BIG;
    const errno = packetTooBig ? 'EMSGSIZE' : icmpErrno(6, type, code);
    if (errno === null) return this.drop('icmp_ignored');
    this.counters.icmpErrorsIn++;
    const q = parseQuotedTcp(6, buf, off + 8, end);
    if (!q && this.host.udp?.icmpError(6, buf, off + 8, end, errno)) return;
    if (!q || !ipEquals(local, 0, q.src6)) return this.drop('icmp_error_not_tcp');
    const err = quotedError(local, ipV6(q.dst6!), q, errno, type, code);
    if (packetTooBig) {
      // RFC 8201 §4: never below the IPv6 minimum link MTU
      this.counters.pmtuMessages++;
      err.mtu = Math.max(MIN_PMTU_V6, Math.min(0xffff, word(buf, off + 4)));
    }
    this.host.icmpError(err);
  }

  /**
   * Nobody here speaks this protocol (or, for UDP, listens on this port): say so with an ICMP
   * error quoting the packet, as much as RFC 792 (header + 64 bits; we quote up to 548 bytes as
   * Linux does) or RFC 4443 §2.4(c) (up to the 1280-byte minimum MTU) allow.
   */
  private unreachable(buf: Uint8Array, d: DecodedPacket, local: IpAddr, code: number, reason: string): void {
    this.drop(reason);
    if (!this.takeToken()) {
      this.counters.rateLimited++;
      return;
    }
    this.counters.unreachSent++;
    const total = d.version === 4 ? (buf[2]! << 8) | buf[3]! : 40 + ((buf[4]! << 8) | buf[5]!);
    if (d.version === 4) {
      const quote = buf.subarray(0, Math.min(total, 576 - 28));
      this.send(buildIcmpV4(local.v4, d.src4, ICMP_DEST_UNREACH, code, 0, quote));
      return;
    }
    const quote = buf.subarray(0, Math.min(total, 1280 - 48));
    if (code >= 0) {
      this.send(buildIcmpV6(local.v6!, d.src6!, ICMP6_DEST_UNREACH, code, 0, quote));
    } else {
      // RFC 8200 §4 / RFC 4443 §3.4: Parameter Problem code 1, pointing at the Next Header field
      // that names the protocol (the fixed header's, or the last extension header's)
      const pointer = d.payloadOffset === 40 ? 6 : lastNextHeaderOffset(buf, d.payloadOffset);
      this.send(buildIcmpV6(local.v6!, d.src6!, ICMP6_PARAM_PROBLEM, 1, pointer, quote));
    }
  }

  /**
   * One fragment: the rules a fragment must meet on its own, then reassembly.
   *  - RFC 791 §3.2 / RFC 8200 §4.5: every fragment but the last carries a multiple of 8 bytes,
   *    and none is empty; IPv6 answers the first with Parameter Problem code 0 at Payload Length.
   *  - The datagram may not grow past 65,535 bytes (the "ping of death"); IPv6 answers Parameter
   *    Problem code 0 pointing at the Fragment Offset.
   *  - RFC 1858 §3: a TCP fragment at offset 8 can only mean to overwrite the TCP header's flags,
   *    and a first TCP fragment under 16 bytes hides them; both are dropped as tiny fragments.
   *  - RFC 7112 §5: an IPv6 first fragment must hold every header through the upper-layer one
   *    (Parameter Problem code 3).
   *  - RFC 6946: an atomic fragment is processed on its own, whatever else is being reassembled.
   */
  private fragment(packet: Uint8Array): void {
    const f = parseFragment(packet);
    if (typeof f === 'string') return this.drop(f);
    this.counters.fragmentsIn++;
    const local = this.localFor(f.version, f.dst4, f.dst6);
    if (!local) return this.drop('not_for_us');
    if (f.version === 4 ? badSource4(f.src4) : badSource6(f.src6!)) return this.drop('ip_bad_source');
    if (this.delivering) return this.drop('ip_frag_nested');
    const len = f.dataEnd - f.dataStart;
    if (f.version === 6 && f.offset === 0 && !f.more) {
      this.counters.atomicFragments++;
      return this.deliver(assembleIPv6(packet.subarray(0, f.headerLength), f.nextHeaderAt, f.protocol, packet.subarray(f.dataStart, f.dataEnd)));
    }
    if (len === 0 || (f.more && (len & 7) !== 0)) {
      this.drop('ip_frag_bad_length');
      if (f.version === 6 && len !== 0) this.paramProblem(packet, local, f, PARAM_ERRONEOUS_FIELD, 4);
      return;
    }
    const unfragmentable = f.version === 4 ? f.headerLength : f.headerLength - 40;
    if (unfragmentable + f.offset + len > 0xffff) {
      this.drop('ip_frag_too_big');
      if (f.version === 6) this.paramProblem(packet, local, f, PARAM_ERRONEOUS_FIELD, f.dataStart - 6);
      return;
    }
    if (f.version === 4 && f.protocol === IPPROTO_TCP && (f.offset === 8 || (f.offset === 0 && len < 16))) {
      return this.drop('ip_frag_tiny');
    }
    if (!firstFragmentHasHeaderChain(packet, f)) {
      this.drop('ip6_frag_incomplete_chain');
      return this.paramProblem(packet, local, f, PARAM_INCOMPLETE_CHAIN, 0);
    }
    this.reassembly.add(packet, f);
  }

  /** A whole datagram (rebuilt or unwrapped) goes back into the stack; fragments inside it are refused. */
  private deliver(packet: Uint8Array): void {
    this.delivering = true;
    try {
      this.host.receive(packet);
    } finally {
      this.delivering = false;
    }
  }

  /** RFC 792 / RFC 8200 §4.5: reassembly gave up with fragment zero in hand: Time Exceeded, code 1. */
  private timeExceeded(first: Uint8Array): void {
    if (carriesIcmpError(first)) return;
    if (!this.takeToken()) {
      this.counters.rateLimited++;
      return;
    }
    const f = parseFragment(first);
    if (typeof f === 'string') return;
    const local = this.localFor(f.version, f.dst4, f.dst6);
    if (!local) return;
    this.counters.timeExceededSent++;
    if (f.version === 4) {
      this.send(buildIcmpV4(local.v4, f.src4, ICMP_TIME_EXCEEDED, 1, 0, first.subarray(0, Math.min(first.length, 576 - 28))));
    } else {
      this.send(buildIcmpV6(local.v6!, f.src6!, ICMP6_TIME_EXCEEDED, 1, 0, first.subarray(0, Math.min(first.length, 1280 - 48))));
    }
  }

  /** An IPv6 packet an extension header refused: counted, and answered where RFC 8200 says so. */
  private extensionRefused(packet: Uint8Array, reason: DropReason): void {
    this.drop(reason);
    explainIPv6Drop(packet, this.walk);
    if (this.walk.icmpCode < 0) return;
    const local = this.localFor(6, 0, packet.subarray(24, 40));
    if (!local || badSource6(packet.subarray(8, 24))) return;
    this.paramProblem(packet, local, null, this.walk.icmpCode, this.walk.pointer);
  }

  /** RFC 4443 §3.4: Parameter Problem with `pointer` into the offending packet, quoted as far as fits. */
  private paramProblem(packet: Uint8Array, local: IpAddr, f: Fragment | null, code: number, pointer: number): void {
    if ((f !== null && badSource6(f.src6!)) || carriesIcmpError(packet)) return;
    if (!this.takeToken()) {
      this.counters.rateLimited++;
      return;
    }
    this.counters.paramProblemsSent++;
    const total = Math.min(packet.length, 40 + ((packet[4]! << 8) | packet[5]!));
    const quote = packet.subarray(0, Math.min(total, 1280 - 48));
    this.send(buildIcmpV6(local.v6!, packet.subarray(8, 24), ICMP6_PARAM_PROBLEM, code, pointer, quote));
  }

  private takeToken(): boolean {
    const now = this.host.clock.now();
    this.tokens = Math.min(50, this.tokens + (now - this.tokensAt)); // 1000 per second = 1 per ms
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private send(pkt: Uint8Array): void {
    this.counters.icmpOut++;
    this.host.sendPacket(pkt);
  }

  private localFor(version: number, dst4: number, dst6: Uint8Array | null): IpAddr | null {
    for (const a of this.host.addresses) if (a.version === version && ipEquals(a, dst4, dst6)) return a;
    return null;
  }

  private drop(reason: string, n = 1): void {
    const drops = this.host.counters.drops;
    drops[reason] = (drops[reason] ?? 0) + n;
  }
}

function badSource(d: DecodedPacket): boolean {
  return d.version === 4 ? badSource4(d.src4) : badSource6(d.src6!);
}

/** unspecified, limited broadcast, 224/4 */
function badSource4(a: number): boolean {
  return a === 0 || a === 0xffffffff || a >>> 28 === 0xe;
}

/** multicast or unspecified */
function badSource6(b: Uint8Array): boolean {
  if (b[0] === 0xff) return true;
  for (let i = 0; i < 16; i++) if (b[i] !== 0) return false;
  return true;
}

function word(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** The offset of the Next Header byte that named the upper-layer protocol (walks the chain again). */
function lastNextHeaderOffset(buf: Uint8Array, payloadOffset: number): number {
  let at = 6;
  let off = 40;
  for (let guard = 0; guard < 64 && off < payloadOffset; guard++) {
    at = off;
    off += (buf[off + 1]! + 1) << 3;
  }
  return at;
}

/** The error for the connection whose segment an ICMP message quotes. */
function quotedError(local: IpAddr, remote: IpAddr, q: QuotedTcp, errno: string, type: number, code: number): TcpIcmpError {
  return { local, remote, localPort: q.srcPort, remotePort: q.dstPort, seq: q.seq, errno, type, code };
}
