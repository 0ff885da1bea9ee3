/**
 * The fuzzer's inputs, structure-aware: segments built for one of S's connections (or its listener,
 * or a 4-tuple it does not know) with every header field drawn around and far from the TCB's own
 * numbers, option bytes of any kind and length, data offsets, truncations, IPv4 header fields and
 * options, IPv6 extension headers with options of every action, fragments (in and out of order,
 * overlapping, duplicated, missing), ICMP errors quoting the connection, plus random bytes, waits
 * and the application's own calls. Checksums are made valid most of the time, so the TCP layer is
 * reached. Every input is concrete bytes (an Action), so a finding replays without the generator.
 */
import type { Prng } from '../../src/link/prng.js';
import { finish, pseudoSumV6, sum } from '../../src/wire/checksum.js';
import { seqAdd } from '../../src/tcp/seq.js';
import { type Ext, fixIpv4Header, fixTcpChecksum, fragment, ipv4Packet, ipv6Packet, put16, put32, tcpBytes, type Cut, type RawTcp, type V4Fields } from './packets.js';
import { L_ADDR, LISTEN_PORT, P_ADDR, S_ADDR, type World } from './world.js';

export type UserOp = 'close' | 'release' | 'abort' | 'write' | 'read';

/** One input: packets fed to S in order, time passing, or an application call on a scripted connection. */
export type Action =
  | { k: 'in'; packets: Uint8Array[] }
  | { k: 'wait'; ms: number }
  | { k: 'user'; i: number; op: UserOp; n: number };

class R {
  constructor(private readonly p: Prng) {}
  u32(): number {
    return this.p.nextU32();
  }
  int(n: number): number {
    return n <= 1 ? 0 : this.p.nextU32() % n;
  }
  chance(x: number): boolean {
    return this.p.nextU32() / 4294967296 < x;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.p.nextU32() & 255;
    return b;
  }
}

const FLAGS = [0x10, 0x18, 0x02, 0x12, 0x04, 0x14, 0x11, 0x19, 0x01, 0x00, 0x30, 0x12 | 0x01, 0x06, 0x03, 0x3f, 0xff, 0xc2, 0x50];

export class InputGen {
  private readonly r: R;
  constructor(
    private readonly w: World,
    rng: Prng,
  ) {
    this.r = new R(rng);
  }

  next(): Action {
    const r = this.r;
    const x = r.int(100);
    if (x < 8) return { k: 'wait', ms: r.chance(0.9) ? r.int(5) : r.chance(0.9) ? r.int(2000) : r.int(200_000) };
    if (x < 11) return { k: 'user', i: r.int(this.w.scripted.length), op: r.pick(['close', 'release', 'abort', 'write', 'write', 'read'] as const), n: r.int(20_000) };
    if (x < 17) return { k: 'in', packets: [this.randomBytes()] };
    if (x < 22) return { k: 'in', packets: [this.icmpError()] };
    const pkt = this.segmentPacket();
    if (x < 37) return { k: 'in', packets: this.fragmented(pkt) };
    return { k: 'in', packets: [pkt] };
  }

  // ===================== random bytes =====================

  private randomBytes(): Uint8Array {
    const r = this.r;
    const body = r.bytes(r.int(120));
    if (r.chance(0.3)) return body;
    const v = r.chance(0.5) ? 4 : 6;
    const proto = r.chance(0.6) ? 6 : r.int(256);
    const p = v === 4 ? ipv4Packet(this.src4(), S_ADDR[4].v4, proto, body) : ipv6Packet(P_ADDR[6].v6!, S_ADDR[6].v6!, proto, body);
    if (r.chance(0.5)) fixTcpChecksum(p);
    return p;
  }

  private src4(): number {
    return this.r.chance(0.9) ? P_ADDR[4].v4 : this.r.u32();
  }

  // ===================== segments aimed at a connection =====================

