/**
 * A user-space gateway on a synack stack: every TCP connection and UDP flow a guest (a VM, a
 * network namespace behind a TUN device) sends to any address is terminated by the stack's
 * forwarders (stack/forwarder*.ts) and relayed through the host's own sockets (node:net,
 * node:dgram) — what slirp, tun2socks and gVisor's netstack forwarders do. Node-only: the host
 * legs are real sockets.
 *
 *   const gw = createGateway(stack, { policy: { rules: [{ action: 'allow', match: '10.9.0.0/16' }] } });
 *   gw.connections()   both legs of every flow, for `synack ss`
 *   gw.counters        relayed flows, bytes each way, refused / dropped by reason
 *   await gw.close()   FIN on both legs of every flow; no new flows
 */
import type { Stack } from '../stack/stack.js';
import { LiveList } from '../stack/live-list.js';
import type { TcpForwarder, TcpForwardOptions } from '../stack/forwarder.js';
import type { UdpForwarder } from '../stack/forwarder-udp.js';
import { makeError } from '../errors.js';
import { parseIPv4, parseIPv6 } from '../wire/addr.js';
import { newRelayCounters, type GatewayCounters, type GatewayDestination, type GatewayFlowInfo, type GatewayFlowRequest, type RelayContext } from './flow.js';
import { Policy, type PolicyOptions } from './policy.js';
import { TcpRelayFlow, defaultHostConnect, type HostConnect } from './tcp-relay.js';
import { UdpRelay, type UdpRelayOptions } from './udp-relay.js';

/** Options of `createGateway()`. */
export interface GatewayOptions {
  /** the allow/deny rules (policy.ts), or a compiled Policy; default: deny the host's loopback, private and link-local ranges, allow the rest */
  policy?: PolicyOptions | Policy;
  /** what a denied flow gets: 'refuse' (TCP RST, UDP Port Unreachable; the default) or 'drop' (no answer) */
  denied?: 'refuse' | 'drop';
  /**
   * Where the host leg of a flow goes. Return an IP literal and port to connect elsewhere than the
   * original destination (a test mapping a made-up address to loopback, a port forward), a string to
   * refuse the flow with that reason, or nothing for the original destination. The policy is
   * checked against the address returned. A flow to one of the stack's own addresses that the hook
   * does not map is refused (reason 'gateway_address').
   */
  resolveDestination?: (flow: GatewayFlowRequest) => GatewayDestination | string | null | undefined;
  /**
   * TCP relaying: the forwarder's limits, the host connect's timeout in ms (default 30,000), and
   * how the host leg is opened (default: node:net's connect with allowHalfOpen — replace it to bind
   * a source address or go through a proxy; the socket must be allowHalfOpen). false: off.
   */
  tcp?: false | (TcpForwardOptions & { connectTimeout?: number; connect?: HostConnect });
  /** UDP relaying (idle timeouts and flow limits, udp-relay.ts); false: off */
  udp?: false | Partial<UdpRelayOptions>;
}

const UDP_DEFAULTS: UdpRelayOptions = { idleTimeout: 30_000, streamTimeout: 120_000, maxFlows: 4096, maxFlowsPerGuest: 1024 };

/** A running gateway on one stack (`createGateway()`). */
export class Gateway {
  /** the stack whose link the guests are on */
  readonly stack: Stack;
  /** relayed flows, bytes each way, refused and dropped flows by reason, per protocol */
  readonly counters: GatewayCounters = { tcp: newRelayCounters(), udp: newRelayCounters() };
  /** the compiled policy */
  readonly policy: Policy;
  private readonly tcpFlows = new LiveList<TcpRelayFlow>();
  private readonly tcpForwarder: TcpForwarder | null = null;
  private readonly udpForwarder: UdpForwarder | null = null;
  private readonly udp: UdpRelay | null = null;
  private readonly ctx: RelayContext;
  private closing: Promise<void> | null = null;
  private drained: (() => void) | null = null;
  private ids = 0;

