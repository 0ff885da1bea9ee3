/**
 * UDP through the gateway, as a NAT keeps it: one flow per guest 4-tuple (guest address and port,
 * original destination and port), each with its own host socket connected to the destination, so
 * only the destination's replies come back (to the guest, from the original destination). A flow
 * ends after an idle time as Linux conntrack's: `nf_conntrack_udp_timeout` (30 s) until the
 * destination has replied, `nf_conntrack_udp_timeout_stream` (120 s) once it has
 * (net/netfilter/nf_conntrack_proto_udp.c: IPS_SEEN_REPLY). A connected host socket learns of the
 * destination's ICMP Port Unreachable as ECONNREFUSED (Linux reports ICMP errors to connected UDP
 * sockets only, udp(7)); the guest then gets a Port Unreachable from the original destination.
 */
import dgram from 'node:dgram';
import type { TimerHandle } from '../time/clock.js';
import type { UdpForwardedDatagram, UdpForwarder } from '../stack/forwarder-udp.js';
import { countReason, screen, type GatewayFlowInfo, type GatewayFlowRequest, type RelayContext, type RelayCounters } from './flow.js';
import { isIPv6 } from '../wire/addr.js';

/** Datagrams a flow keeps while its host socket connects (a connect is one local route lookup: microseconds). */
const QUEUE_WHILE_CONNECTING = 64;

/** Options of the UDP relay (all in ms or counts). */
export interface UdpRelayOptions {
  /** idle time of a flow the destination has not answered (default 30,000, nf_conntrack_udp_timeout) */
  idleTimeout: number;
  /** idle time of a flow the destination has answered (default 120,000, nf_conntrack_udp_timeout_stream) */
  streamTimeout: number;
  /** flows at once, all guests (default 4096) */
  maxFlows: number;
  /** flows at once from one guest address (default 1024) */
  maxFlowsPerGuest: number;
}

/** One guest UDP flow and its host socket. */
class UdpRelayFlow {
  readonly host: dgram.Socket;
  lastActive: number;
  replied = false;
  /** the last datagram from the guest: quoted in a Port Unreachable */
  lastPayload: Uint8Array = new Uint8Array(0);
  bytesToHost = 0;
  bytesToGuest = 0;
  timer: TimerHandle | null = null;
  closed = false;
  /** datagrams from the guest waiting for the host socket's connect() (node:dgram refuses a send before it) */
  queue: Uint8Array[] | null = [];
  readonly since: number;

  constructor(
    readonly id: number,
    readonly key: string,
    readonly req: GatewayFlowRequest,
    readonly destAddress: string,
    readonly destPort: number,
    now: number,
  ) {
    this.host = dgram.createSocket(isIPv6(destAddress) ? 'udp6' : 'udp4');
    this.lastActive = now;
    this.since = now;
  }
}

/** The UDP half of a gateway: flows by guest 4-tuple. */
export class UdpRelay {
  private readonly flows = new Map<string, UdpRelayFlow>();
  private readonly perGuest = new Map<string, number>();

  constructor(
    private readonly ctx: RelayContext,
    private readonly counters: RelayCounters,
    private readonly forwarder: UdpForwarder,
    private readonly options: UdpRelayOptions,
  ) {}

  /** Flows open right now. */
  get size(): number {
    return this.flows.size;
  }

  /** A datagram from a guest: into its flow (made on first use, if the policy and the limits allow). */
  datagram(d: UdpForwardedDatagram): void {
    const key = `${d.remoteAddress} ${d.remotePort} ${d.localAddress} ${d.localPort}`;
    let f = this.flows.get(key);
    if (!f) {
      const made = this.open(key, d);
      if (!made) return;
      f = made;
    }
    f.lastActive = this.ctx.stack.clock.now();
    f.lastPayload = d.payload;
    f.bytesToHost += d.payload.length;
    this.counters.bytesToHost += d.payload.length;
    if (f.queue === null) this.send(f, d.payload);
    else if (f.queue.length < QUEUE_WHILE_CONNECTING) f.queue.push(d.payload);
    else countReason(this.counters.dropped, 'connect_queue_full');
  }

  private send(f: UdpRelayFlow, payload: Uint8Array): void {
    f.host.send(payload, (err) => {
      if (err) countReason(this.counters.dropped, `host_${String((err as NodeJS.ErrnoException).code ?? 'error').toLowerCase()}`);
    });
  }

