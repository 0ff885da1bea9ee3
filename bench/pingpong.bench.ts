/**
 * Latency: 64-byte ping-pong, 100,000 round trips with Nagle off, between two synack stacks in one
 * process joined by `pairStacks` (link/pair.ts), against Node's net over the kernel's loopback doing
 * exactly the same, in one run, rounds interleaved. The client sends 64 bytes; the server echoes
 * each 64 it has; the client sends the next once the echo is whole.
 *
 *   PINGPONG_TRIPS=20000   fewer round trips (quick runs)
 *   PINGPONG_ROUNDS=5      rounds of each (median reported)
 *   BULK_LINK=naive        hand-wired stacks (copy + setImmediate per packet, no offload) instead
 */
import net from 'node:net';
import { Stack, pairStacks } from '../src/index.js';
import type { BenchTable } from './index.js';
import { naiveLink } from './naive-link.js';

export const title = 'Latency: 64-byte ping-pong, Nagle off, two stacks in one process vs Node net over the kernel loopback';

const TRIPS = Number(process.env.PINGPONG_TRIPS ?? 100_000);
const ROUNDS = Math.max(1, Number(process.env.PINGPONG_ROUNDS ?? 5));
const NAIVE = process.env.BULK_LINK === 'naive';
const SIZE = 64;

/** Echo every whole 64 bytes back. */
function echo(s: net.Socket): void {
  s.setNoDelay(true);
  let held = 0;
  s.on('data', (d: Buffer) => {
    held += d.length;
    while (held >= SIZE) {
      held -= SIZE;
      s.write(d.length === SIZE ? d : d.subarray(0, SIZE));
    }
  });
  s.on('end', () => s.end());
  s.on('error', () => {});
}

/** TRIPS round trips; resolves with the elapsed ms. */
function ping(s: net.Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    s.setNoDelay(true);
    const msg = Buffer.alloc(SIZE, 0x70);
    let trips = 0;
    let held = 0;
    let start = 0;
    s.on('connect', () => {
      start = performance.now();
      s.write(msg);
    });
    s.on('data', (d: Buffer) => {
      held += d.length;
      while (held >= SIZE) {
        held -= SIZE;
        if (++trips === TRIPS) {
          const ms = performance.now() - start;
          s.end();
          return resolve(ms);
        }
        s.write(msg);
      }
    });
    s.on('error', reject);
  });
}


async function synack(): Promise<number> {
  const a = new Stack({ addresses: ['10.0.0.1'], mtu: 65535 });
  const b = new Stack({ addresses: ['10.0.0.2'], mtu: 65535 });
  const link = NAIVE ? naiveLink(a, b) : pairStacks(a, b);
  const srv = b.net.createServer(echo).listen(7);
  try {
    return await ping(a.net.connect(7, '10.0.0.2'));
  } finally {
    srv.close();
    link.close();
    a.destroy();
    b.destroy();
  }
}

async function kernel(): Promise<number> {
  const srv = net.createServer(echo);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    return await ping(net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1'));
  } finally {
    srv.close();
  }
}

function median(xs: number[]): number {
  return [...xs].sort((p, q) => p - q)[xs.length >> 1]!;
}

export async function run(): Promise<BenchTable> {
  await synack(); // warm up the JIT, as the kernel's code is warm
  await kernel();
  const ss: number[] = [];
  const ks: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ss.push(await synack());
    ks.push(await kernel());
  }
  const s = median(ss);
  const k = median(ks);
  const us = (ms: number): number => (ms * 1000) / TRIPS;
  const link = NAIVE ? 'hand-wired: copy + setImmediate, no offload' : 'pairStacks';
  return {
    columns: ['', 'time (ms)', 'µs per round trip', 'ratio vs kernel (time)'],
    rows: [
      [`synack ↔ synack (${link})`, s, us(s), s / k],
      ['Node net ↔ Node net (kernel loopback)', k, us(k), 1],
    ],
    notes: [`${TRIPS.toLocaleString('en-US')} round trips of ${SIZE} B, median of ${ROUNDS} interleaved rounds; target (issue 13): ≤ 1.0× the kernel's time`],
  };
}
