/**
 * Stack: one host's TCP/IP stack. It owns every TCB: demultiplexes incoming packets by 4-tuple,
 * runs listeners and their queues, chooses ports and initial sequence numbers, drives the TCBs'
 * timers from one clock, and emits every outgoing packet as a 'packet' event.
 *
 *   stack.input(packet)                 one raw IPv4/IPv6 packet in, from anywhere
 *   stack.on('packet', (p, gso) => ...) each packet out; the bytes are valid during the call only
 *                                       (gso: segment size of a super-segment, 0 otherwise)
 *   stack.setOffload({ ... })           what the link does for the stack (link/offload.ts)
 *   stack.net                           node:net's API over this stack (see api/)
 *   stack.dgram                         node:dgram's API: UDP over this stack (udp/, api/dgram.ts)
 */
import { HEARS_DROP, HEARS_SEGMENT, HEARS_TRANSITION, HeardEvents } from './heard-events.js';
import { ACCEPT_OVERFLOW, publishDrop, publishSegment, publishTransition } from './publish.js';
import { dropChannel, segmentChannel, transitionChannel } from '../observe/events.js';
import { ResetLimiter, resetForClosed } from '../tcp/closed.js';
import { TcpNetns } from '../tcp/ack-throttle.js';
import type { HashKey } from '../tcp/halfsiphash.js';
import type { TcpState } from '../tcp/state.js';
import { SYSCTL_DEFAULTS, applySysctl, type Sysctl } from '../tcp/sysctl.js';
import type { TcbCause, TcbHooks } from '../tcp/tcb.js';
import type { Clock } from '../time/clock.js';
import { RealClock } from '../time/real-clock.js';
import { decodeTcpPacketInto, newPacketAddrs } from '../wire/packet.js';
import { newSegmentRecord } from '../wire/tcp.js';
import { ACK, RST, SYN, type Segment } from '../wire/segment.js';
import { ConnTable, type Conn, type ConnUser } from './conn.js';
import { ConnFactory } from './conn-factory.js';
import { ConnTimers } from './conn-timers.js';
import { makeHooks } from './hooks.js';
import { Dispatcher } from './dispatch.js';
import { InputBatch } from './input-batch.js';
import { WireOut } from './wire-out.js';
import { PeerCache, ipV6, isLoopback, isLoopbackV6, localAddressIn, ownAddressIn, type IpAddr } from './ip-addr.js';
import { Liveness } from './liveness.js';
import { type Listener, ListenerTable, leaveListener, portHeld } from './listener.js';
import { closeListener, newListener, scheduleAccept } from './listening.js';
import { socketTable, stateCounts, type SocketInfo, type TableView } from './socket-table.js';
import { onCookieAck, onSyn } from './passive-open.js';
import { ephemeralOffset } from './ports.js';
import { newCounters, type StackCounters } from './counters.js';
import { stackKeys } from './secrets.js';
import { stackAddresses, stackMtu, type StackOptions } from './options.js';
import type { CookieKeys } from './syncookies.js';
import { TimeWaitTable } from './time-wait.js';
import { ForeignTimeWaitAddresses } from './time-wait-foreign.js';
import { retireTimeWait, settleTimeWait, timeWaitInput, timeWaitLocal } from './time-wait-process.js';
import { openActive, takeTimeWaitTuple } from './active-open.js';
import { admit } from './admission.js';
import { ForeignAddresses, TcpForwarder, type TcpForwardHandler, type TcpForwardOptions } from './forwarder.js';
import { UdpForwarder, type UdpForwardHandler } from './forwarder-udp.js';
import type { NetApi } from '../api/net.js';
import { netApiFor } from './net-provider.js';
import { IpLayer, forIpLayer, type TcpIcmpError } from '../ip/ip-layer.js';
import { UdpLayer } from '../udp/udp-layer.js';
import { dgramApiFor, type DgramApi } from '../udp/dgram-provider.js';
import { applyIcmpError } from '../ip/icmp-tcp.js';
import type { LinkOffload } from '../link/offload.js';
import { connect as webConnect, TCPServerSocket, type SocketAddress, type SocketOptions as WebSocketOptions, type StreamSocket, type TCPServerSocketOptions } from '../web/index.js';