  /** A TCP segment for a target 4-tuple, every field chosen around or far from the TCB's numbers. */
  private segmentPacket(): Uint8Array {
    const r = this.r;
    const w = this.w;
    const t = r.int(10);
    let v: 4 | 6;
    let srcPort: number;
    let dstPort: number;
    let rcvNxt = r.u32();
    let sndUna = r.u32();
    let sndMax = sndUna;
    let wnd = 65535;
    let tsRecent = r.u32();
    let blind = false;
    if (t < 7 && w.scripted.length > 0) {
      const sc = r.pick(w.scripted);
      const c = sc.conn;
      v = sc.version;
      srcPort = c.remotePort;
      dstPort = c.localPort;
      rcvNxt = c.tcb.rcvNxt;
      sndUna = c.tcb.sndUna;
      sndMax = c.tcb.sndMax;
      wnd = Math.max(1, c.tcb.rcvAdvEdge - c.tcb.rcvNxt);
      tsRecent = c.tcb.tsRecent;
    } else if (t < 9) {
      // the listener: a new peer port, or a closed 4-tuple on another port
      v = r.chance(0.5) ? 4 : 6;
      srcPort = 1 + r.int(65535);
      dstPort = r.chance(0.7) ? LISTEN_PORT : 1 + r.int(65535);
    } else {
      // the legitimate transfer's port pair, blind: sequence numbers half the space away
      v = r.chance(0.5) ? 4 : 6;
      srcPort = 1 + r.int(65535);
      dstPort = LISTEN_PORT;
      blind = true;
    }
    const seq = blind ? seqAdd(rcvNxt, 0x40000000 + r.int(0x40000000)) : this.around(rcvNxt, wnd);
    const ack = this.around(r.pick([sndUna, sndMax, seqAdd(sndUna, -1), seqAdd(sndMax, 1)]), 65536);
    const flags = r.chance(0.7) ? r.pick(FLAGS) : r.int(256);
    const payload = r.chance(0.5) ? new Uint8Array(0) : r.bytes(r.chance(0.8) ? r.int(64) : r.int(1400));
    const seg: RawTcp = {
      srcPort,
      dstPort,
      seq,
      ack,
      flags,
      reserved: r.chance(0.9) ? 0 : r.int(16),
      window: r.pick([0, 1, 65535, r.int(65536)]),
      urgent: r.chance(0.8) ? 0 : r.pick([0, 1, payload.length, payload.length + 1, 65535, r.int(65536)]),
      options: this.options(tsRecent, rcvNxt, sndUna),
      payload,
    };
    if (r.chance(0.05)) seg.doff = r.int(16);
    if (blind && (flags & 0x10) !== 0) seg.ack = seqAdd(sndUna, 0x40000000);
    const tcp = tcpBytes(seg);
    let pkt: Uint8Array;
    if (v === 4) {
      const f: V4Fields = {
        ttl: r.chance(0.9) ? 64 : r.int(256),
        tos: r.chance(0.9) ? 0 : r.int(256),
        id: r.int(65536),
        df: r.chance(0.7),
        mf: false,
        fragOffset: 0,
        ipOptions: r.chance(0.9) ? new Uint8Array(0) : this.ipv4Options(),
      };
      pkt = ipv4Packet(blind ? L_ADDR[4].v4 : P_ADDR[4].v4, S_ADDR[4].v4, 6, tcp, f);
    } else {
      pkt = ipv6Packet(blind ? L_ADDR[6].v6! : P_ADDR[6].v6!, S_ADDR[6].v6!, 6, tcp, r.chance(0.85) ? [] : this.extensions(), r.chance(0.9) ? 64 : r.int(256), r.int(256), r.int(1 << 20));
    }
    if (!blind && r.chance(0.15)) this.mutateBytes(pkt);
    if (r.chance(0.95)) fixTcpChecksum(pkt);
    if (r.chance(0.05)) pkt = this.truncate(pkt);
    return pkt;
  }

  /** A number near `base`: exactly it, one either side, at or past the window's edges, or anywhere. */
  private around(base: number, wnd: number): number {
    const r = this.r;
    switch (r.int(9)) {
      case 0:
        return base >>> 0;
      case 1:
        return seqAdd(base, 1);
      case 2:
        return seqAdd(base, -1);
      case 3:
        return seqAdd(base, wnd);
      case 4:
        return seqAdd(base, wnd - 1);
      case 5:
        return seqAdd(base, -wnd);
      case 6:
        return seqAdd(base, r.int(2 * wnd + 1) - wnd);
      case 7:
        return seqAdd(base, 0x80000000);
      default:
        return r.u32();
    }
  }

