/**
 * Bulk throughput: 1 GiB one way between two synack stacks in one process, joined by their packet
 * interface through `pairStacks` (link/pair.ts: the in-process link declares checksum offload and
 * GSO, and delivers in batches), at MTU 65535 and at MTU 1500, against Node's net over the kernel's
 * loopback moving the same bytes (the loopback's MTU is 65536 whatever synack's is), in one run,
 * rounds interleaved. The reader reads as fast as it can; the writer writes 64 KiB pieces and
 * honours backpressure.
 *
 *   BULK_MIB=256        move 256 MiB instead of 1 GiB (quick runs)
 *   BULK_ROUNDS=5       rounds of each (median reported; at least 5 for the published figures)
 *   BULK_LINK=naive     join the stacks as a hand-wired interface does instead: no offload, a copy
 *                       of each packet delivered by setImmediate (the figures issue 13 started from)
 */
import net from 'node:net';
import { Stack, pairStacks } from '../src/index.js';
import type { BenchTable } from './index.js';
import { naiveLink } from './naive-link.js';

export const title = 'Bulk throughput: one way, two stacks in one process vs Node net over the kernel loopback';

const TOTAL = Number(process.env.BULK_MIB ?? 1024) * 2 ** 20;
const ROUNDS = Math.max(1, Number(process.env.BULK_ROUNDS ?? 5));
const NAIVE = process.env.BULK_LINK === 'naive';
const WRITE = 64 * 1024;

/** Write TOTAL bytes in WRITE-sized pieces, honouring backpressure, then end. */
function send(s: net.Socket): void {
  const piece = Buffer.alloc(WRITE, 0x61);
  let left = TOTAL;
  const more = (): void => {
    while (left > 0) {
      left -= WRITE;
      if (left <= 0) return void s.end(piece);
      if (!s.write(piece)) return void s.once('drain', more);
    }
  };
  more();
}

/** Read everything; resolves with the elapsed ms. */
function read(s: net.Socket, start: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = 0;
    s.on('data', (d: Buffer) => {
      got += d.length;
    });
    s.on('end', () => (got === TOTAL ? resolve(performance.now() - start) : reject(new Error(`got ${got} of ${TOTAL}`))));
    s.on('error', reject);
  });
}


async function synack(mtu: number): Promise<number> {
  const a = new Stack({ addresses: ['10.0.0.1'], mtu });
  const b = new Stack({ addresses: ['10.0.0.2'], mtu });
  const link = NAIVE ? naiveLink(a, b) : pairStacks(a, b);
  const srv = b.net.createServer(send).listen(80);
  try {
    const start = performance.now();
    return await read(a.net.connect(80, '10.0.0.2'), start);
  } finally {
    srv.close();
    link.close();
    a.destroy();
    b.destroy();
  }
}

async function kernel(): Promise<number> {
  const srv = net.createServer(send);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const start = performance.now();
    return await read(net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1'), start);
  } finally {
    srv.close();
  }
}

function median(xs: number[]): number {
  return [...xs].sort((p, q) => p - q)[xs.length >> 1]!;
}

export async function run(): Promise<BenchTable> {
  // warm up the JIT, as for the kernel's side the kernel's code is warm
  await synack(65535);
  await synack(1500);
  await kernel();
  const big: number[] = [];
  const small: number[] = [];
  const ks: number[] = [];
  // alternate so that load from elsewhere on the machine falls on all alike
  for (let i = 0; i < ROUNDS; i++) {
    big.push(await synack(65535));
    ks.push(await kernel());
    small.push(await synack(1500));
  }
  const k = median(ks);
  const mbps = (ms: number): number => TOTAL / 1e6 / (ms / 1000);
  const link = NAIVE ? 'hand-wired: copy + setImmediate, no offload' : 'pairStacks: offload, batches';
  return {
    columns: ['', 'time (ms)', 'MB/s', 'ratio vs kernel (throughput)'],
    rows: [
      [`synack ↔ synack, MTU 65535 (${link})`, median(big), mbps(median(big)), k / median(big)],
      [`synack ↔ synack, MTU 1500 (${link})`, median(small), mbps(median(small)), k / median(small)],
      ['Node net ↔ Node net (kernel loopback, MTU 65536)', k, mbps(k), 1],
    ],
    notes: [`${TOTAL / 2 ** 20} MiB one way, median of ${ROUNDS} interleaved rounds; targets (issue 13): MTU 65535 ≥ 1.0×, MTU 1500 ≥ 0.5×`],
  };
}