  /** Every flow's legs. */
  infos(): GatewayFlowInfo[] {
    return [...this.flows.values()].map((f) => {
      let local: { address: string; port: number } | null = null;
      try {
        local = f.host.address();
      } catch {
        // not bound yet
      }
      return {
        id: f.id,
        protocol: 'udp' as const,
        guest: { localAddress: f.req.localAddress, localPort: f.req.localPort, remoteAddress: f.req.remoteAddress, remotePort: f.req.remotePort, state: 'open' },
        host: { localAddress: local?.address, localPort: local?.port, remoteAddress: f.destAddress, remotePort: f.destPort, state: f.closed ? 'closed' : 'open' },
        bytesToHost: f.bytesToHost,
        bytesToGuest: f.bytesToGuest,
        since: f.since,
      };
    });
  }

  /** Close every flow's host socket. */
  close(): void {
    for (const f of [...this.flows.values()]) this.end(f);
  }

  private open(key: string, d: UdpForwardedDatagram): UdpRelayFlow | null {
    const req: GatewayFlowRequest = { protocol: 'udp', localAddress: d.localAddress, localPort: d.localPort, remoteAddress: d.remoteAddress, remotePort: d.remotePort, family: d.family };
    const s = screen(this.ctx, req);
    if ('verdict' in s) {
      if (s.verdict === 'refuse') {
        countReason(this.counters.refused, s.reason);
        this.forwarder.portUnreachable(d, d.payload);
      } else {
        countReason(this.counters.dropped, s.reason);
      }
      return null;
    }
    if (this.flows.size >= this.options.maxFlows) return this.limit('flow_limit');
    if ((this.perGuest.get(d.remoteAddress) ?? 0) >= this.options.maxFlowsPerGuest) return this.limit('flow_guest_limit');
    const now = this.ctx.stack.clock.now();
    const f = new UdpRelayFlow(this.ctx.nextId(), key, req, s.dest.address, s.dest.port, now);
    this.flows.set(key, f);
    this.perGuest.set(d.remoteAddress, (this.perGuest.get(d.remoteAddress) ?? 0) + 1);
    this.counters.relayed++;
    f.host.on('message', (msg: Uint8Array) => this.reply(f, msg));
    f.host.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') {
        // the destination's Port Unreachable, as the host's kernel reported it
        countReason(this.counters.refused, 'host_econnrefused');
        if (!f.closed) this.forwarder.portUnreachable(f.req, f.lastPayload);
        return;
      }
      countReason(this.counters.dropped, `host_${String(err.code ?? 'error').toLowerCase()}`);
    });
    f.host.connect(s.dest.port, s.dest.address, () => {
      const queued = f.queue ?? [];
      f.queue = null;
      if (!f.closed) for (const p of queued) this.send(f, p);
    });
    this.arm(f);
    return f;
  }

  private reply(f: UdpRelayFlow, msg: Uint8Array): void {
    if (f.closed) return;
    f.replied = true;
    f.lastActive = this.ctx.stack.clock.now();
    const err = this.forwarder.send(msg, { address: f.req.localAddress, port: f.req.localPort }, { address: f.req.remoteAddress, port: f.req.remotePort });
    if (err !== null) {
      countReason(this.counters.dropped, `guest_${err.toLowerCase()}`);
      return;
    }
    f.bytesToGuest += msg.length;
    this.counters.bytesToGuest += msg.length;
  }

  /** The idle timer: one per flow, re-armed lazily from lastActive (no timer churn per datagram). */
  private arm(f: UdpRelayFlow): void {
    const clock = this.ctx.stack.clock;
    const at = f.lastActive + (f.replied ? this.options.streamTimeout : this.options.idleTimeout);
    f.timer = clock.schedule(at, () => {
      f.timer = null;
      if (f.closed) return;
      const due = f.lastActive + (f.replied ? this.options.streamTimeout : this.options.idleTimeout);
      if (clock.now() >= due) this.end(f);
      else this.arm(f);
    });
  }

  private end(f: UdpRelayFlow): void {
    if (f.closed) return;
    f.closed = true;
    if (f.timer !== null) this.ctx.stack.clock.cancel(f.timer);
    this.flows.delete(f.key);
    const n = (this.perGuest.get(f.req.remoteAddress) ?? 1) - 1;
    if (n > 0) this.perGuest.set(f.req.remoteAddress, n);
    else this.perGuest.delete(f.req.remoteAddress);
    f.host.close();
  }

  private limit(reason: string): null {
    countReason(this.counters.dropped, reason);
    return null;
  }
}
