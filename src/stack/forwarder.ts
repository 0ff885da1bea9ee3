/**
 * TCP forwarding: a stack that takes connections to ANY address and port arriving on its link, the
 * role of gVisor's tcp.Forwarder and lwIP's tun2socks, and of Linux's TPROXY target with an
 * IP_TRANSPARENT listener (Documentation/networking/tproxy.rst: a transparent socket accepts a
 * connection whose destination is not a local address, and its replies carry that address as
 * their source). Here nothing needs a listener: every SYN that no connection, TIME_WAIT record or
 * listener takes becomes a request handed to the application BEFORE any SYN-ACK goes out, so the
 * application can do what the real destination did:
 *
 *   accept()  the SYN-ACK goes out (the connection is a passive open, RFC 9293 §3.10.7.2); the
 *             promise gives a Socket once the handshake completes, as an accepted server socket
 *   refuse()  <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> (§3.10.7.1): the guest sees ECONNREFUSED
 *   drop()    nothing: the guest's SYN retransmissions go unanswered until it times out
 *
 * While a request is undecided its SYN's retransmissions are dropped (one request per 4-tuple); a
 * request nobody decides within `pendingTimeout` is dropped. Limits bound the undecided requests
 * and the forwarded connections, in all and per guest address; a SYN over a limit is dropped and
 * counted under its reason in `stack.counters.drops` (as Linux counts listen drops). A forwarded
 * connection counts against the limits until it reaches TIME_WAIT or CLOSED.
 */
import type { Socket } from '../api/socket.js';
import { makeError, sysError } from '../errors.js';
import { resetForClosed } from '../tcp/closed.js';
import type { TcbErrorCode } from '../tcp/tcb.js';
import type { TimerHandle } from '../time/clock.js';
import { ACK, RST, SYN, type Segment } from '../wire/segment.js';
import { seqGt, seqLt } from '../tcp/seq.js';
import type { Conn, ConnUser } from './conn.js';
import type { IpAddr } from './ip-addr.js';
import type { Stack } from './stack.js';

export { ForeignAddresses } from './forwarder-addr.js';

/** Bounds of `stack.forwardTcp()`; every one a positive integer. */
export interface TcpForwardOptions {
  /** undecided requests at once, all guests together (default 1024) */
  maxPending?: number;
  /** undecided requests at once from one guest address (default 256) */
  maxPendingPerGuest?: number;
  /** forwarded connections (and undecided requests) at once, all guests together (default 65536) */
  maxConnections?: number;
  /** forwarded connections (and undecided requests) at once from one guest address (default 4096) */
  maxConnectionsPerGuest?: number;
  /**
   * ms a request may stay undecided before it is dropped (default 75,000: about Linux's connect()
   * giving up with tcp_syn_retries = 6 is 127 s; a guest retrying its SYN after that asks again)
   */
  pendingTimeout?: number;
}

/** Options of `request.accept()`: those of the server socket it becomes, as `net.createServer()` takes them. */
export interface TcpForwardAcceptOptions {
  /** keep the guest's half-close open (Node's default false: answer its FIN with ours) */
  allowHalfOpen?: boolean;
  /** the socket's highWaterMark (both directions) */
  highWaterMark?: number;
  /** TCP_NODELAY on the accepted socket */
  noDelay?: boolean;
}

/** What a forwarder did with SYNs, since it was installed. */
export interface TcpForwardCounters {
  /** requests handed to the handler */
  requests: number;
  accepted: number;
  refused: number;
  dropped: number;
  /** requests nobody decided within pendingTimeout */
  expired: number;
  /** SYNs dropped by a limit, or as a retransmission of an undecided request (also in stack.counters.drops) */
  limited: number;
  /** accepted requests whose handshake never completed (the guest reset or vanished) */
  handshakesFailed: number;
}

/** Where a request stands: undecided, or what the application (or the timeout) made of it. */
export type TcpForwardRequestState = 'pending' | 'accepted' | 'refused' | 'dropped' | 'expired';

/** The handler of `stack.forwardTcp()`: called once per new connection attempt, before any answer. */
export type TcpForwardHandler = (request: TcpForwardRequest) => void;

const DEFAULTS: Required<TcpForwardOptions> = {
  maxPending: 1024,
  maxPendingPerGuest: 256,
  maxConnections: 65536,
  maxConnectionsPerGuest: 4096,
  pendingTimeout: 75_000,
};

