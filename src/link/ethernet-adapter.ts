/**
 * EthernetAdapter: a Stack behind an emulated NIC. For users who bring their own Ethernet frames
 * (a TAP device, a v86 or QEMU guest's NIC, a Linux bridge): frames in → IP packets to
 * `stack.input`; the stack's packets → frames out (the 'frame' event), with ARP (RFC 826) for
 * IPv4 and neighbour discovery (RFC 4861) for IPv6 resolving next hops and answering for the
 * stack's own addresses. Every destination is taken as on-link: there is no router here.
 *
 *   const nic = new EthernetAdapter(stack, { mac: '02:00:00:00:00:02' });
 *   nic.on('frame', (f) => vm.receive(f.slice()));   // valid during the call only
 *   vm.on('frame', (f) => nic.input(f));
 */
import { EventEmitter } from '#platform/events';
import type { Stack } from '../stack/stack.js';
import type { TimerHandle } from '../time/clock.js';
import { finish, pseudoSumV6, sum } from '../wire/checksum.js';
import { buildIcmpV6, IPPROTO_ICMPV6 } from '../ip/icmp.js';
import { ARP_REPLY, ARP_REQUEST, NeighbourCache, buildArpFrame, parseArp, type NeighbourOptions } from './arp.js';
import {
  BROADCAST_MAC,
  ETH_HEADER,
  ETH_P_ARP,
  ETH_P_IP,
  ETH_P_IPV6,
  ipv6MulticastMac,
  isMulticast,
  macEquals,
  parseEthernet,
  parseMac,
  randomMac,
  writeEthernetHeader,
} from './ethernet.js';

// RFC 4861 §4.3, §4.4 and §4.6.1
const ND_NEIGHBOR_SOLICIT = 135;
const ND_NEIGHBOR_ADVERT = 136;
const OPT_SOURCE_LL = 1;
const OPT_TARGET_LL = 2;
const NA_SOLICITED = 0x40000000;
const NA_OVERRIDE = 0x20000000;

/** Options of `new EthernetAdapter()`: the stack's MAC address and the neighbour cache's timers. */
export interface EthernetAdapterOptions {
  /** our MAC: 6 bytes or "aa:bb:cc:dd:ee:ff"; a random locally administered one by default */
  mac?: Uint8Array | string;
  neighbour?: NeighbourOptions;
}

export interface EthernetCounters {
  framesIn: number;
  framesOut: number;
  arpIn: number;
  arpRepliesSent: number;
  arpRequestsSent: number;
  ndIn: number;
  ndAdvertsSent: number;
  ndSolicitsSent: number;
  drops: Record<string, number>;
}

/** Ethernet framing for a stack on a TAP device or any L2 link: answers and resolves ARP (IPv4) and neighbour discovery (IPv6). */
export class EthernetAdapter extends EventEmitter {
  readonly mac: Uint8Array;
  readonly counters: EthernetCounters = {
    framesIn: 0,
    framesOut: 0,
    arpIn: 0,
    arpRepliesSent: 0,
    arpRequestsSent: 0,
    ndIn: 0,
    ndAdvertsSent: 0,
    ndSolicitsSent: 0,
    drops: {},
  };
  readonly arp: NeighbourCache<number>;
  readonly nd: NeighbourCache<string>;
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private readonly onPacket = (p: Uint8Array): void => this.output(p);

