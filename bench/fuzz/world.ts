/**
 * The fuzzer's world: a target stack S holding connections in every one of the eleven states with a
 * scripted peer P (whose packets the fuzzer writes by hand), and a legitimate peer L moving data to
 * S and back through S's listener all along, on one virtual clock. After every input the world
 * checks its invariants:
 *
 *   - nothing escaped stack.input() (no internal_error, no 'internalError' event);
 *   - every TCB of both stacks is in one of the eleven states;
 *   - tcp/timer-invariant.ts: a connection with anything outstanding has a timer, and the stack has
 *     it filed: its heap entry is due no later than the TCB's deadline, and the clock is armed for it;
 *   - every packet S sends decodes (TCP, or ICMP/ICMPv6);
 *   - every legitimate transfer delivers byte-exact, and one is always under way.
 */
import { Stack } from '../../src/stack/stack.js';
import type { Conn, ConnTable, ConnUser } from '../../src/stack/conn.js';
import { ipFromText, type IpAddr } from '../../src/stack/ip-addr.js';
import { TCP_STATES, type TcpState } from '../../src/tcp/state.js';
import { missingTimer } from '../../src/tcp/timer-invariant.js';
import type { TcbErrorCode } from '../../src/tcp/tcb.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { Prng } from '../../src/link/prng.js';
import { decodePacket, decodeTcpPacket, encodeTcpPacketV4, encodeTcpPacketV6 } from '../../src/wire/packet.js';
import { ACK, FIN, SYN, type Segment, type TcpOptions } from '../../src/wire/segment.js';

export const S_ADDR = { 4: ipFromText('10.0.0.2')!, 6: ipFromText('fd00::2')! };
export const L_ADDR = { 4: ipFromText('10.0.0.1')!, 6: ipFromText('fd00::1')! };
export const P_ADDR = { 4: ipFromText('10.0.0.9')!, 6: ipFromText('fd00::9')! };
export const LISTEN_PORT = 80;
const STATES = new Set<string>(TCP_STATES);

/** A connection of S set up with the scripted peer, and the state it was built to reach. */
export interface Scripted {
  conn: Conn;
  built: TcpState;
  version: 4 | 6;
}

/** An S-side application that reads everything and never closes unless told to. */
class Sink implements ConnUser {
  constructor(
    private readonly stack: Stack,
    private readonly conn: Conn,
  ) {}
  onEstablished(): void {}
  onReadable(): void {
    const t = this.conn.tcb;
    while (t.readable > 0) t.receive(1 << 20, this.stack.clock.now());
    this.stack.settle(this.conn);
  }
  onWritable(): void {}
  onError(): void {}
  onClosed(): void {}
}

/** S's side of a legitimate transfer: echo every byte back, close after the peer's FIN. */
class Echo implements ConnUser {
  private pending: Uint8Array[] = [];
  private closed = false;
  constructor(
    private readonly stack: Stack,
    private readonly conn: Conn,
  ) {}
  onEstablished(): void {}
  onReadable(): void {
    const t = this.conn.tcb;
    const now = this.stack.clock.now();
    while (t.readable > 0) for (const c of t.receive(1 << 20, now)) this.pending.push(c.slice());
    this.pump();
  }
  onWritable(): void {
    this.pump();
  }
  private pump(): void {
    const t = this.conn.tcb;
    const now = this.stack.clock.now();
    while (this.pending.length > 0 && t.sendSpace > 0 && t.canSend) {
      const c = this.pending[0]!;
      const n = t.send(c, now);
      if (n >= c.length) this.pending.shift();
      else this.pending[0] = c.subarray(n);
      if (n === 0) break;
    }
    if (this.pending.length === 0 && t.rcvClosed && t.readable === 0 && !this.closed) {
      this.closed = true;
      t.close(now);
    }
    this.stack.settle(this.conn);
  }
  onError(): void {}
  onClosed(): void {}
}

/** L's side: send `data`, close, and check that exactly `data` comes back. */
class Sender implements ConnUser {
  private sent = 0;
  private got: Uint8Array;
  private gotLen = 0;
  private finished = false;
  constructor(
    private readonly world: World,
    private readonly conn: Conn,
    private readonly data: Uint8Array,
  ) {
    this.got = new Uint8Array(data.length);
  }
  onEstablished(): void {
    this.pump();
  }
  onWritable(): void {
    this.pump();
  }
  private pump(): void {
    const t = this.conn.tcb;
    const now = this.world.clock.now();
    while (this.sent < this.data.length && t.sendSpace > 0) {
      const n = t.send(this.data.subarray(this.sent, this.sent + 16384), now);
      if (n === 0) break;
      this.sent += n;
    }
    if (this.sent === this.data.length && !t.finQueued) t.close(now);
    this.world.l.settle(this.conn);
  }
  onReadable(): void {
    const t = this.conn.tcb;
    const now = this.world.clock.now();
    while (t.readable > 0) {
      for (const c of t.receive(1 << 20, now)) {
        if (this.gotLen + c.length > this.got.length) return this.fail(`received ${this.gotLen + c.length} bytes of ${this.got.length}`);
        this.got.set(c, this.gotLen);
        this.gotLen += c.length;
      }
    }
    if (t.rcvClosed && !this.finished) {
      this.finished = true;
      if (this.gotLen !== this.data.length) return this.fail(`EOF after ${this.gotLen} of ${this.data.length} bytes`);
      for (let i = 0; i < this.data.length; i++) if (this.got[i] !== this.data[i]) return this.fail(`byte ${i} differs`);
      this.world.transferDone(this.data.length);
    }
    this.world.l.settle(this.conn);
  }
  onError(code: TcbErrorCode): void {
    this.fail(`legitimate transfer failed with ${code}`);
  }
  onClosed(): void {}
  private fail(why: string): void {
    this.finished = true;
    this.world.breach(`legitimate transfer: ${why}`);
  }
}

