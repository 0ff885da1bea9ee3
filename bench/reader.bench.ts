/**
 * A reader that handles each chunk (one setImmediate per chunk, as a parser that pauses would):
 * 64 MiB from a server to a client that pauses on every 'data' and resumes on the next turn of the
 * event loop. synack, two ways: two stacks in one process joined by hand through their packet
 * interface ('packet' → input(), delivered by setImmediate, checksums computed and verified), and
 * joined by `pairStacks()` (link/pair.ts), which declares what Linux's loopback does (no checksums,
 * super-segments whole) — against Node's net over the kernel's loopback doing exactly the same, in
 * the same run; all links have loopback's MTU. The target is for the like-for-like pair. How much each read hands over decides the figure: Node reads up to
 * 64 KiB at a time, and so must synack. Both sides run the same sender (64 KiB writes honouring backpressure, the last with
 * end()) and the same reader; the 'data' chunk counts are printed so that a difference in read sizes shows.
 */
import net from 'node:net';
import { Stack, pairStacks } from '../src/index.js';
import type { BenchTable } from './index.js';
import { naiveLink } from './naive-link.js';

export const title = 'Chunk-by-chunk reader: 64 MiB, one setImmediate per chunk';

const TOTAL = 64 * 1024 * 1024;
const WRITE = 64 * 1024;
/** alternating rounds; odd, so the median is one measured round (7: a shared machine's outliers fall outside it) */
const ROUNDS = 7;

interface Result {
  ms: number;
  chunks: number;
}

/** Write TOTAL bytes in WRITE-sized pieces, honouring backpressure, then end. */
function send(s: net.Socket): void {
  const piece = Buffer.alloc(WRITE, 0x61);
  let left = TOTAL;
  const more = (): void => {
    while (left > 0) {
      left -= WRITE;
      if (left === 0) return void s.end(piece);
      if (!s.write(piece)) return void s.once('drain', more);
    }
  };
  more();
}

/** Read everything, pausing on each chunk until the next turn of the loop. */
function read(s: net.Socket, start: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    let got = 0;
    let chunks = 0;
    s.on('data', (d: Buffer) => {
      got += d.length;
      chunks++;
      s.pause();
      setImmediate(() => s.resume());
    });
    s.on('end', () => (got === TOTAL ? resolve({ ms: performance.now() - start, chunks }) : reject(new Error(`got ${got} of ${TOTAL}`))));
    s.on('error', reject);
  });
}

async function synack(join: (a: Stack, b: Stack) => unknown): Promise<Result> {
  // the MTU of Linux's loopback interface (65536; an IPv4 packet holds at most 65535), as Node's side has
  const a = new Stack({ addresses: ['10.0.0.1'], mtu: 65535 });
  const b = new Stack({ addresses: ['10.0.0.2'], mtu: 65535 });
  join(a, b);
  const srv = b.net.createServer(send).listen(80);
  try {
    const start = performance.now();
    return await read(a.net.connect(80, '10.0.0.2'), start);
  } finally {
    srv.close();
    a.destroy();
    b.destroy();
  }
}

async function kernel(): Promise<Result> {
  const srv = net.createServer(send);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const start = performance.now();
    return await read(net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1'), start);
  } finally {
    srv.close();
  }
}

function median(xs: Result[]): Result {
  return [...xs].sort((p, q) => p.ms - q.ms)[xs.length >> 1]!;
}

export async function run(): Promise<BenchTable> {
  const paired = (a: Stack, b: Stack): void => void pairStacks(a, b);
  await synack(naiveLink); // warm up the JIT, as for the kernel's side the kernel's code is warm
  await synack(paired);
  await kernel();
  const hs: Result[] = [];
  const ps: Result[] = [];
  const ks: Result[] = [];
  // alternate them so that load from elsewhere on the machine falls on all alike
  for (let i = 0; i < ROUNDS; i++) {
    hs.push(await synack(naiveLink));
    ps.push(await synack(paired));
    ks.push(await kernel());
  }
  const h = median(hs);
  const s = median(ps);
  const k = median(ks);
  const mibps = (r: Result): number => TOTAL / 2 ** 20 / (r.ms / 1000);
  return {
    columns: ['', 'time (ms)', 'MiB/s', "'data' chunks", 'mean chunk (KiB)'],
    rows: [
      ['synack ↔ synack (pairStacks: the offloads of lo)', s.ms, mibps(s), s.chunks, TOTAL / s.chunks / 1024],
      ['synack ↔ synack (by hand: setImmediate, checksums)', h.ms, mibps(h), h.chunks, TOTAL / h.chunks / 1024],
      ['Node net ↔ Node net (kernel loopback)', k.ms, mibps(k), k.chunks, TOTAL / k.chunks / 1024],
      ['ratio pairStacks / kernel (time)', s.ms / k.ms, '', '', ''],
      ['ratio by hand / kernel (time)', h.ms / k.ms, '', '', ''],
    ],
    notes: [`median of ${ROUNDS} alternating rounds; target ratio ≤ 1.5 for pairStacks (like-for-like: lo computes no checksums either)`],
  };
}