  /** TCP option bytes: well-formed ones with values near the connection's, or any kind and length. */
  private options(tsRecent: number, rcvNxt: number, sndUna: number): Uint8Array {
    const r = this.r;
    if (r.chance(0.4)) return new Uint8Array(0);
    const out: number[] = [];
    const n = 1 + r.int(4);
    for (let i = 0; i < n && out.length < 40; i++) {
      switch (r.int(r.chance(0.7) ? 7 : 8)) {
        case 0:
          out.push(2, 4, r.int(256), r.int(256)); // MSS
          break;
        case 1:
          out.push(3, 3, r.pick([0, 7, 14, 15, 255])); // window scale
          break;
        case 2:
          out.push(4, 2); // SACK permitted
          break;
        case 3: {
          const tsv = r.chance(0.5) ? this.around(tsRecent, 1 << 30) : r.u32();
          out.push(8, 10, ...be32(tsv), ...be32(r.u32()));
          break;
        }
        case 4: {
          const blocks = 1 + r.int(4);
          out.push(5, 2 + 8 * blocks);
          for (let b = 0; b < blocks; b++) {
            const left = this.around(r.chance(0.5) ? sndUna : rcvNxt, 65536);
            out.push(...be32(left), ...be32(seqAdd(left, r.int(70000) - 2000)));
          }
          break;
        }
        case 5:
          out.push(1); // NOP
          break;
        case 6:
          out.push(0); // EOL
          break;
        default:
          if (r.chance(0.5)) {
            // any kind with any length, including 0, 1 and past the header
            out.push(r.int(256), r.int(48));
          } else {
            for (const b of r.bytes(1 + r.int(8))) out.push(b);
          }
      }
    }
    return new Uint8Array(out.slice(0, 40));
  }

  private ipv4Options(): Uint8Array {
    const r = this.r;
    switch (r.int(4)) {
      case 0:
        return new Uint8Array([1, 1, 1, 0]); // NOPs and EOL
      case 1:
        return new Uint8Array([7, 7, 4, 0, 0, 0, 0, 0]); // record route
      case 2:
        return new Uint8Array([0x94, 4, 0, 0]); // router alert
      default:
        return r.bytes(4 * (1 + r.int(10)));
    }
  }

  /** IPv6 extension headers: options with each action (RFC 8200 §4.2), routing, atomic fragment, disorder. */
  private extensions(): Ext[] {
    const r = this.r;
    const out: Ext[] = [];
    const n = 1 + r.int(3);
    for (let i = 0; i < n; i++) {
      const kind = r.int(6);
      if (kind <= 2) {
        const opts = this.ipv6Options();
        const len = (2 + opts.length + 7) & ~7;
        const b = new Uint8Array(len);
        b[1] = len / 8 - 1;
        b.set(opts, 2);
        out.push({ type: kind === 0 ? 0 : 60, bytes: b });
      } else if (kind === 3) {
        const b = new Uint8Array(8);
        b[2] = r.int(5);
        b[3] = r.chance(0.5) ? 0 : r.int(4);
        out.push({ type: 43, bytes: b });
      } else if (kind === 4) {
        const b = new Uint8Array(8);
        put16(b, 2, r.chance(0.7) ? 0 : r.int(65536)); // atomic mostly
        put32(b, 4, r.u32());
        out.push({ type: 44, bytes: b });
      } else {
        const b = r.bytes(8 * (1 + r.int(3)));
        b[1] = r.int(3);
        out.push({ type: r.pick([0, 43, 60, 59]), bytes: b.subarray(0, 8 * (b[1]! + 1)) });
      }
    }
    return out;
  }

  private ipv6Options(): Uint8Array {
    const r = this.r;
    const out: number[] = [];
    const n = 1 + r.int(3);
    for (let i = 0; i < n; i++) {
      switch (r.int(5)) {
        case 0:
          out.push(0); // Pad1
          break;
        case 1: {
          const l = r.int(10);
          out.push(1, l, ...new Array<number>(l).fill(0)); // PadN
          break;
        }
        default: {
          const type = (r.int(4) << 6) | (r.int(32) + 2);
          const l = r.int(8);
          out.push(type, l, ...r.bytes(l));
        }
      }
    }
    return new Uint8Array(out);
  }

  private mutateBytes(p: Uint8Array): void {
    const r = this.r;
    const n = 1 + r.int(4);
    for (let i = 0; i < n; i++) p[r.int(p.length)]! ^= 1 + r.int(255);
    if (p[0]! >> 4 === 4 && r.chance(0.7)) fixIpv4Header(p);
  }

  /** Cut the packet short; sometimes fix the IP length fields so the cut reaches TCP. */
  private truncate(p: Uint8Array): Uint8Array {
    const r = this.r;
    const q = p.slice(0, r.int(p.length + 1));
    if (q.length >= 40 && q[0]! >> 4 === 6 && r.chance(0.5)) put16(q, 4, q.length - 40);
    if (q.length >= 20 && q[0]! >> 4 === 4 && r.chance(0.5)) {
      put16(q, 2, q.length);
      fixIpv4Header(q);
    }
    return q;
  }

  // ===================== fragments =====================

