/**
 * Resource bounds under hostile or careless peers (issue 10), each with the heap measured: one
 * server stack on a virtual clock, driven with raw segments so that only its own memory is
 * counted (V8 heap used + ArrayBuffers, after full collections).
 *
 *   - a client that opens 100,000 connections and vanishes (no FIN, no RST, nothing more);
 *   - 50,000 connections left in CLOSE_WAIT (the peer closed, the application never does);
 *   - a peer whose window stays shut and that answers every probe, for 24 hours;
 *   - a peer that never reads while the application writes 1 GiB, honouring write()'s backpressure;
 *   - a flood of segments for connections that do not exist: the cost per packet, and the RSTs sent.
 */
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { Stack } from '../src/index.js';
import type { Socket } from '../src/api/socket.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import { decodeTcpPacket, encodeTcpPacketV4 } from '../src/wire/packet.js';
import { ACK, FIN, RST, SYN, type Segment } from '../src/wire/segment.js';
import type { BenchTable } from './index.js';

export const title = 'Resource bounds: vanished clients, CLOSE_WAIT, zero windows, a peer that never reads, stray-segment floods';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const SERVER = 0x0a000002;
const PEER_BASE = 0x0b000000;

function seg(srcPort: number, dstPort: number, seq: number, ack: number, flags: number, window = 65535, payload = new Uint8Array(0)): Segment {
  return { srcPort, dstPort, seq: seq >>> 0, ack: ack >>> 0, flags, window, urgent: 0, options: {}, payload };
}

/** A server stack whose every outgoing segment is decoded into `last` (its ISS for the handshake). */
function server(sysctl: Record<string, unknown> = {}): { stack: Stack; clock: VirtualClock; out: { syn: Map<string, number>; count: number; rsts: number } } {
  const clock = new VirtualClock();
  const stack = new Stack({ addresses: ['10.0.0.2'], clock, seed: 5, sysctl: { tcp_max_syn_backlog: 1 << 20, somaxconn: 1 << 20, ...sysctl } });
  const out = { syn: new Map<string, number>(), count: 0, rsts: 0 };
  stack.on('packet', (p: Uint8Array) => {
    out.count++;
    const d = decodeTcpPacket(p);
    if (typeof d === 'string') return;
    if (d.seg.flags & RST) out.rsts++;
    if ((d.seg.flags & (SYN | ACK)) === (SYN | ACK)) out.syn.set(`${d.pkt.dst4}:${d.seg.dstPort}`, d.seg.seq);
  });
  return { stack, clock, out };
}

/** Open `n` connections from distinct peers to port 80 with raw handshakes; `then` may send more. */
function openMany(s: ReturnType<typeof server>, n: number, then?: (src: number, port: number, iss: number) => void): void {
  for (let i = 0; i < n; i++) {
    const src = PEER_BASE + (i >>> 14);
    const port = 1024 + (i & 0x3fff);
    s.stack.input(encodeTcpPacketV4(src, SERVER, seg(port, 80, 1000, 0, SYN)));
    const iss = s.out.syn.get(`${src}:${port}`)!;
    s.out.syn.delete(`${src}:${port}`);
    s.stack.input(encodeTcpPacketV4(src, SERVER, seg(port, 80, 1001, iss + 1, ACK)));
    then?.(src, port, iss);
    if ((i & 63) === 0) s.clock.runAll(0);
  }
  s.clock.runAll(0);
}

async function vanished(n: number): Promise<(string | number)[]> {
  const s = server();
  const held: Socket[] = [];
  s.stack.net.createServer((c: Socket) => void held.push(c)).listen(80, '0.0.0.0', 65535);
  s.clock.runAll(0);
  const before = heap();
  openMany(s, n);
  await new Promise((r) => setImmediate(r));
  s.clock.runAll(0);
  const established = s.stack.stateCounts().ESTABLISHED ?? 0;
  const per = (heap() - before) / n;
  // an hour later nothing has changed (no keepalive asked for): the application holds them
  s.clock.advance(3_600_000);
  return [`client opens ${n.toLocaleString('en-US')} connections and vanishes`, established, per, `${s.stack.stateCounts().ESTABLISHED ?? 0} still ESTABLISHED after 1 h (no keepalive); with SO_KEEPALIVE they end after tcp_keepalive_time + 9 × 75 s`];
}

async function closeWait(n: number): Promise<(string | number)[]> {
  const s = server();
  const held: Socket[] = [];
  s.stack.net.createServer({ allowHalfOpen: true }, (c: Socket) => void held.push(c)).listen(80, '0.0.0.0', 65535);
  s.clock.runAll(0);
  const before = heap();
  openMany(s, n, (src, port, iss) => s.stack.input(encodeTcpPacketV4(src, SERVER, seg(port, 80, 1001, iss + 1, FIN | ACK))));
  await new Promise((r) => setImmediate(r));
  s.clock.runAll(0);
  const count = s.stack.stateCounts().CLOSE_WAIT ?? 0;
  return [`${n.toLocaleString('en-US')} connections left in CLOSE_WAIT`, count, (heap() - before) / n, 'held until the application closes (as Linux: CLOSE_WAIT has no timer)'];
}