export class World {
  readonly clock = new VirtualClock();
  readonly s: Stack;
  readonly l: Stack;
  readonly scripted: Scripted[] = [];
  readonly breaches: string[] = [];
  readonly rng: Prng;
  transfers = 0;
  bytesVerified = 0;
  packetsOut = 0;
  /** packets from the legitimate peer delivered to S */
  legitIn = 0;
  private transferLive = false;
  private transferVersion: 4 | 6 = 4;
  private internal = 0;
  /** what the check is about (for the breach message) */
  label = 'setup';

  constructor(readonly seed: number) {
    this.rng = new Prng(seed);
    this.s = new Stack({ addresses: ['10.0.0.2', 'fd00::2'], clock: this.clock, seed: seed * 2 + 1, name: 'S' });
    this.l = new Stack({ addresses: ['10.0.0.1', 'fd00::1'], clock: this.clock, seed: seed * 2 + 2, name: 'L' });
    this.s.on('internalError', () => this.internal++);
    this.l.on('internalError', () => this.internal++);
    this.s.on('packet', (p: Uint8Array) => this.fromS(p));
    this.l.on('packet', (p: Uint8Array) => {
      const c = p.slice();
      this.clock.schedule(this.clock.now() + 1, () => {
        this.legitIn++;
        this.s.input(c);
      });
    });
    this.s.listen(null, LISTEN_PORT, 128, (conn) => {
      const fromL = conn.remote.text === L_ADDR[4].text || conn.remote.text === L_ADDR[6].text;
      const user = fromL ? new Echo(this.s, conn) : new Sink(this.s, conn);
      this.s.attachUser(conn, user);
      if (conn.tcb.readable > 0) user.onReadable();
    });
    let port = 20000;
    for (const v of [4, 6] as const) {
      for (const state of ['SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT'] as const) {
        this.build(v, state, port++);
      }
      this.build(v, 'ESTABLISHED', port++, true);
    }
    this.clock.advance(1);
    this.startTransfer();
    this.label = 'setup';
    this.check();
  }

  breach(why: string): void {
    if (this.breaches.length < 20) this.breaches.push(`${why} (after ${this.label})`);
  }

  transferDone(bytes: number): void {
    this.transfers++;
    this.bytesVerified += bytes;
    this.transferLive = false;
  }

  private startTransfer(): void {
    this.transferLive = true;
    this.transferVersion = this.transferVersion === 4 ? 6 : 4;
    const size = 1024 + (this.rng.nextU32() % (64 * 1024));
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (this.rng.nextU32() >>> 24) & 255;
    const conn = this.l.openConnection(S_ADDR[this.transferVersion], LISTEN_PORT);
    this.l.attachUser(conn, new Sender(this, conn, data));
  }

  private fromS(p: Uint8Array): void {
    this.packetsOut++;
    const d = decodeTcpPacket(p);
    let dst: string;
    if (typeof d === 'string') {
      const ip = decodePacket(p);
      if (typeof ip === 'string' || (ip.protocol !== 1 && ip.protocol !== 58)) {
        this.breach(`S sent a malformed packet (${typeof ip === 'string' ? ip : `protocol ${ip.protocol}`})`);
        return;
      }
      dst = ip.version === 4 ? String(ip.dst4) : Buffer.from(ip.dst6!).toString('hex');
    } else {
      dst = d.pkt.version === 4 ? String(d.pkt.dst4) : Buffer.from(d.pkt.dst6!).toString('hex');
    }
    if (dst === String(L_ADDR[4].v4) || dst === Buffer.from(L_ADDR[6].v6!).toString('hex')) {
      const c = p.slice();
      this.clock.schedule(this.clock.now() + 1, () => this.l.input(c));
    }
  }