  /** The packet cut into fragments: in or out of order, some duplicated, overlapping or missing. */
  private fragmented(p: Uint8Array): Uint8Array[] {
    const r = this.r;
    const v4 = p[0]! >> 4 === 4;
    if (p.length < (v4 ? 21 : 41)) return [p];
    const dataLen = v4 ? p.length - (p[0]! & 15) * 4 : p.length - 40;
    const cuts: Cut[] = [];
    const pieces = 2 + r.int(4);
    let off = 0;
    for (let i = 0; i < pieces && off < dataLen; i++) {
      const last = i === pieces - 1;
      // the first piece mostly holds the whole TCP header (else it is a tiny fragment, RFC 1858 / RFC 7112)
      const min = i === 0 && r.chance(0.8) ? 5 : 1;
      const len = last ? dataLen - off : 8 * (min + r.int(Math.max(1, Math.ceil(dataLen / 8 / pieces))));
      cuts.push({ offset: off, len: Math.min(len, dataLen - off), more: !last && off + len < dataLen });
      off += len;
    }
    if (cuts.length === 0) return [p];
    if (r.chance(0.2)) cuts.push({ ...r.pick(cuts) }); // duplicate
    if (r.chance(0.15)) {
      const c = r.pick(cuts);
      cuts.push({ offset: Math.max(0, c.offset - 8 * r.int(3)), len: 8 + 8 * r.int(4), more: true }); // overlap
    }
    if (r.chance(0.1) && cuts.length > 1) cuts.splice(r.int(cuts.length), 1); // missing: left to time out
    if (r.chance(0.1)) cuts.push({ offset: 8 * r.int(8192), len: 8 * r.int(4), more: r.chance(0.5) }); // wild
    for (let i = cuts.length - 1; i > 0 && r.chance(0.5); i--) {
      const j = r.int(i + 1);
      [cuts[i], cuts[j]] = [cuts[j]!, cuts[i]!];
    }
    const id = r.chance(0.7) ? r.int(16) : r.u32();
    return fragment(p, cuts, id);
  }

  // ===================== ICMP errors about a connection =====================

  /** Destination unreachable / fragmentation needed / packet too big / time exceeded, quoting S's segment. */
  private icmpError(): Uint8Array {
    const r = this.r;
    const sc = this.w.scripted.length > 0 ? r.pick(this.w.scripted) : null;
    const v = sc?.version ?? 4;
    const c = sc?.conn;
    const seq = c ? (r.chance(0.8) ? seqAdd(c.tcb.sndUna, r.int(Math.max(1, c.tcb.sndMax - c.tcb.sndUna + 1))) : r.u32()) : r.u32();
    const quoteTcp = new Uint8Array(20);
    put16(quoteTcp, 0, c?.localPort ?? r.int(65536));
    put16(quoteTcp, 2, c?.remotePort ?? r.int(65536));
    put32(quoteTcp, 4, seq);
    if (v === 4) {
      const quote = ipv4Packet(S_ADDR[4].v4, P_ADDR[4].v4, 6, quoteTcp).subarray(0, 28 + (r.chance(0.5) ? 12 : 0));
      const type = r.pick([3, 3, 3, 11, 12, 4, 5]);
      const code = type === 3 ? r.pick([4, 4, 0, 1, 3, r.int(16)]) : r.int(2);
      const mtu = r.pick([0, 68, 296, 552, 576, 1000, 1280, 1500, r.int(65536)]);
      const body = new Uint8Array(8 + quote.length);
      body[0] = type;
      body[1] = code;
      put16(body, 6, mtu);
      body.set(quote, 8);
      const c2 = finish(sum(body, 0, body.length));
      put16(body, 2, c2);
      return ipv4Packet(r.chance(0.5) ? P_ADDR[4].v4 : r.u32() | 1, S_ADDR[4].v4, 1, body, { ttl: 64, tos: 0, id: 0, df: false, mf: false, fragOffset: 0, ipOptions: new Uint8Array(0) });
    }
    const quote = ipv6Packet(S_ADDR[6].v6!, P_ADDR[6].v6!, 6, quoteTcp);
    const type = r.pick([1, 2, 2, 3, 4]);
    const body = new Uint8Array(8 + quote.length);
    body[0] = type;
    body[1] = r.int(7);
    put32(body, 4, r.pick([0, 1280, 1300, 1500, 9000, r.u32()]));
    body.set(quote, 8);
    const src = P_ADDR[6].v6!;
    const c6 = finish(sum(body, 0, body.length, pseudoSumV6(src, S_ADDR[6].v6!, 58, body.length)));
    put16(body, 2, c6);
    return ipv6Packet(src, S_ADDR[6].v6!, 58, body);
  }
}

function be32(v: number): number[] {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}