export type { StackOptions };
export type { SocketInfo, StackCounters };

export class Stack extends HeardEvents {
  readonly clock: Clock;
  readonly addresses: IpAddr[];
  readonly name: string;
  readonly mtu: number;
  private netApi: NetApi | null = null;
  private dgramApi: DgramApi | null = null;
  /** ICMP echo and errors, and every protocol that is not TCP (ip/) */
  readonly ip: IpLayer;
  /** UDP: the table of bound sockets (udp/) */
  readonly udp: UdpLayer;
  readonly counters: StackCounters = newCounters();
  private sc: Sysctl;
  private readonly conns = new ConnTable();
  private readonly listeners_ = new ListenerTable();
  /** every connection's timers, from one clock timer (conn-timers.ts) */
  private readonly timers = new ConnTimers(this);
  private readonly portKey: HashKey;
  /** @internal new connections: ISN, timestamp offset, MSS, TCB (conn-factory.ts) */
  readonly newConn: ConnFactory;
  /** @internal secrets of the SYN cookies */
  readonly cookieKeys: CookieKeys;
  /** compact records of connections in TIME_WAIT */
  readonly timeWait = new TimeWaitTable();
  /** @internal the foreign local addresses of TIME_WAIT records (forwarded connections) */
  readonly twForeign = new ForeignTimeWaitAddresses();
  /** connections that entered TIME_WAIT during the call in progress, to be moved to the table */
  private readonly twPending: Conn[] = [];
  private portCounter = 0;
  /** the wire buffer and the link's offloads (wire-out.ts) */
  private readonly out: WireOut;
  /** the input batch in progress, if any (input-batch.ts) */
  private readonly batch = new InputBatch();
  private readonly hooks: TcbHooks;
  private readonly ownClock: RealClock | null;
  /** IPv4 peers seen lately: one IpAddr per peer, not per connection (a server's clients connect often) */
  private readonly peers = new PeerCache();
  /** RSTs for segments to connections that do not exist (tcp_rst_msgs_per_sec) */
  private readonly rstLimit = new ResetLimiter();
  /** what this stack's TCBs share: TcpExt counters (counters.tcp) and the challenge ACK budget */
  private readonly netns: TcpNetns;
  /** notifications and calls made from inside a TCB call, delivered once it returns (dispatch.ts) */
  private readonly dispatch: Dispatcher;
  /** @internal Node-style handles that keep the process alive (stack/liveness.ts) */
  readonly liveness: Liveness;
  /** @internal the forwarders while on (TCP and UDP to any address, forwarder*.ts); connections from foreign addresses */
  readonly fwd: { tcp: TcpForwarder | null; udp: UdpForwarder | null; foreign: number } = { tcp: null, udp: null, foreign: 0 };
  /** addresses of foreign destinations: forwarded connections' and those a forwarder may take */
  private readonly foreign = new ForeignAddresses();

  constructor(opts: StackOptions) {
    super();
    this.addresses = stackAddresses(opts);
    this.name = opts.name ?? this.addresses[0]!.text;
    this.mtu = stackMtu(opts);
    this.sc = applySysctl(SYSCTL_DEFAULTS, opts.sysctl);
    this.out = new WireOut(this.mtu, opts.offload);
    this.ownClock = opts.clock ? null : new RealClock({ unref: true });
    this.clock = opts.clock ?? this.ownClock!;
    this.liveness = new Liveness(this.clock);
    const keys = stackKeys(opts.seed);
    ({ port: this.portKey, cookies: this.cookieKeys } = keys);
    this.netns = new TcpNetns(this.counters.tcp, keys.salt);
    this.hooks = makeHooks(this, this.twPending);
    this.newConn = new ConnFactory(keys.isn, keys.ts, this.mtu, this.hooks, this.counters.loss, this.netns);
    this.dispatch = new Dispatcher({
      settlePending: () => this.twPending.length > 0 && (settleTimeWait(this, this.twPending), true),
      touch: (c) => this.touch(c),
      afterFlush: () => this.armClock(),
      defer: (fn) => this.clock.defer(fn),
    });
    this.udp = new UdpLayer(this, this.portKey);
    this.ip = new IpLayer(this);
  }