  /** @internal use createGateway() */
  constructor(stack: Stack, options: GatewayOptions = {}) {
    this.stack = stack;
    this.policy = options.policy instanceof Policy ? options.policy : new Policy(options.policy);
    const denied = options.denied ?? 'refuse';
    if (denied !== 'refuse' && denied !== 'drop') throw makeError('ERR_INVALID_ARG_VALUE', `createGateway: options.denied must be 'refuse' or 'drop' (got ${String(denied)})`);
    const hook = options.resolveDestination;
    if (hook !== undefined && typeof hook !== 'function') throw makeError('ERR_INVALID_ARG_TYPE', 'createGateway: options.resolveDestination must be a function');
    this.ctx = {
      stack,
      policy: this.policy,
      denied,
      nextId: () => ++this.ids,
      destination: (flow) => destinationFor(stack, flow, hook),
    };
    const tcp = options.tcp ?? {};
    const udp = options.udp ?? {};
    if (tcp !== false) {
      const { connectTimeout = 30_000, connect = defaultHostConnect, ...limits } = tcp;
      if (typeof connect !== 'function') throw makeError('ERR_INVALID_ARG_TYPE', 'createGateway: tcp.connect must be a function');
      if (!Number.isInteger(connectTimeout) || connectTimeout < 1) throw makeError('ERR_OUT_OF_RANGE', `createGateway: tcp.connectTimeout must be a positive integer (got ${String(connectTimeout)})`);
      this.tcpForwarder = stack.forwardTcp((req) => {
        const flow = new TcpRelayFlow(this.ctx, this.counters.tcp, req, this.ctx.nextId(), (f) => this.flowDone(f));
        flow.node = this.tcpFlows.add(flow);
        flow.start({ connectTimeout, connect });
      }, limits);
    }
    if (udp !== false) {
      const o = { ...UDP_DEFAULTS, ...udp };
      for (const [k, v] of Object.entries(o)) {
        if (!Number.isInteger(v) || v < 1) throw makeError('ERR_OUT_OF_RANGE', `createGateway: udp.${k} must be a positive integer (got ${String(v)})`);
      }
      try {
        let relay: UdpRelay | null = null;
        this.udpForwarder = stack.forwardUdp((d) => relay?.datagram(d));
        this.udp = relay = new UdpRelay(this.ctx, this.counters.udp, this.udpForwarder, o);
      } catch (err) {
        this.tcpForwarder?.close();
        throw err;
      }
    }
  }

  /** Every relayed flow with both legs (the guest's on the stack, the host's real socket), for `synack ss`. */
  connections(): GatewayFlowInfo[] {
    const out = this.tcpFlows.items().map((f) => f.info());
    if (this.udp) out.push(...this.udp.infos());
    return out.sort((a, b) => a.id - b.id);
  }

  /** Flows relayed right now: TCP connections (including those still connecting) and UDP flows. */
  get size(): { tcp: number; udp: number } {
    return { tcp: this.tcpFlows.size, udp: this.udp?.size ?? 0 };
  }

  /**
   * Stop taking new flows and end every flow: FIN on both legs of each TCP connection (each side
   * may still send until it closes its own), UDP host sockets closed. Resolves once every TCP flow
   * has closed; after `timeout` ms (default 10,000) the ones still open are reset.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    if (this.closing) return this.closing;
    const timeout = options.timeout ?? 10_000;
    this.tcpForwarder?.close();
    this.udpForwarder?.close();
    this.udp?.close();
    for (const f of this.tcpFlows.items()) f.end();
    this.closing = new Promise<void>((resolve) => {
      if (this.tcpFlows.size === 0) return resolve();
      const timer = this.stack.clock.schedule(this.stack.clock.now() + timeout, () => {
        for (const f of this.tcpFlows.items()) f.reset();
      });
      this.drained = () => {
        this.stack.clock.cancel(timer);
        resolve();
      };
    });
    return this.closing;
  }

  private flowDone(f: TcpRelayFlow): void {
    if (f.node) this.tcpFlows.remove(f.node);
    f.node = null;
    if (this.tcpFlows.size === 0 && this.drained) {
      const d = this.drained;
      this.drained = null;
      d();
    }
  }
}

/** Relay every guest flow on `stack`'s link through the host's sockets (see Gateway and GatewayOptions). */
export function createGateway(stack: Stack, options?: GatewayOptions): Gateway {
  return new Gateway(stack, options);
}

function destinationFor(stack: Stack, flow: GatewayFlowRequest, hook: GatewayOptions['resolveDestination']): GatewayDestination | string {
  let mapped: GatewayDestination | string | null | undefined;
  try {
    mapped = hook?.(flow);
  } catch (err) {
    stack.emit('internalError', err);
    return 'resolve_error';
  }
  if (typeof mapped === 'string') return mapped;
  if (mapped) {
    const ok = (parseIPv4(mapped.address) !== null || parseIPv6(mapped.address) !== null) && Number.isInteger(mapped.port) && mapped.port >= 1 && mapped.port <= 65535;
    return ok ? { address: mapped.address, port: mapped.port } : 'bad_destination';
  }
  if (stack.addresses.some((a) => a.text === flow.localAddress)) return 'gateway_address';
  return { address: flow.localAddress, port: flow.localPort };
}
