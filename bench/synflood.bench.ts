/**
 * SYN flood: 100,000 spoofed SYNs per second of virtual time at a listener, while a legitimate client
 * opens 1,000 connections. With tcp_syncookies = 1 (the default) the listener answers statelessly once
 * its SYN queue (tcp_max_syn_backlog = 4096) overflows, so legitimate clients still get in; with
 * cookies off the queue stays full of half-open connections and they do not.
 */
import '../src/api/net.js';
import { Stack } from '../src/stack/stack.js';
import type { Conn } from '../src/stack/conn.js';
import { ipFromText } from '../src/stack/ip-addr.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import { encodeTcpPacketV4 } from '../src/wire/packet.js';
import { SYN } from '../src/wire/segment.js';
import type { BenchTable } from './index.js';

export const title = 'SYN flood: 100,000 spoofed SYNs/s for 20 s of virtual time, 1,000 legitimate connects';

const FLOOD_PER_MS = 100; // 100,000 per second
const DURATION_MS = 20_000;
const LEGIT = 1000;
const LEGIT_WINDOW_MS = 10_000;
const SERVER = 0x0a000002;
const CLIENT = 0x0a000001;

interface Result {
  established: number;
  spoofed: number;
  cookiesSent: number;
  cookiesRecv: number;
  synQueueDrops: number;
  wallMs: number;
}

function flood(syncookies: number): Result {
  const clock = new VirtualClock();
  const server = new Stack({ addresses: ['10.0.0.2'], clock, seed: 1, sysctl: { tcp_syncookies: syncookies } });
  const client = new Stack({ addresses: ['10.0.0.1'], clock, seed: 2 });
  // the wire: packets to the client get there; SYN-ACKs to spoofed sources go nowhere
  server.on('packet', (p: Uint8Array) => {
    if (((p[16]! << 24) | (p[17]! << 16) | (p[18]! << 8) | p[19]!) >>> 0 !== CLIENT) return;
    const c = p.slice();
    clock.defer(() => client.input(c));
  });
  client.on('packet', (p: Uint8Array) => {
    const c = p.slice();
    clock.defer(() => server.input(c));
  });
  server.listen('10.0.0.2', 80, 4096, (conn: Conn) => {
    conn.tcb.close(clock.now());
    server.settle(conn);
  });
  const remote = ipFromText('10.0.0.2')!;
  let established = 0;
  let spoofed = 0;
  let x = 0x12345678;
  const rand = () => (x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0);
  const buf = new Uint8Array(80);
  const start = performance.now();
  for (let ms = 0; ms < DURATION_MS; ms++) {
    for (let i = 0; i < FLOOD_PER_MS; i++) {
      const src = (0x0b000000 | (rand() & 0xffffff)) >>> 0; // 11.x.y.z: nobody there
      const seg = { srcPort: 1024 + (rand() % 60000), dstPort: 80, seq: rand(), ack: 0, flags: SYN, window: 65535, urgent: 0, options: { mss: 1460 }, payload: buf.subarray(0, 0) };
      server.input(encodeTcpPacketV4(src, SERVER, seg, buf));
      spoofed++;
    }
    if (ms < LEGIT_WINDOW_MS && ms % (LEGIT_WINDOW_MS / LEGIT) === 0) {
      const conn = client.openConnection(remote, 80);
      conn.user = {
        onEstablished: () => {
          established++;
          conn.tcb.close(clock.now());
          client.settle(conn);
        },
        onReadable() {},
        onWritable() {},
        onError() {},
        onClosed() {},
      };
    }
    clock.advance(1);
  }
  return {
    established,
    spoofed,
    cookiesSent: server.counters.syncookiesSent,
    cookiesRecv: server.counters.syncookiesRecv,
    synQueueDrops: server.counters.drops.syn_queue_full ?? 0,
    wallMs: performance.now() - start,
  };
}

export async function run(): Promise<BenchTable> {
  const on = flood(1);
  const off = flood(0);
  const row = (name: string, r: Result): (string | number)[] => [
    name,
    `${((100 * r.established) / LEGIT).toFixed(1)} %`,
    r.spoofed,
    r.cookiesSent,
    r.cookiesRecv,
    r.synQueueDrops,
    `${(r.wallMs / 1000).toFixed(1)} s`,
  ];
  return {
    columns: ['tcp_syncookies', 'legitimate connects that succeeded', 'spoofed SYNs', 'cookies sent', 'cookies validated', 'SYNs dropped (queue full)', 'wall time'],
    rows: [row('1 (default)', on), row('0 (off)', off)],
    notes: [`target with cookies on: ≥ 99 %; ${LEGIT} connects spread over the first ${LEGIT_WINDOW_MS / 1000} s, tcp_syn_retries 6`],
  };
}