  /** The invariants, after every input. */
  check(): void {
    if (this.internal > 0 || (this.s.counters.drops.internal_error ?? 0) > 0) {
      this.breach('stack.input() hit an internal error');
      this.internal = 0;
      delete this.s.counters.drops.internal_error;
    }
    for (const st of [this.s, this.l]) {
      const clockAt = (st as unknown as { timers: { clockTimerAt: number } }).timers.clockTimerAt;
      for (const c of conns(st)) {
        const t = c.tcb;
        if (!STATES.has(t.state)) this.breach(`${st.name}: TCB in state ${String(t.state)}`);
        const why = missingTimer(t);
        if (why !== null) this.breach(`${st.name} ${c.remote.text}:${c.remotePort}: ${why}`);
        const due = t.nextDeadline();
        if (due !== Infinity && !(c.at <= due)) this.breach(`${st.name} ${c.remote.text}:${c.remotePort}: deadline ${due} not in the stack's timer heap`);
        if (due !== Infinity && clockAt > c.at) this.breach(`${st.name}: clock armed for ${clockAt}, a connection is due at ${c.at}`);
      }
    }
    if (!this.transferLive) this.startTransfer();
  }

  /** Run the clock until the legitimate transfer under way completes (at most 30 virtual minutes). */
  finish(): void {
    this.label = 'the end of the run';
    const before = this.transfers;
    this.transferLive = true; // no new one
    this.clock.runUntil(() => this.transfers > before || this.breaches.length > 0, 30 * 60_000);
    if (this.transfers === before && this.breaches.length === 0) this.breach('the legitimate transfer did not complete within 30 minutes');
  }

  // ===================== getting S's connections into each state =====================

  /** A segment from P to S on `c`'s 4-tuple; seq and ack default to what S expects. */
  peer(c: Conn, flags: number, o: { seq?: number; ack?: number; payload?: Uint8Array; options?: TcpOptions } = {}): void {
    const seg: Segment = {
      srcPort: c.remotePort,
      dstPort: c.localPort,
      seq: (o.seq ?? c.tcb.rcvNxt) >>> 0,
      ack: (o.ack ?? c.tcb.sndMax) >>> 0,
      flags,
      window: 65535,
      urgent: 0,
      options: o.options ?? {},
      payload: o.payload ?? new Uint8Array(0),
    };
    const v = c.local.version;
    this.s.input(v === 4 ? encodeTcpPacketV4(P_ADDR[4].v4, S_ADDR[4].v4, seg) : encodeTcpPacketV6(P_ADDR[6].v6!, S_ADDR[6].v6!, seg));
  }

  private build(v: 4 | 6, state: TcpState, port: number, passive = false): void {
    const s = this.s;
    const now = (): number => this.clock.now();
    let c: Conn;
    if (passive || state === 'SYN_RCVD') {
      const syn: Segment = { srcPort: port, dstPort: LISTEN_PORT, seq: 1000 * port, ack: 0, flags: SYN, window: 65535, urgent: 0, options: { mss: 1400 }, payload: new Uint8Array(0) };
      s.input(v === 4 ? encodeTcpPacketV4(P_ADDR[4].v4, S_ADDR[4].v4, syn) : encodeTcpPacketV6(P_ADDR[6].v6!, S_ADDR[6].v6!, syn));
      c = find(s, S_ADDR[v], LISTEN_PORT, P_ADDR[v], port)!;
      if (state !== 'SYN_RCVD') this.peer(c, ACK);
      this.scripted.push({ conn: c, built: state, version: v });
      return;
    }
    c = s.openConnection(P_ADDR[v], port);
    s.attachUser(c, new Sink(s, c));
    this.scripted.push({ conn: c, built: state, version: v });
    if (state === 'SYN_SENT') return;
    this.peer(c, SYN | ACK, { seq: 5000 * port, ack: c.tcb.iss + 1, options: { mss: 1400 } });
    c.tcb.send(new Uint8Array(3000).fill(port & 255), now());
    s.settle(c);
    this.peer(c, ACK, { ack: c.tcb.sndUna, payload: new Uint8Array(100).fill(7) });
    if (state === 'ESTABLISHED') return;
    if (state === 'CLOSE_WAIT' || state === 'LAST_ACK') {
      this.peer(c, FIN | ACK, { ack: c.tcb.sndUna });
      if (state === 'LAST_ACK') {
        c.tcb.close(now());
        s.settle(c);
      }
      return;
    }
    c.tcb.close(now());
    s.settle(c);
    if (state === 'FIN_WAIT_1') return;
    if (state === 'CLOSING') {
      // our FIN is out; theirs crosses it without acknowledging it
      this.peer(c, FIN | ACK, { ack: c.tcb.sndUna });
      return;
    }
    // Nagle may hold the tail of the data (and the FIN behind it) until the first ACK
    for (let i = 0; i < 3 && c.tcb.state === 'FIN_WAIT_1'; i++) this.peer(c, ACK);
    if (state === 'TIME_WAIT') this.peer(c, FIN | ACK);
  }
}

/** Every connection a stack holds (not the TIME_WAIT records). */
export function conns(st: Stack): IterableIterator<Conn> {
  return (st as unknown as { conns: ConnTable }).conns.all();
}

function find(st: Stack, local: IpAddr, localPort: number, remote: IpAddr, remotePort: number): Conn | null {
  return (st as unknown as { conns: ConnTable }).conns.find(local, localPort, remote.v4, remote.v6, remotePort);
}