interface GuestShare {
  pending: number;
  conns: number;
}

/**
 * One guest's attempt to open a connection to `localAddress`:`localPort` (its original
 * destination, which need not be this stack's address). Decide once: accept, refuse or drop.
 */
export class TcpForwardRequest {
  /** the original destination: the address the guest connects to */
  readonly localAddress: string;
  /** the original destination port */
  readonly localPort: number;
  /** the guest's address */
  readonly remoteAddress: string;
  /** the guest's port */
  readonly remotePort: number;
  /** 'IPv4' or 'IPv6', as net.Socket's remoteFamily */
  readonly family: 'IPv4' | 'IPv6';
  private state_: TcpForwardRequestState = 'pending';
  private readonly abort = new AbortController();
  private timer: TimerHandle | null = null;

  /** @internal made by the forwarder for one SYN (a copy of it) */
  constructor(
    private readonly fwd: TcpForwarder,
    /** @internal */ readonly local: IpAddr,
    /** @internal */ readonly remote: IpAddr,
    /** @internal */ readonly syn: Segment,
    /** @internal */ readonly key: string,
  ) {
    this.localAddress = local.text;
    this.localPort = syn.dstPort;
    this.remoteAddress = remote.text;
    this.remotePort = syn.srcPort;
    this.family = local.version === 4 ? 'IPv4' : 'IPv6';
  }

  /** Where the request stands. */
  get state(): TcpForwardRequestState {
    return this.state_;
  }

  /** Aborted when the request expires undecided or the forwarder closes: stop what was started for it (a host connect). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /**
   * Answer with a SYN-ACK (from the original destination). The promise gives the connection as an
   * accepted server socket once the handshake completes; it rejects with ECONNRESET or ETIMEDOUT
   * when the guest resets or never completes it, and with ERR_INVALID_STATE when the request was
   * already decided.
   */
  accept(options: TcpForwardAcceptOptions = {}): Promise<Socket> {
    if (this.state_ !== 'pending') return Promise.reject(this.decided('accept'));
    this.settle('accepted');
    return new Promise((resolve, reject) => this.fwd.open(this, options, resolve, reject));
  }

  /** Answer with a RST, as a closed port does (the guest sees ECONNREFUSED). False when already decided. */
  refuse(): boolean {
    if (this.state_ !== 'pending') return false;
    this.settle('refused');
    this.fwd.reset(this);
    return true;
  }

  /** Answer nothing, as an unreachable destination (the guest's connect times out). False when already decided. */
  drop(): boolean {
    if (this.state_ !== 'pending') return false;
    this.settle('dropped');
    return true;
  }

  /** @internal arm the timeout */
  arm(at: number, expire: () => void): void {
    this.timer = this.fwd.stack.clock.schedule(at, expire);
  }

  /** @internal decided (or expired): leave the pending table, stop the timer */
  settle(state: TcpForwardRequestState): void {
    this.state_ = state;
    if (this.timer !== null) this.fwd.stack.clock.cancel(this.timer);
    this.timer = null;
    this.fwd.settled(this, state);
    if (state === 'expired') this.abort.abort(makeError('ETIMEDOUT', `forwarded connection to ${this.localAddress}:${this.localPort} undecided for too long`));
  }

  /** @internal the forwarder closed while this was undecided */
  cancel(): void {
    if (this.state_ !== 'pending') return;
    this.settle('dropped');
    this.abort.abort(makeError('ERR_FORWARDER_CLOSED', 'the TCP forwarder was closed'));
  }

  private decided(call: string): Error {
    return makeError('ERR_INVALID_STATE', `${call}(): the forwarded connection was already ${this.state_}`);
  }
}

/** The connection's user while its handshake completes; it hands the connection to a Socket then. */
class Handshake implements ConnUser {
  private error: TcbErrorCode | null = null;

  constructor(
    private readonly stack: Stack,
    private readonly conn: Conn,
    private readonly options: TcpForwardAcceptOptions,
    private readonly resolve: (s: Socket) => void,
    private readonly reject: (e: Error) => void,
    private readonly failed: () => void,
  ) {}

  onEstablished(): void {
    let socket: Socket;
    try {
      socket = this.socket();
    } catch (err) {
      // no stack.net in this bundle (synack/web): the connection cannot be handed over
      this.conn.tcb.abort(this.stack.clock.now());
      this.stack.touch(this.conn);
      this.reject(err as Error);
      return;
    }
    this.resolve(socket);
  }

