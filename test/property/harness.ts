/**
 * Shared pieces for the property tests: the RFC 9293 state diagram as a table of legal edges,
 * a recorder that splits transition events into per-connection lifecycles, deterministic
 * payloads, and the two-host transfer scenario run on a SimNetwork in virtual time.
 */
import { expect } from 'vitest';
import { SimNetwork, type Impairments, type SimPacketEvent, type Stack, type TransitionEvent } from '../../src/index.js';
import type { Socket } from '../../src/api/socket.js';
import type { Conn } from '../../src/stack/conn.js';
import type { Tcb } from '../../src/tcp/tcb.js';
import { missingTimer } from '../../src/tcp/timer-invariant.js';
import { TCP_STATES, type TcpState } from '../../src/tcp/state.js';
import { decodeTcpPacket } from '../../src/wire/packet.js';
import type { VirtualClock } from '../../src/time/virtual-clock.js';

// ===================== the state diagram =====================

/**
 * Every (from, to) a TCB may take. RFC 9293 §3.3.2 Figure 5 gives the arrows; the text of
 * §3.10 adds the ones the figure leaves out ("the figure does not show error conditions or
 * actions that are not connected with state changes"): a RST, ABORT or retransmission timeout
 * takes any state past LISTEN to CLOSED, and FIN_WAIT_1 goes straight to TIME_WAIT when one
 * segment carries the peer's FIN and the ACK of ours (§3.10.7.4, eighth step).
 */
export const LEGAL_EDGES: ReadonlyMap<TcpState, ReadonlySet<TcpState>> = new Map<TcpState, Set<TcpState>>([
  // passive OPEN; active OPEN
  ['CLOSED', new Set<TcpState>(['LISTEN', 'SYN_SENT'])],
  // rcv SYN; SEND; CLOSE
  ['LISTEN', new Set<TcpState>(['SYN_RCVD', 'SYN_SENT', 'CLOSED'])],
  // rcv SYN (simultaneous open); rcv SYN,ACK; CLOSE, timeout, RST with acceptable ACK
  ['SYN_SENT', new Set<TcpState>(['SYN_RCVD', 'ESTABLISHED', 'CLOSED'])],
  // rcv ACK of SYN; CLOSE; rcv RST (passive: back to LISTEN; active: CLOSED); timeout; ABORT
  ['SYN_RCVD', new Set<TcpState>(['ESTABLISHED', 'FIN_WAIT_1', 'LISTEN', 'CLOSED'])],
  // CLOSE; rcv FIN; RST, ABORT, timeout
  ['ESTABLISHED', new Set<TcpState>(['FIN_WAIT_1', 'CLOSE_WAIT', 'CLOSED'])],
  // rcv ACK of FIN; rcv FIN; rcv FIN + ACK of FIN; RST, ABORT, timeout
  ['FIN_WAIT_1', new Set<TcpState>(['FIN_WAIT_2', 'CLOSING', 'TIME_WAIT', 'CLOSED'])],
  // rcv FIN; RST, ABORT, tcp_fin_timeout for orphans
  ['FIN_WAIT_2', new Set<TcpState>(['TIME_WAIT', 'CLOSED'])],
  // CLOSE; RST, ABORT, timeout
  ['CLOSE_WAIT', new Set<TcpState>(['LAST_ACK', 'CLOSED'])],
  // rcv ACK of FIN; RST, timeout
  ['CLOSING', new Set<TcpState>(['TIME_WAIT', 'CLOSED'])],
  // rcv ACK of FIN; RST, timeout
  ['LAST_ACK', new Set<TcpState>(['CLOSED'])],
  // 2MSL timeout (RST is ignored: RFC 1337, tcp_rfc1337=1)
  ['TIME_WAIT', new Set<TcpState>(['CLOSED'])],
]);

export function isLegalEdge(from: TcpState, to: TcpState): boolean {
  return LEGAL_EDGES.get(from)?.has(to) ?? false;
}

export const STATE_SET: ReadonlySet<string> = new Set<string>(TCP_STATES);

/**
 * Transition events split into TCB lifecycles. The stack names a connection by host and
 * 4-tuple only; a passive TCB returned to LISTEN is forgotten and the 4-tuple may come back
 * as a new TCB once this one has reached CLOSED (SYN_RCVD → LISTEN is followed by LISTEN → CLOSED).
 */
export interface Lifecycle {
  host: string;
  local: string;
  remote: string;
  /** the states in order, starting with the first transition's `from` */
  states: TcpState[];
}

export class TransitionLog {
  readonly events: TransitionEvent[] = [];
  readonly lifecycles: Lifecycle[] = [];
  private readonly open = new Map<string, Lifecycle>();
  readonly illegal: string[] = [];