  /** node:dgram's API over this stack: UDP sockets (udp/dgram-provider.ts) */
  get dgram(): DgramApi {
    return (this.dgramApi ??= dgramApiFor(this));
  }

  /** node:net's API over this stack (loaded with the package's main entry; see net-provider.ts) */
  get net(): NetApi {
    return (this.netApi ??= netApiFor(this));
  }

  get sysctl(): Readonly<Sysctl> {
    return this.sc;
  }

  /** Change tunables at run time; validated like at creation (unknown names and bad values throw). */
  setSysctl(changes: Record<string, unknown>): void {
    this.sc = applySysctl(this.sc, changes);
  }

  /** What the link does for this stack (link/offload.ts); all off unless declared. */
  get offload(): LinkOffload {
    return this.out.offload;
  }

  /**
   * Declare what the link does for this stack (link/offload.ts), replacing the declaration: fields
   * left out are off. Links that know their offloads call it when they attach (`pairStacks`).
   * Throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE on a wrong declaration.
   */
  setOffload(offload: Partial<LinkOffload>): void {
    this.out.declare(offload);
    for (const c of this.conns.all()) c.tcb.gsoMax = this.out.gsoPayload(c.local);
  }

  // ===================== packets in =====================

  /** Take one raw IPv4 or IPv6 packet. Malformed or foreign packets are counted and dropped, never thrown. */
  input(packet: Uint8Array): void {
    this.take(packet, false);
  }

  /**
   * Take several raw packets that arrived together (a link's read batch): as `input()` for each,
   * but the application hears of them once, after the last, and each connection sends one ACK for
   * the in-order data of the whole batch (input-batch.ts). The packets are read during the call
   * only, unless `owned` (all of them, or packet i when `owned[i]`): the link hands them over and
   * never reuses their bytes, so large payloads are kept as views instead of copies (as an skb is
   * handed up).
   */
  inputBatch(packets: readonly Uint8Array[], owned: boolean | readonly boolean[] = false): void {
    if (this.dispatch.busy) {
      for (const p of packets) this.take(p, false);
      return;
    }
    const each = typeof owned === 'boolean' ? null : owned;
    this.batch.begin(each === null && (owned as boolean), this.clock.now());
    try {
      for (let i = 0; i < packets.length; i++) {
        if (each !== null) this.batch.owned = each[i] === true;
        this.takeOne(packets[i]!, false);
      }
    } finally {
      this.batch.close();
      // the application hears first: its reads may open the window the ACKs then carry
      this.flush();
      this.batch.end(this.clock.now(), (c, err) => {
        if (err !== null) this.internalError(err);
        this.touch(c);
      });
      this.flush();
    }
  }

  private take(packet: Uint8Array, loopback: boolean): void {
    if (this.dispatch.busy) {
      // called back from one of our own 'packet' listeners mid-segment: take it after that segment
      const copy = packet.slice();
      this.dispatch.whenIdle(() => this.take(copy, loopback));
      return;
    }
    this.takeOne(packet, loopback);
    this.flush();
  }

  private takeOne(packet: Uint8Array, loopback: boolean): void {
    this.counters.packetsIn++;
    try {
      this.demux(packet, loopback);
    } catch (err) {
      // a bug, not bad input: never let it escape into the caller's I/O loop
      this.internalError(err);
    }
  }

  private internalError(err: unknown): void {
    this.drop('internal_error');
    this.emit('internalError', err);
  }

  /** @internal one packet rebuilt by IP reassembly (ip/): demultiplexed like one from the wire */
  receive(packet: Uint8Array): void {
    this.demux(packet, false);
  }

  /** the addresses of the packet demux is taking apart (decodeTcpPacketInto fills it) */
  private readonly addrs = newPacketAddrs();
  /** the segment demux is taking apart, in one record: read while delivered only (what outlives that is a copy) */
  private readonly segIn = newSegmentRecord();