  private socket(): Socket {
    const o = this.options;
    const socket = new this.stack.net.Socket({
      allowHalfOpen: o.allowHalfOpen ?? false,
      ...(o.highWaterMark !== undefined ? { highWaterMark: o.highWaterMark } : {}),
    });
    if (o.noDelay) socket.setNoDelay(true);
    socket.attach(this.conn);
    socket.read(0); // read at once, as node:net does for an accepted socket
    return socket;
  }

  onReadable(): void {}
  onWritable(): void {}

  onError(code: TcbErrorCode): void {
    this.error = code;
  }

  onClosed(): void {
    this.failed();
    const c = this.conn;
    // a half-open passive connection goes back to LISTEN quietly, on the guest's RST (a segment
    // caused it) or when tcp_synack_retries ran out (a timer did)
    const cause = c.tcb.cause;
    const code = this.error ?? (cause === 'retransmit' || cause === 'usertimeout' ? 'ETIMEDOUT' : 'ECONNRESET');
    this.reject(sysError(code, 'accept', c.remote.text, c.remotePort));
  }
}

/** A stack's TCP forwarder (`stack.forwardTcp()`): its requests, limits and counters. */
export class TcpForwarder {
  /** What this forwarder did with SYNs. */
  readonly counters: TcpForwardCounters = { requests: 0, accepted: 0, refused: 0, dropped: 0, expired: 0, limited: 0, handshakesFailed: 0 };
  private readonly opts: Required<TcpForwardOptions>;
  private readonly pending = new Map<string, TcpForwardRequest>();
  /** forwarded connections not yet in TIME_WAIT or CLOSED, with their guest's key */
  private readonly conns = new Map<Conn, string>();
  private readonly guests = new Map<string, GuestShare>();
  private closed = false;
  /** the handler is running inside the stack's processing of the SYN: the stack flushes after it */
  private inHandler = false;