  attach(stack: Stack): void {
    stack.on('transition', (e: TransitionEvent) => this.record(e));
  }

  private record(e: TransitionEvent): void {
    this.events.push(e);
    const key = `${e.host} ${e.local} ${e.remote}`;
    let life = this.open.get(key);
    if (!life) {
      life = { host: e.host, local: e.local, remote: e.remote, states: [e.from] };
      this.open.set(key, life);
      this.lifecycles.push(life);
      if (e.from !== 'CLOSED') this.illegal.push(`${key}: lifecycle starts in ${e.from}`);
    } else if (life.states[life.states.length - 1] !== e.from) {
      this.illegal.push(`${key}: ${e.from} → ${e.to} but the TCB was in ${life.states[life.states.length - 1]}`);
    }
    if (!isLegalEdge(e.from, e.to)) this.illegal.push(`${key}: illegal edge ${e.from} → ${e.to} at t=${e.t}`);
    life.states.push(e.to);
    // a half-open connection handed back to LISTEN is deleted right after: LISTEN → CLOSED
    if (e.to === 'CLOSED') this.open.delete(key);
  }

  /** Lifecycles not yet ended, as "host local remote: A → B → ...". */
  get unfinished(): string[] {
    return [...this.open.values()].map((l) => `${l.host} ${l.local} ${l.remote}: ${l.states.join(' → ')}`);
  }

  /** The state paths of one host's lifecycles, in order of their first transition. */
  paths(host: string): TcpState[][] {
    return this.lifecycles.filter((l) => l.host === host).map((l) => l.states);
  }
}

/** Every lifecycle legal and finished in CLOSED (one handed back to LISTEN is then deleted: LISTEN → CLOSED). */
export function expectLifecyclesClosed(log: TransitionLog): void {
  expect(log.illegal).toEqual([]);
  expect(log.unfinished).toEqual([]);
  for (const { states: p } of log.lifecycles) {
    const last = p[p.length - 1]!;
    if (last !== 'CLOSED') expect.fail(`lifecycle does not end closed: ${p.join(' → ')}`);
  }
}

// ===================== payloads =====================