  /** TCP here, the rest to ip/. `loopback`: the packet came over our own loopback path. */
  private demux(packet: Uint8Array, loopback: boolean): void {
    // checksums are neither computed nor verified on the loopback path, as on Linux's lo
    const a = this.addrs;
    const seg = decodeTcpPacketInto(packet, !(loopback || this.out.offload.rxChecksumVerified), a, this.segIn);
    if (typeof seg === 'string') return forIpLayer(seg) ? this.ip.input(packet) : this.drop(seg);
    // read out at once: the record is the stack's, and a nested demux (reassembly) refills it
    const version = a.version;
    const src4 = a.src4;
    const src6 = a.src6;
    const dst4 = a.dst4;
    const dst6 = a.dst6;
    const own = this.localAddressFor(version, dst4, dst6, loopback);
    const local = own ?? (this.fwd.tcp !== null || this.fwd.foreign > 0 || this.twForeign.size > 0 ? this.foreign.get(version, dst4, dst6) : null);
    if (!local) return this.drop('not_for_us');
    if (!loopback && (isLoopback(local) || (version === 4 ? src4 >>> 24 === 127 : isLoopbackV6(src6!)))) {
      // RFC 1122 §3.2.1.3: loopback addresses never appear outside a host (Linux: martian)
      return this.drop('martian_loopback');
    }
    this.counters.segmentsIn++;
    // the packets of one batch arrived together: one reading of the clock serves them all
    const now = this.batch.active ? this.batch.now : this.clock.now();
    if (segmentChannel.hasSubscribers || this.hears(HEARS_SEGMENT)) this.observed(() => publishSegment(this, now, 'in', local, (version === 4 ? this.peers.get(src4) : ipV6(src6!)).text, seg));
    if (seg.srcPort === 0 || seg.dstPort === 0) return this.drop('tcp_port_zero');
    const conn = this.conns.find(local, seg.dstPort, src4, src6, seg.srcPort);
    // a forwarded connection's TCB in TIME_WAIT may give way to a new SYN (forwarder.ts reopens)
    if (conn && !(own === null && this.fwd.tcp?.reopens(conn, seg, now))) return this.deliver(conn, seg, now);
    if (own === null && !this.fwd.tcp) return this.drop('not_for_us');
    const remote = version === 4 ? this.peers.get(src4) : ipV6(src6!);
    const verdict = timeWaitInput(this, this.listeners_, own !== null, local, remote, seg, src4, src6, now);
    if (verdict.done) return;
    this.noConnection(local, remote, seg, now, verdict.issHint, own === null);
  }

  private deliver(conn: Conn, seg: Segment, now: number): void {
    const verdict = admit(conn, seg, this.sc, this.counters, this);
    if (verdict === 'abort') conn.tcb.abort(now, ACCEPT_OVERFLOW);
    else if (verdict === 'deliver') {
      if (this.batch.active) this.batch.enlist(conn);
      conn.tcb.inputOwned = this.batch.owned;
      conn.tcb.segmentArrives(seg, now);
      conn.tcb.inputOwned = false;
    }
    this.touch(conn);
  }

  /** No connection matches: a listener may take a SYN or a cookie's ACK; anything else is answered per §3.10.7.1. */
  private noConnection(local: IpAddr, remote: IpAddr, seg: Segment, now: number, issHint?: number, foreign = false): void {
    const listener = foreign ? null : this.listeners_.find(local, seg.dstPort);
    if (listener) {
      const f = seg.flags & (SYN | ACK | RST);
      if (f === SYN) return onSyn(this, listener, local, remote, seg, now, issHint);
      if (f & RST) return; // LISTEN: an incoming RST is ignored
      if (f === ACK && onCookieAck(this, listener, local, remote, seg, now)) return;
    }
    if (this.fwd.tcp && (seg.flags & (SYN | ACK | RST)) === SYN && this.fwd.tcp.onSyn(local, remote, seg, now)) return;
    const rst = resetForClosed(seg);
    if (!rst) return;
    if (this.rstLimit.allow(now, this.sc.tcp_rst_msgs_per_sec, this.sc.tcp_rst_msgs_burst)) this.sendRaw(local, remote, rst);
    else this.counters.resetsRateLimited++;
  }

  /** @internal the accept queue's bound: min(backlog, somaxconn) */
  acceptLimit(l: Listener): number {
    return Math.min(l.backlog, this.sc.somaxconn);
  }