  /** @internal installed by stack.forwardTcp() */
  constructor(
    /** @internal */ readonly stack: Stack,
    private readonly handler: TcpForwardHandler,
    options: TcpForwardOptions | undefined,
  ) {
    if (stack.fwd.tcp) throw makeError('ERR_INVALID_STATE', 'forwardTcp: TCP forwarding is already on (close() that forwarder first)');
    this.opts = { ...DEFAULTS };
    for (const [k, v] of Object.entries(options ?? {}) as [keyof TcpForwardOptions, unknown][]) {
      if (!(k in DEFAULTS)) throw makeError('ERR_INVALID_ARG_VALUE', `forwardTcp: unknown option "${k}"`);
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
        throw makeError('ERR_OUT_OF_RANGE', `forwardTcp: options.${k} must be a positive integer (got ${String(v)})`);
      }
      this.opts[k] = v;
    }
  }

  /** Undecided requests right now. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Forwarded connections right now (accepted, not yet in TIME_WAIT or CLOSED). */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Stop forwarding: undecided requests are dropped (their signals abort); connections already forwarded go on. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of [...this.pending.values()]) r.cancel();
    if (this.stack.fwd.tcp === this) this.stack.fwd.tcp = null;
  }

  /** @internal a SYN (no ACK, no RST) nothing else took: true when the forwarder took it (a request, or dropped) */
  onSyn(local: IpAddr, remote: IpAddr, seg: Segment, now: number): boolean {
    const key = `${remote.text} ${seg.srcPort} ${local.text} ${seg.dstPort}`;
    if (this.pending.has(key)) return this.limit('forward_syn_pending');
    const o = this.opts;
    const g = this.guests.get(remote.text);
    if (this.pending.size >= o.maxPending) return this.limit('forward_pending_limit');
    if (g && g.pending >= o.maxPendingPerGuest) return this.limit('forward_pending_guest_limit');
    if (this.pending.size + this.conns.size >= o.maxConnections) return this.limit('forward_conn_limit');
    if (g && g.pending + g.conns >= o.maxConnectionsPerGuest) return this.limit('forward_conn_guest_limit');
    // the segment lives in the packet's buffer: keep a copy for the answer that may come later
    const syn: Segment = { ...seg, options: { ...seg.options }, payload: seg.payload.slice() };
    const req = new TcpForwardRequest(this, local, remote, syn, key);
    this.pending.set(key, req);
    this.share(remote.text).pending++;
    this.counters.requests++;
    req.arm(now + o.pendingTimeout, () => {
      if (req.state !== 'pending') return;
      this.counters.expired++;
      this.stack.drop('forward_expired');
      req.settle('expired');
    });
    this.inHandler = true;
    try {
      this.handler(req);
    } catch (err) {
      // the application's bug: drop the SYN and report it as the stack reports its own
      req.drop();
      this.stack.emit('internalError', err);
    } finally {
      this.inHandler = false;
    }
    return true;
  }

  /**
   * @internal A SYN for a forwarded connection whose TCB keeps TIME_WAIT (a foreign address has no
   * TIME_WAIT record): as the stack does for its records (RFC 6191, Linux tcp_timewait_state_process),
   * a SYN whose sequence number or timestamp lies beyond the old connection's ends TIME_WAIT so a
   * new request can be made; true when it did.
   */
  reopens(conn: Conn, seg: Segment, now: number): boolean {
    const t = conn.tcb;
    if (t.state !== 'TIME_WAIT' || (seg.flags & (SYN | ACK | RST)) !== SYN) return false;
    const ts = t.tsOk ? seg.options.tsVal : undefined;
    if (ts !== undefined && seqLt(ts, t.tsRecent)) return false; // PAWS: an old duplicate
    if (!seqGt(seg.seq, t.rcvNxt) && !(ts !== undefined && seqGt(ts, t.tsRecent))) return false;
    this.stack.counters.timeWaitRecycled++;
    t.abort(now, seg);
    this.stack.touch(conn);
    return true;
  }

  /** @internal a request was decided: count it and leave the pending table */
  settled(req: TcpForwardRequest, state: TcpForwardRequestState): void {
    if (this.pending.get(req.key) !== req) return;
    this.pending.delete(req.key);
    this.unshare(req.remote.text, 'pending');
    if (state === 'accepted') this.counters.accepted++;
    else if (state === 'refused') this.counters.refused++;
    else if (state === 'dropped') this.counters.dropped++;
  }

  /** @internal refuse: the RST a closed port sends (RFC 9293 §3.10.7.1), from the original destination */
  reset(req: TcpForwardRequest): void {
    if (this.stack.busy && this.stack.whenIdle(() => this.reset(req))) return;
    const rst = resetForClosed(req.syn)!;
    this.stack.sendRaw(req.local, req.remote, rst);
  }

  /** @internal accept: a passive open from the kept SYN; the SYN-ACK goes out now */
  open(req: TcpForwardRequest, options: TcpForwardAcceptOptions, resolve: (s: Socket) => void, reject: (e: Error) => void): void {
    if (this.stack.busy && this.stack.whenIdle(() => this.open(req, options, resolve, reject))) return;
    const stack = this.stack;
    const now = stack.clock.now();
    const conn = stack.createConn(req.local, req.localPort, req.remote, req.remotePort, now);
    // the stack looks foreign destinations up while such connections live, forwarder or not
    if (!stack.addresses.includes(req.local)) stack.fwd.foreign++;
    this.conns.set(conn, req.remote.text);
    this.share(req.remote.text).conns++;
    stack.counters.passiveOpens++;
    const failed = (): void => {
      this.counters.handshakesFailed++;
    };
    stack.attachUser(conn, new Handshake(stack, conn, options, resolve, reject, failed));
    conn.tcb.openPassive(now);
    conn.tcb.segmentArrives(req.syn, now);
    // decided inside the handler, the stack delivers after the segment (a batch: after the batch)
    if (this.inHandler) stack.touch(conn);
    else stack.settle(conn);
  }

  /** @internal a connection left the table or reached TIME_WAIT: it no longer counts against the limits */
  release(conn: Conn): void {
    const guest = this.conns.get(conn);
    if (guest === undefined) return;
    this.conns.delete(conn);
    this.unshare(guest, 'conns');
  }

  private limit(reason: string): true {
    this.counters.limited++;
    this.stack.drop(reason);
    return true;
  }

  private share(guest: string): GuestShare {
    let g = this.guests.get(guest);
    if (!g) this.guests.set(guest, (g = { pending: 0, conns: 0 }));
    return g;
  }

  private unshare(guest: string, what: 'pending' | 'conns'): void {
    const g = this.guests.get(guest);
    if (!g) return;
    g[what]--;
    if (g.pending <= 0 && g.conns <= 0) this.guests.delete(guest);
  }
}