/** `size` bytes from a xorshift32 stream seeded by `seed`: cheap, reproducible, not compressible. */
export function payloadOf(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Index of the first byte where a and b differ, or -1 if one is a prefix of the other. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

// ===================== reaching into the stack (tests only) =====================

/** The TCB behind a socket, or null once it is gone. */
export function tcbOf(socket: Socket): Tcb | null {
  const conn = (socket as unknown as { conn: Conn | null }).conn;
  return conn && !conn.gone ? conn.tcb : null;
}

export function virtualClock(net: SimNetwork): VirtualClock {
  return net.clock as VirtualClock;
}

// ===================== the timer rule, after every step =====================

/** Every connection a stack holds (tests only: the stack keeps its table private). */
export function connsOf(stack: Stack): Conn[] {
  return [...(stack as unknown as { conns: { all(): Iterable<Conn> } }).conns.all()];
}

/**
 * Checks, whenever `check()` is called, that every live TCB of the stacks keeps the timer rule
 * (src/tcp/timer-invariant.ts: anything outstanding, measured against SND.MAX, has a timer) and
 * that the stack has filed every connection that wants a timer in its heap, no later than its
 * deadline. Breaches are kept (the first few, with the time) for the test to report.
 */
export class TimerWatch {
  readonly breaches: string[] = [];
  checks = 0;
  constructor(private readonly stacks: Stack[]) {}

  check(): void {
    this.checks++;
    for (const s of this.stacks) {
      const heap = (s as unknown as { timers: { has(c: Conn): boolean } }).timers;
      for (const c of connsOf(s)) {
        if (c.gone) continue;
        const why = missingTimer(c.tcb);
        const d = c.tcb.nextDeadline();
        const filed = d === Infinity || (heap.has(c) && c.at <= d);
        if ((why || !filed) && this.breaches.length < 10) {
          const what = why ?? `deadline ${d} not filed in the stack's timer heap (at ${c.at})`;
          this.breaches.push(`t=${s.clock.now()} ${s.name}:${c.localPort} ↔ ${c.remote.text}:${c.remotePort}: ${what}`);
        }
      }
    }
  }

  /**
   * `pred`, checking the rule each time it is evaluated (SimNetwork.runUntil does so after every
   * event), or every `every`-th time when the stacks hold thousands of connections.
   */
  wrap(pred: () => boolean, every = 1): () => boolean {
    let n = 0;
    return () => {
      if (++n % every === 0) this.check();
      return pred();
    };
  }
}

// ===================== the transfer scenario =====================

export type CloseMode = 'client-first' | 'server-first' | 'half-close' | 'simultaneous';
export type ServerMode = 'echo' | 'sink';

export interface TransferCase {
  seed: number;
  /** client → server */
  forward: Impairments;
  /** server → client */
  reverse: Impairments;
  size: number;
  dataSeed: number;
  server: ServerMode;
  close: CloseMode;
  /** IPv4 (default) or IPv6 */
  family?: 4 | 6;
  /** sysctl overrides for the client and the server (options on or off, retry limits) */
  clientSysctl?: Record<string, unknown>;
  serverSysctl?: Record<string, unknown>;
  /**
   * Offloads on (SimNetworkOptions.offload): no checksums computed or verified, super-segments cut
   * by the network. Such a network cannot corrupt: `corrupt` is ignored.
   */
  offload?: boolean;
}

export interface SocketError {
  side: 'client' | 'server';
  code: string;
  errno: number | undefined;
  syscall: string | undefined;
  message: string;
}

export interface TransferResult {
  sent: Buffer;
  /** what the server read */
  serverGot: Buffer;
  /** what the client read */
  clientGot: Buffer;
  /** what the client should have read had everything gone through */
  clientExpected: Buffer;
  errors: SocketError[];
  /** both sockets emitted 'close' within the time limit */
  bothClosed: boolean;
  /** virtual ms from connect to both sockets closed */
  closedAt: number;
  /** every stack and timer quiet within the time limit after that */
  quiet: boolean;
  log: TransitionLog;
  net: SimNetwork;
  client: Stack;
  server: Stack;
  trace: SimPacketEvent[];
  corruptedDeliveries: number;
  /**
   * corrupted deliveries that still decode as a valid segment: only possible in IPv6, whose header
   * has no checksum and whose traffic class, flow label and hop limit no pseudo-header covers
   */
  corruptedValid: number;
  /** exceptions the stacks caught in input() (bugs) */
  internalErrors: unknown[];
  /** connections the server accepted (one, unless the handshake never completed) */
  accepted: number;
  /** breaches of the timer rule seen after any event (TimerWatch) */
  timerBreaches: string[];
  /** super-segments the two stacks sent (only with offload) */
  superSegments: number;
}

export const CLIENT = '10.0.0.1';
export const SERVER = '10.0.0.2';
export const CLIENT6 = 'fd00::1';
export const SERVER6 = 'fd00::2';

/** The client's and server's addresses (and so their stacks' names) for an address family. */
export function addressesFor(family: 4 | 6 | undefined): { client: string; server: string } {
  return family === 6 ? { client: CLIENT6, server: SERVER6 } : { client: CLIENT, server: SERVER };
}

export const PORT = 80;
const TRAILER = Buffer.from('bye from the server after your FIN\n');
/** virtual time allowed for the exchange: more than a full retransmission give-up (≈ 15.4 min) */
const EXCHANGE_LIMIT_MS = 4 * 3_600_000;
/** then for the last TCB to leave: TIME_WAIT (60 s), FIN_WAIT_2 / orphan retries, stray packets */
const QUIET_LIMIT_MS = 2 * 3_600_000;
/** keepalive idle time; probes then follow Linux's defaults (75 s apart, 9 of them) */
const KEEPALIVE_IDLE_MS = 60_000;

/** The impairments less corruption, for a network with checksum offload. */
export function withoutCorruption(i: Impairments): Impairments {
  const { corrupt: _, ...rest } = i;
  return rest;
}

export interface RunOptions {
  /** keep every packet event (for the determinism property) */
  trace?: boolean;
}

/**
 * Run one transfer: the client connects, sends `size` bytes; the server echoes or sinks them;
 * both close the way `close` says. Returns what each side read, errors, and whether everything
 * went quiet. Throws nothing on TCP-level failures: those are reported for the caller to judge.
 */
export async function runTransfer(c: TransferCase, opts: RunOptions = {}): Promise<TransferResult> {
  const net = new SimNetwork({ seed: c.seed, offload: c.offload === true });
  const clock = virtualClock(net);
  const addr = addressesFor(c.family);
  const a = net.host(addr.client, c.clientSysctl ? { sysctl: c.clientSysctl } : {});
  const b = net.host(addr.server, c.serverSysctl ? { sysctl: c.serverSysctl } : {});
  net.impair(addr.client, addr.server, c.offload ? withoutCorruption(c.forward) : c.forward);
  net.impair(addr.server, addr.client, c.offload ? withoutCorruption(c.reverse) : c.reverse);
  const log = new TransitionLog();
  log.attach(a);
  log.attach(b);
  const trace: SimPacketEvent[] = [];
  let corruptedDeliveries = 0;
  let corruptedValid = 0;
  net.onPacket((ev) => {
    if (!ev.dropped && ev.reason === 'corrupted') {
      corruptedDeliveries++;
      if (typeof decodeTcpPacket(ev.packet) !== 'string') corruptedValid++;
    }
    if (opts.trace) trace.push({ ...ev, packet: ev.packet.slice() });
  });
  let superSegments = 0;
  for (const s of [a, b]) s.on('packet', (_p: Uint8Array, gsoSize: number) => void (gsoSize > 0 && superSegments++));
  const internalErrors: unknown[] = [];
  for (const s of [a, b]) s.on('internalError', (err: unknown) => internalErrors.push(err));
  const watch = new TimerWatch([a, b]);

  const sent = payloadOf(c.size, c.dataSeed);
  const echo = c.server === 'echo';
  const clientExpected = Buffer.concat([echo ? sent : Buffer.alloc(0), c.close === 'half-close' ? TRAILER : Buffer.alloc(0)]);
  const errors: SocketError[] = [];
  const onError = (side: 'client' | 'server') => (e: NodeJS.ErrnoException) => {
    errors.push({ side, code: String(e.code), errno: e.errno, syscall: e.syscall, message: e.message });
  };

  const serverChunks: Buffer[] = [];
  let serverBytes = 0;
  let serverSock: Socket | null = null;
  let serverClosed = false;
  let accepted = 0;
  // SO_KEEPALIVE on both ends: a released socket's orphan may give up silently (tcp_orphan_retries,
  // no RST, as in Linux), and a half-closed peer still reading would otherwise wait forever
  const keepAlive = { keepAlive: true, keepAliveInitialDelay: KEEPALIVE_IDLE_MS };
  const server = b.net.createServer({ allowHalfOpen: c.close === 'half-close', ...keepAlive }, (s) => {
    accepted++;
    if (serverSock) {
      // one client, one connect: a second accept is a stack bug the caller reports
      s.destroy();
      return;
    }
    serverSock = s;
    s.on('error', onError('server'));
    s.on('close', () => (serverClosed = true));
    s.on('data', (d: Buffer) => {
      serverChunks.push(d);
      serverBytes += d.length;
      if (echo) s.write(d);
      if (c.close === 'server-first' && serverBytes === c.size) s.end();
    });
    if (c.close === 'server-first' && c.size === 0) s.end();
    if (c.close === 'half-close') {
      s.on('end', () => {
        s.write(TRAILER);
        s.end();
      });
    }
  });
  server.listen(PORT);
  await net.run(1);

  const start = net.now();
  const client = a.net.connect({ port: PORT, host: addr.server, ...keepAlive });
  const clientChunks: Buffer[] = [];
  let clientBytes = 0;
  let clientClosed = false;
  client.on('data', (d: Buffer) => {
    clientChunks.push(d);
    clientBytes += d.length;
  });
  client.on('error', onError('client'));
  client.on('close', () => (clientClosed = true));
  if (c.size > 0) client.write(sent);
  if (c.close === 'client-first' || c.close === 'half-close') client.end();

  const failed = () => errors.length > 0;
  if (c.close === 'simultaneous') {
    // both ends call end() in the same instant, once everything has been delivered
    const delivered = () => serverBytes === c.size && clientBytes === (echo ? c.size : 0) && serverSock !== null;
    await net.runUntil(watch.wrap(() => delivered() || failed() || (clientClosed && serverClosed)), EXCHANGE_LIMIT_MS);
    if (delivered() && !failed()) {
      client.end();
      serverSock!.end();
    }
  }
  const bothClosed = await net.runUntil(
    watch.wrap(() => clientClosed && (serverClosed || (serverSock === null && failed()))),
    EXCHANGE_LIMIT_MS,
  );
  const closedAt = net.now() - start;
  const quiet = await net.runUntil(
    watch.wrap(() => a.connectionCount === 0 && b.connectionCount === 0 && clock.pending() === 0),
    QUIET_LIMIT_MS,
  );

  return {
    sent,
    serverGot: Buffer.concat(serverChunks),
    clientGot: Buffer.concat(clientChunks),
    clientExpected,
    errors,
    bothClosed,
    closedAt,
    quiet,
    log,
    net,
    client: a,
    server: b,
    trace,
    corruptedDeliveries,
    corruptedValid,
    internalErrors,
    accepted,
    timerBreaches: watch.breaches,
    superSegments,
  };
}