  private localAddressFor(version: number, v4: number, v6: Uint8Array | null, loopback = true): IpAddr | null {
    return localAddressIn(this.addresses, version, v4, v6, loopback);
  }

  /** @internal this host's own address equal to `ip` (any of 127.0.0.0/8 is added on first use), or null */
  ownAddress(ip: IpAddr): IpAddr | null {
    return ownAddressIn(this.addresses, ip);
  }

  /** @internal count a dropped packet by reason */
  drop(reason: string): void {
    const d = this.counters.drops;
    d[reason] = (d[reason] ?? 0) + 1;
    if (dropChannel.hasSubscribers || this.hears(HEARS_DROP)) this.observed(() => publishDrop(this, this.clock.now(), reason));
  }

  /**
   * An ICMP error quoting one of our segments (decoded by ip/): PMTU, or an abort while opening.
   * ip/icmp-tcp.ts checks the quoted sequence number first (RFC 5927 §4.1).
   */
  icmpError(err: TcpIcmpError): void {
    const conn = this.conns.find(err.local, err.localPort, err.remote.v4, err.remote.v6, err.remotePort);
    if (!conn) {
      this.drop('icmp_no_connection');
      return;
    }
    const outcome = applyIcmpError(conn.tcb, err, this.clock.now());
    if (outcome === 'out_of_window') this.drop('icmp_out_of_window');
    this.touch(conn);
  }

  // ===================== packets out =====================

  /** Send a whole IP packet built outside TCP (ICMP replies and errors). */
  sendPacket(pkt: Uint8Array): void {
    this.counters.packetsOut++;
    this.emitOut(pkt);
  }

  /**
   * Hand a packet to the 'packet' listeners; whatever they call on this stack waits for the call in
   * progress. `gsoSize`: for a super-segment (link/offload.ts `gsoMaxBytes`), the payload bytes of
   * each segment the link cuts it into; 0 for a packet within the MTU.
   */
  private emitOut(pkt: Uint8Array, gsoSize = 0): void {
    this.dispatch.enter();
    try {
      this.emitPacket(pkt, gsoSize);
    } finally {
      this.dispatch.leave();
    }
  }

  /**
   * @internal Run `fn` now, or once the TCB call in progress has returned when called from user
   * code inside it (a 'packet' or 'transition' listener): no TCB is ever re-entered mid-segment.
   */
  whenIdle(fn: () => void): boolean {
    return this.dispatch.whenIdle(fn);
  }

  /**
   * @internal Whether a TCB call is in progress (user code running inside one): only then does
   * `whenIdle` defer, so a caller that checks this first makes no closure in the common case
   */
  get busy(): boolean {
    return this.dispatch.busy;
  }

  /** @internal encode and emit one segment; `gsoSize`: the segment size of a super-segment, else 0 */
  sendRaw(local: IpAddr, remote: IpAddr, seg: Segment, gsoSize = 0): void {
    if (seg.flags & RST) this.counters.resetsSent++;
    // a super-segment counts as the wire segments it stands for, as Linux's OutSegs adds
    // tcp_skb_pcount() (net/ipv4/tcp_output.c, __tcp_transmit_skb)
    this.counters.segmentsOut += gsoSize > 0 && seg.payload.length > gsoSize ? Math.ceil(seg.payload.length / gsoSize) : 1;
    if (segmentChannel.hasSubscribers || this.hears(HEARS_SEGMENT)) this.observed(() => publishSegment(this, this.clock.now(), 'out', local, remote.text, seg));
    const loopback = this.localAddressFor(remote.version, remote.v4, remote.v6) !== null;
    const pkt = this.out.encode(local, remote, seg, loopback);
    this.counters.packetsOut++;
    if (loopback) {
      // addressed to this host: loop it back, asynchronously like any link
      const copy = pkt.slice();
      this.clock.defer(() => this.take(copy, true));
      return;
    }
    this.emitOut(pkt, gsoSize);
  }

  // ===================== connections =====================

  /** @internal a new connection with its TCB (conn-factory.ts), in the demux table; `iss` overrides RFC 6528's choice */
  createConn(local: IpAddr, localPort: number, remote: IpAddr, remotePort: number, now: number, iss?: number): Conn {
    const conn = this.newConn.make(this.sc, local, localPort, remote, remotePort, now, iss);
    conn.tcb.gsoMax = this.out.gsoPayload(local);
    this.conns.insert(conn);
    return conn;
  }

