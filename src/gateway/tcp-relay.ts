/**
 * TCP through the gateway: each guest connection attempt (a forwarder request, stack/forwarder.ts)
 * becomes a connect() of a real host socket to the original destination, and the guest gets what
 * that destination did — as a NAT router passes the real answer through:
 *
 *   host 'connect'                      → accept(): the SYN-ACK goes to the guest
 *   ECONNREFUSED (or a reset)           → refuse(): RST, the guest sees ECONNREFUSED
 *   ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN, or connectTimeout
 *                                       → drop(): the guest's connect times out
 *   any other host error (EACCES, EADDRNOTAVAIL, ...) → refuse()
 *
 * Then the two legs are piped both ways with backpressure (a leg that does not read closes the
 * other's window). Half-close is carried: the guest's FIN ends the host socket's writable side
 * (shutdown(SHUT_WR)) and the host's FIN ends the guest's, both legs allowHalfOpen. A reset is
 * carried: an error on one leg (ECONNRESET from a RST, or a timeout) resets the other with
 * resetAndDestroy() (SO_LINGER 0 on the host socket, RST from synack), as RFC 9293 §3.10.7.4's
 * "connection reset" would be seen end to end.
 */
import net from 'node:net';
import type { Socket } from '../api/socket.js';
import type { TcpForwardRequest } from '../stack/forwarder.js';
import type { LiveNode } from '../stack/live-list.js';
import { countReason, screen, type GatewayDestination, type GatewayFlowInfo, type GatewayFlowRequest, type RelayContext, type RelayCounters } from './flow.js';