  constructor(
    readonly stack: Stack,
    opts: EthernetAdapterOptions = {},
  ) {
    super();
    const mac = typeof opts.mac === 'string' ? parseMac(opts.mac) : (opts.mac ?? randomMac());
    if (!mac || mac.length !== 6 || isMulticast(mac)) {
      throw Object.assign(new Error(`invalid unicast MAC address "${String(opts.mac)}"`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    this.mac = mac.slice();
    this.arp = new NeighbourCache<number>(
      (ip) => this.sendArpRequest(ip),
      (m, p) => this.sendFrame(m, ETH_P_IP, p),
      opts.neighbour,
    );
    this.nd = new NeighbourCache<string>(
      (key) => this.sendNeighbourSolicit(fromHex(key)),
      (m, p) => this.sendFrame(m, ETH_P_IPV6, p),
      opts.neighbour,
    );
    stack.on('packet', this.onPacket);
  }

  /** Stop taking the stack's packets. */
  close(): void {
    this.stack.off('packet', this.onPacket);
    if (this.timer) this.stack.clock.cancel(this.timer);
    this.timer = null;
  }

  // ===================== frames in =====================

  /** One Ethernet frame (no preamble, no FCS). Bad frames are counted and dropped, never thrown. */
  input(frame: Uint8Array): void {
    this.counters.framesIn++;
    const h = parseEthernet(frame);
    if (!h) return this.drop('eth_bad_frame');
    if (!macEquals(h.dst, this.mac) && !isMulticast(h.dst)) return this.drop('eth_not_for_us');
    const payload = frame.subarray(ETH_HEADER);
    switch (h.etherType) {
      case ETH_P_ARP:
        return this.arpInput(payload);
      case ETH_P_IP:
        return this.stack.input(payload);
      case ETH_P_IPV6:
        if (this.ndInput(payload, h.src)) return;
        return this.stack.input(payload);
      default:
        return this.drop('eth_unknown_type');
    }
  }

  private arpInput(p: Uint8Array): void {
    const a = parseArp(p, 0);
    if (!a) return this.drop('arp_bad');
    this.counters.arpIn++;
    const now = this.stack.clock.now();
    // RFC 826 "Packet Reception": merge the sender into the table if it is there already...
    const merged = a.senderIp !== 0 && this.arp.refresh(a.senderIp, a.senderMac, now);
    if (!this.ownV4(a.targetIp)) return;
    // ...and, when we are the target, add it if it was not
    if (!merged && a.senderIp !== 0) this.arp.learn(a.senderIp, a.senderMac, now);
    if (a.op === ARP_REQUEST) {
      this.counters.arpRepliesSent++;
      this.emitFrame(buildArpFrame(a.senderMac, ARP_REPLY, this.mac, a.targetIp, a.senderMac, a.senderIp));
    }
    this.armTimer();
  }

  /** Neighbour solicitations and advertisements (RFC 4861 §7). Returns true if `p` was one. */
  private ndInput(p: Uint8Array, ethSrc: Uint8Array): boolean {
    // only the simple form: ICMPv6 directly after the fixed header (NDP never uses extensions)
    if (p.length < 40 + 24 || p[6] !== IPPROTO_ICMPV6) return false;
    const type = p[40];
    if (type !== ND_NEIGHBOR_SOLICIT && type !== ND_NEIGHBOR_ADVERT) return false;
    this.counters.ndIn++;
    const len = Math.min(p.length - 40, (p[4]! << 8) | p[5]!);
    // RFC 4861 §7.1.1/§7.1.2: hop limit 255 (not forwarded), code 0, checksum correct
    if (p[7] !== 255 || p[41] !== 0) return (this.drop('nd_invalid'), true);
    const src = p.subarray(8, 24);
    const dst = p.subarray(24, 40);
    if (finish(sum(p, 40, len, pseudoSumV6(src, dst, IPPROTO_ICMPV6, len))) !== 0) return (this.drop('nd_bad_checksum'), true);
    const target = p.subarray(48, 64);
    const now = this.stack.clock.now();
    const ll = findOption(p, 64, 40 + len, type === ND_NEIGHBOR_SOLICIT ? OPT_SOURCE_LL : OPT_TARGET_LL);
    if (type === ND_NEIGHBOR_ADVERT) {
      this.nd.learn(hex(target), ll ?? ethSrc, now);
      this.armTimer();
      return true;
    }
    const ours = this.stack.addresses.find((a) => a.version === 6 && bytesEqual(a.v6!, target));
    if (!ours) return true;
    const unspecified = src.every((b) => b === 0);
    if (!unspecified && ll) this.nd.learn(hex(src), ll, now);
    // RFC 4861 §7.2.4: answer to the solicitation's source, or to all-nodes if it was DAD (::)
    const to = unspecified ? ALL_NODES : src;
    const flags = (unspecified ? 0 : NA_SOLICITED) | NA_OVERRIDE;
    const body = new Uint8Array(24);
    body.set(target, 0);
    body[16] = OPT_TARGET_LL;
    body[17] = 1;
    body.set(this.mac, 18);
    const na = buildIcmpV6(ours.v6!, to, ND_NEIGHBOR_ADVERT, 0, flags, body, 255);
    this.counters.ndAdvertsSent++;
    this.sendFrame(unspecified ? ipv6MulticastMac(to) : (ll ?? ethSrc), ETH_P_IPV6, na);
    this.armTimer();
    return true;
  }

  // ===================== packets out =====================

  private output(p: Uint8Array): void {
    const now = this.stack.clock.now();
    if (p[0]! >>> 4 === 4) {
      const dst = ((p[16]! << 24) | (p[17]! << 16) | (p[18]! << 8) | p[19]!) >>> 0;
      if (dst === 0xffffffff) this.sendFrame(BROADCAST_MAC, ETH_P_IP, p);
      else this.arp.send(dst, p, now);
    } else {
      const dst = p.subarray(24, 40);
      if (dst[0] === 0xff) this.sendFrame(ipv6MulticastMac(dst), ETH_P_IPV6, p);
      else this.nd.send(hex(dst), p, now);
    }
    this.armTimer();
  }

  private sendArpRequest(ip: number): void {
    const own = this.stack.addresses.find((a) => a.version === 4);
    if (!own) return;
    this.counters.arpRequestsSent++;
    this.emitFrame(buildArpFrame(BROADCAST_MAC, ARP_REQUEST, this.mac, own.v4, ZERO_MAC, ip));
  }

  private sendNeighbourSolicit(target: Uint8Array): void {
    const own = this.stack.addresses.find((a) => a.version === 6);
    if (!own) return;
    // RFC 4861 §7.2.2: to the target's solicited-node multicast address ff02::1:ffXX:XXXX
    const dst = new Uint8Array([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, target[13]!, target[14]!, target[15]!]);
    const body = new Uint8Array(24);
    body.set(target, 0);
    body[16] = OPT_SOURCE_LL;
    body[17] = 1;
    body.set(this.mac, 18);
    this.counters.ndSolicitsSent++;
    this.sendFrame(ipv6MulticastMac(dst), ETH_P_IPV6, buildIcmpV6(own.v6!, dst, ND_NEIGHBOR_SOLICIT, 0, 0, body, 255));
  }

  private sendFrame(dstMac: Uint8Array, etherType: number, packet: Uint8Array): void {
    const f = new Uint8Array(Math.max(60, ETH_HEADER + packet.length));
    writeEthernetHeader(f, dstMac, this.mac, etherType);
    f.set(packet, ETH_HEADER);
    this.emitFrame(f);
  }

  private emitFrame(f: Uint8Array): void {
    this.counters.framesOut++;
    this.emit('frame', f);
  }

  // ===================== helpers =====================

  private armTimer(): void {
    const now = this.stack.clock.now();
    const next = Math.min(this.arp.tick(now), this.nd.tick(now));
    if (next === this.timerAt) return;
    if (this.timer) this.stack.clock.cancel(this.timer);
    this.timer = null;
    this.timerAt = next;
    if (next !== Infinity) {
      this.timer = this.stack.clock.schedule(next, () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.armTimer();
      });
    }
  }

  private ownV4(ip: number): boolean {
    return this.stack.addresses.some((a) => a.version === 4 && a.v4 === ip);
  }

  private drop(reason: string): void {
    const d = this.counters.drops;
    d[reason] = (d[reason] ?? 0) + 1;
  }
}

const ZERO_MAC = new Uint8Array(6);
const ALL_NODES = new Uint8Array([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** RFC 4861 §4.6: options are (type, length in 8-octet units, ...); a zero length ends the walk. */
function findOption(p: Uint8Array, off: number, end: number, type: number): Uint8Array | null {
  for (let guard = 0; guard < 64 && off + 2 <= end; guard++) {
    const len = p[off + 1]! * 8;
    if (len === 0 || off + len > end) return null;
    if (p[off] === type && len >= 8) return p.subarray(off + 2, off + 8);
    off += len;
  }
  return null;
}