  /** Active open for the socket layer (active-open.ts). Errors are Node-style (EADDRNOTAVAIL, EADDRINUSE, ...). */
  openConnection(remote: IpAddr, remotePort: number, localAddress?: string, localPort?: number): Conn {
    if (remote.version === 4) remote = this.peers.get(remote.v4); // one IpAddr per peer, as passive opens
    return openActive(this, remote, remotePort, this.ephemeralOffset, localAddress, localPort);
  }

  /** where an active open's walk of the ephemeral ports starts (ports.ts ephemeralOffset), made once */
  private readonly ephemeralOffset = (dest: number[]): number =>
    ephemeralOffset(this.portKey, dest, this.sc.ip_local_port_range, this.portCounter++);

  /** @internal the ISN a reused TIME_WAIT 4-tuple hands to the connect in progress */
  reuseIss: number | undefined;

  /** @internal whether `port` may carry this 4-tuple (taking over a TIME_WAIT one if allowed) */
  portFreeFor(local: IpAddr, port: number, remote: IpAddr, remotePort: number): boolean {
    if (this.listeners_.has(port)) return false;
    if (this.conns.find(local, port, remote.v4, remote.v6, remotePort)) return false;
    return takeTimeWaitTuple(this, local, port, remote, remotePort);
  }

  /** WinterTC Sockets connect() to "host:port" or { hostname, port }: a socket of web streams (web/). */
  connect(address: string | SocketAddress, options?: WebSocketOptions): StreamSocket {
    return webConnect(this, address, options);
  }

  /** A Direct Sockets-style TCPServerSocket (web/); the four-argument form opens a bare listener. */
  listen(localAddress: string, options?: TCPServerSocketOptions): TCPServerSocket;
  /**
   * Open a listener (listening.ts): EADDRINUSE / EADDRNOTAVAIL like bind(2), port 0 a free port;
   * `null` is Node's default, 0.0.0.0 IPv4 only, :: dual-stack unless `ipv6Only`. `reuseAddr` is
   * SO_REUSEADDR, on by default as libuv sets it: off, a port any connection or TIME_WAIT record
   * still holds is refused too.
   */
  listen(host: string | null, port: number, backlog: number, accept: (conn: Conn) => void, ipv6Only?: boolean, reuseAddr?: boolean): Listener;
  listen(
    host: string | null,
    portOrOptions?: number | TCPServerSocketOptions,
    backlog = 511,
    accept = (_: Conn): void => {},
    ipv6Only = false,
    reuseAddr = true,
  ): Listener | TCPServerSocket {
    if (typeof portOrOptions !== 'number') return new TCPServerSocket(this, host ?? '0.0.0.0', portOrOptions);
    const held = reuseAddr ? undefined : (addr: IpAddr | null, port: number): boolean => portHeld(addr, port, this.conns.all(), this.timeWait, (slot) => timeWaitLocal(this, slot));
    const l = newListener(this, this.listeners_, host, portOrOptions, backlog, accept, ipv6Only, this.portCounter++, held);
    this.listeners_.add(l);
    this.setListenerRef(l, true);
    return l;
  }

  /** @internal a listening server keeps the process alive unless unref()'d, as Node's does */
  setListenerRef(l: Listener, refd: boolean): void {
    const holds = refd && !l.closed;
    if (holds === l.held) return;
    l.held = holds;
    this.liveness.add(holds ? 1 : -1);
  }

  /** @internal close a listener: connections it has not handed to the application are reset (listening.ts) */
  unlisten(l: Listener): void {
    this.setListenerRef(l, false);
    this.listeners_.remove(l);
    closeListener(this, l, this.conns.all());
  }

  /** @internal Forget a connection entirely (it reached CLOSED or LISTEN-and-dropped). */
  forget(conn: Conn): void {
    if (conn.gone) return;
    conn.gone = true;
    this.liveness.update(conn);
    this.fwd.tcp?.release(conn);
    if (this.fwd.foreign > 0 && !this.addresses.includes(conn.local)) this.fwd.foreign--;
    this.conns.remove(conn);
    this.timers.remove(conn);
    leaveListener(conn);
  }