/** Host errors that mean "no answer": the guest should time out as it would on the real path. */
const UNREACHABLE = new Set(['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);

/** How the host leg is opened: a node:net socket connecting to `dest` (allowHalfOpen, as the relay needs). */
export type HostConnect = (dest: GatewayDestination, flow: GatewayFlowRequest) => net.Socket;

/** The default host connect: node:net's, with allowHalfOpen (half-close is carried) and no Nagle delay added. */
export const defaultHostConnect: HostConnect = (dest) => net.connect({ host: dest.address, port: dest.port, allowHalfOpen: true, noDelay: true });

/** Options of the TCP relay. */
export interface TcpRelayOptions {
  /** ms the host connect may take before the guest's attempt is dropped (default 30,000) */
  connectTimeout: number;
  /** opens the host leg */
  connect: HostConnect;
}

/** One guest connection relayed through a host socket. */
export class TcpRelayFlow {
  /** its entry in the gateway's list of flows */
  node: LiveNode<TcpRelayFlow> | null = null;
  private guest: Socket | null = null;
  private host: net.Socket | null = null;
  /** where the host leg goes (after resolveDestination) */
  private dest: GatewayDestination | null = null;
  private guestClosed = false;
  private hostClosed = false;
  private bytesToHost = 0;
  private bytesToGuest = 0;
  private readonly since: number;

  constructor(
    private readonly ctx: RelayContext,
    private readonly counters: RelayCounters,
    private readonly req: TcpForwardRequest,
    readonly id: number,
    private readonly done: (f: TcpRelayFlow) => void,
  ) {
    this.since = ctx.stack.clock.now();
  }

  /** Screen the request and connect the host leg; the guest's answer follows the host's. */
  start(options: TcpRelayOptions): void {
    const req = this.req;
    const flow: GatewayFlowRequest = { protocol: 'tcp', localAddress: req.localAddress, localPort: req.localPort, remoteAddress: req.remoteAddress, remotePort: req.remotePort, family: req.family };
    const s = screen(this.ctx, flow);
    if ('verdict' in s) return this.fail(s.verdict, s.reason);
    this.dest = s.dest;
    const host = options.connect(s.dest, flow);
    this.host = host;
    host.setTimeout(options.connectTimeout);
    const onAbort = (): void => {
      // expired undecided, or the forwarder closed: stop connecting
      if (req.state === 'expired') countReason(this.counters.dropped, 'expired');
      if (host.connecting) host.destroy();
    };
    req.signal.addEventListener('abort', onAbort, { once: true });
    host.once('timeout', () => {
      if (!host.connecting) return;
      host.destroy();
      this.fail('drop', 'host_timeout');
    });
    host.on('error', (err: NodeJS.ErrnoException) => {
      if (this.guest === null) {
        // the connect failed: answer the guest as the destination answered us
        const code = err.code ?? 'EUNKNOWN';
        this.fail(UNREACHABLE.has(code) ? 'drop' : 'refuse', `host_${code.toLowerCase()}`);
        return;
      }
      this.counters.resetsToGuest++;
      if (!this.guest.destroyed) this.guest.resetAndDestroy();
    });
    host.once('close', () => {
      this.hostClosed = true;
      req.signal.removeEventListener('abort', onAbort);
      if (this.guest === null && req.state !== 'accepted') {
        if (req.state === 'pending') this.fail('drop', 'host_closed');
        this.guestClosed = true;
      }
      this.maybeDone();
    });
    host.once('connect', () => {
      host.setTimeout(0);
      if (req.state !== 'pending') return void host.destroy();
      req.accept({ allowHalfOpen: true, noDelay: true }).then(
        (guest) => this.bridge(guest),
        () => {
          // the guest reset or vanished during its handshake: the host leg goes the same way
          this.counters.resetsToHost++;
          this.guestClosed = true;
          if (!host.destroyed) host.resetAndDestroy();
          this.maybeDone();
        },
      );
    });
  }

  /** The flow's legs, for `gateway.connections()`. */
  info(): GatewayFlowInfo {
    const req = this.req;
    const g = this.guest;
    const h = this.host;
    return {
      id: this.id,
      protocol: 'tcp',
      guest: {
        localAddress: req.localAddress,
        localPort: req.localPort,
        remoteAddress: req.remoteAddress,
        remotePort: req.remotePort,
        state: g ? g.tcpState : req.state === 'accepted' ? 'SYN_RCVD' : req.state === 'pending' ? 'SYN_PENDING' : 'CLOSED',
      },
      host: {
        localAddress: h?.localAddress,
        localPort: h?.localPort,
        remoteAddress: h?.remoteAddress ?? this.dest?.address ?? '',
        remotePort: h?.remotePort ?? this.dest?.port ?? 0,
        state: h ? (h.destroyed ? 'closed' : h.readyState) : 'closed',
      },
      bytesToHost: this.bytesToHost,
      bytesToGuest: this.bytesToGuest,
      since: this.since,
    };
  }

  /**
   * End both legs with FIN (the gateway is closing). The pipes stop first, so nothing is written
   * after our FIN; what either peer still sends is read and discarded until its own FIN.
   */
  end(): void {
    const g = this.guest;
    const h = this.host;
    if (g && h) {
      h.unpipe(g);
      g.unpipe(h);
      h.resume();
      g.resume();
    }
    if (this.guest && !this.guest.destroyed) this.guest.end();
    if (this.host && !this.host.destroyed) {
      if (this.host.connecting) this.host.destroy();
      else this.host.end();
    }
  }

  /** Reset both legs (a close that timed out). */
  reset(): void {
    if (this.guest && !this.guest.destroyed) this.guest.resetAndDestroy();
    if (this.host && !this.host.destroyed) this.host.resetAndDestroy();
  }

  private bridge(guest: Socket): void {
    const host = this.host!;
    this.guest = guest;
    this.counters.relayed++;
    guest.on('data', (d: Uint8Array) => {
      this.bytesToHost += d.length;
      this.counters.bytesToHost += d.length;
    });
    host.on('data', (d: Uint8Array) => {
      this.bytesToGuest += d.length;
      this.counters.bytesToGuest += d.length;
    });
    guest.on('error', () => {
      this.counters.resetsToHost++;
      if (!host.destroyed) host.resetAndDestroy();
    });
    guest.once('close', () => {
      this.guestClosed = true;
      this.maybeDone();
    });
    if (host.destroyed) {
      // the host leg died between its connect and the guest's handshake
      this.counters.resetsToGuest++;
      guest.resetAndDestroy();
      return;
    }
    // pipe() carries the data with backpressure and each side's FIN as the other's end()
    guest.pipe(host);
    host.pipe(guest);
  }

  private fail(verdict: 'refuse' | 'drop', reason: string): void {
    const acted = verdict === 'refuse' ? this.req.refuse() : this.req.drop();
    if (acted) countReason(verdict === 'refuse' ? this.counters.refused : this.counters.dropped, reason);
    this.guestClosed = true;
    if (this.host === null) this.hostClosed = true;
    this.maybeDone();
  }

  private maybeDone(): void {
    if (this.guestClosed && this.hostClosed) this.done(this);
  }
}