async function zeroWindow(): Promise<(string | number)[]> {
  const s = server();
  let sock: Socket | null = null;
  s.stack.net.createServer((c: Socket) => {
    sock = c;
  }).listen(80);
  s.clock.runAll(0);
  let iss = 0;
  openMany(s, 1, (_src, _port, i) => (iss = i));
  await new Promise((r) => setImmediate(r));
  s.clock.runAll(0);
  // the peer shuts its window, then the application writes 1 MiB
  s.stack.input(encodeTcpPacketV4(PEER_BASE, SERVER, seg(1024, 80, 1001, iss + 1, ACK, 0)));
  sock!.write(Buffer.alloc(1 << 20));
  await new Promise((r) => setImmediate(r));
  const before = heap();
  const probesBefore = s.out.count;
  // answer every probe with the window still shut, for 24 h of virtual time
  let answered = 0;
  s.stack.on('packet', () => {
    answered++;
    s.clock.defer(() => s.stack.input(encodeTcpPacketV4(PEER_BASE, SERVER, seg(1024, 80, 1001, iss + 1, ACK, 0))));
  });
  s.clock.advance(24 * 3_600_000);
  const probes = s.out.count - probesBefore;
  return ['zero-window peer answering probes for 24 h', probes, heap() - before, `${s.stack.stateCounts().ESTABLISHED ?? 0} connection ESTABLISHED (RFC 1122 §4.2.2.17), ${answered} probes answered, interval capped at tcp_rto_max_ms; setUserTimeout() ends it`];
}

async function neverReads(): Promise<(string | number)[]> {
  const s = server();
  let sock: Socket | null = null;
  s.stack.net.createServer((c: Socket) => {
    sock = c;
  }).listen(80);
  s.clock.runAll(0);
  let iss = 0;
  openMany(s, 1, (_src, _port, i) => (iss = i));
  await new Promise((r) => setImmediate(r));
  // the peer acknowledges what arrives but never reads: its 256 KiB window fills and stays shut
  let acked = 0;
  const window = 262_144;
  s.stack.on('packet', (p: Uint8Array) => {
    const d = decodeTcpPacket(p);
    if (typeof d === 'string' || d.seg.payload.length === 0) return;
    const end = (d.seg.seq - iss - 1 + d.seg.payload.length) >>> 0;
    if (end > acked) acked = Math.min(end, window);
    const ack = iss + 1 + acked;
    s.clock.defer(() => s.stack.input(encodeTcpPacketV4(PEER_BASE, SERVER, seg(1024, 80, 1001, ack, ACK, Math.max(0, window - acked)))));
  });
  const before = heap();
  const chunk = Buffer.alloc(65_536);
  let offered = 0;
  let refused = 0;
  // write 1 GiB as an application honouring backpressure would try to: a chunk whenever write() said yes
  for (let i = 0; i < 16_384 && offered < 2 ** 30; i++) {
    if (sock!.writableNeedDrain) {
      refused++;
      s.clock.advance(1000);
      await new Promise((r) => setImmediate(r));
      if (refused > 50) break;
      continue;
    }
    sock!.write(chunk);
    offered += chunk.length;
    s.clock.advance(1);
    await new Promise((r) => setImmediate(r));
  }
  return ['peer never reads; application writes with backpressure', `${(offered / 2 ** 10).toFixed(0)} KiB accepted`, heap() - before, `write() returned false after ${(offered / 2 ** 10).toFixed(0)} KiB (the peer's 256 KiB window, then the send buffer); nothing more is taken however long it tries`];
}

async function flood(n: number): Promise<(string | number)[]> {
  const s = server();
  s.stack.net.createServer(() => {}).listen(80);
  s.clock.runAll(0);
  const packets: Uint8Array[] = [];
  for (let i = 0; i < 4096; i++) packets.push(encodeTcpPacketV4(PEER_BASE + i, SERVER, seg(1024 + i, 9 + (i % 1000), i * 7919, i * 104729, ACK)));
  const before = heap();
  // CPU time, not wall time: the figure should not depend on what else the machine runs
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    s.stack.input(packets[i & 4095]!);
    if ((i & 1023) === 0) s.clock.advance(1); // 1,024 segments a ms: a 1 M packets/s flood
  }
  const used = process.cpuUsage(cpu);
  const us = (used.user + used.system) / n;
  return [`flood of ${n.toLocaleString('en-US')} segments for connections that do not exist`, `${us.toFixed(2)} µs CPU/packet`, heap() - before, `${s.out.rsts.toLocaleString('en-US')} RSTs sent (tcp_rst_msgs_per_sec 1000, burst 50), ${s.stack.counters.resetsRateLimited.toLocaleString('en-US')} held back`];
}

export async function run(): Promise<BenchTable> {
  const rows: (string | number)[][] = [];
  rows.push(await vanished(100_000));
  rows.push(await closeWait(50_000));
  rows.push(await zeroWindow());
  rows.push(await neverReads());
  rows.push(await flood(1_000_000));
  return {
    columns: ['case', 'count', 'heap (B per connection, or B in all)', 'what bounds it'],
    rows: rows.map((r) => [r[0]!, r[1]!, typeof r[2] === 'number' ? Math.round(r[2]) : r[2]!, r[3]!]),
    notes: [
      'heap = V8 heap used + ArrayBuffers after two full collections; rows 1-2 per connection, rows 3-5 growth over the case',
      'a negative growth is no growth: garbage of the setup collected during the case',
    ],
  };
}