  /** Take TCP connections to any address and port (forwarder.ts): every SYN nothing else takes goes to `handler`; one forwarder at a time. */
  forwardTcp(handler: TcpForwardHandler, options?: TcpForwardOptions): TcpForwarder {
    return (this.fwd.tcp = new TcpForwarder(this, handler, options));
  }

  /** Hand every UDP datagram no socket takes, to any address, to `handler` (forwarder-udp.ts); one forwarder at a time. */
  forwardUdp(handler: UdpForwardHandler): UdpForwarder {
    return (this.fwd.udp = new UdpForwarder(this, handler));
  }

  // ===================== timers =====================

  /** After any call into a TCB: file it under its next deadline (conn-timers.ts). */
  touch(conn: Conn): void {
    this.timers.touch(conn);
  }

  /** After a user call into a TCB (from the socket layer): refile its timers, deliver notifications. */
  settle(conn: Conn): void {
    this.touch(conn);
    this.flush();
  }

  /** Keep one clock timer armed for the earliest deadline of all connections. */
  armClock(): void {
    this.timers.arm();
  }

  /** @internal queue a notification for the connection's user (kept until it has one) */
  queueNotify(c: Conn, bit: number): void {
    this.dispatch.notify(c, bit);
  }

  /** Deliver queued notifications and deferred calls (dispatch.ts), then re-arm the clock. */
  flush(): void {
    this.dispatch.flush();
  }

  /** @internal give a connection its user; what it heard before follows asynchronously */
  attachUser(c: Conn, user: ConnUser): void {
    this.dispatch.attach(c, user);
  }

  /** @internal publish a transition (diagnostics_channel and the 'transition' event) if anyone listens */
  emitTransition(t: number, local: string, localPort: number, remote: string, remotePort: number, from: TcpState, to: TcpState, cause: TcbCause | null): void {
    if (transitionChannel.hasSubscribers || this.hears(HEARS_TRANSITION)) this.observed(() => publishTransition(this, t, local, localPort, remote, remotePort, from, to, cause));
  }

  /** Tell observers (only called once someone listens); whatever they call on this stack waits for the call in progress. */
  private observed(publish: () => void): void {
    this.dispatch.enter();
    try {
      publish();
    } finally {
      this.dispatch.leave();
    }
  }

  /** @internal end a TIME_WAIT record now (2MSL passed, or the 4-tuple was taken over) */
  endTimeWait(slot: number, cause: TcbCause): void {
    retireTimeWait(this, slot, this.clock.now(), cause);
    this.timeWait.remove(slot);
  }

  /**
   * Stop or resume handing established connections to the application. While paused they wait in
   * the accept queue (min(backlog, somaxconn)); once it is full, final ACKs are dropped (or, with
   * tcp_abort_on_overflow, reset) — what a server too busy to call accept() sees.
   */
  setAccepting(l: Listener, accepting: boolean): void {
    l.paused = !accepting;
    if (accepting && l.acceptQueue.length > 0) scheduleAccept(this, l);
  }

  // ===================== observation =====================

  /** Every connection, TIME_WAIT record and listener, as `ss -tano` lists them. */
  sockets(): SocketInfo[] {
    return socketTable(this.tableView());
  }

  /** `{ ESTABLISHED: 352, TIME_WAIT: 2520, ... }`: the classic netstat one-liner as data. */
  stateCounts(): Partial<Record<TcpState, number>> {
    return stateCounts(this.tableView());
  }

  private tableView(): TableView {
    return {
      now: this.clock.now(),
      addresses: this.addresses,
      listeners: this.listeners_.all(),
      conns: this.conns.all(),
      timeWait: this.timeWait,
      timeWaitLocal: (slot) => timeWaitLocal(this, slot),
      acceptLimit: (l) => this.acceptLimit(l),
    };
  }

  /** Number of connections the stack holds (any state but LISTEN). */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Stop the stack's own clock (when it made one). Connections are not closed. */
  destroy(): void {
    this.timers.stop();
    this.ownClock?.close();
  }
}

