/**
 * Handshakes per second: connect, a 16-byte request, a 16-byte response, close — between two synack
 * stacks in one process on the simulated network (real clock, no impairment), against Node's net over
 * the kernel's loopback doing exactly the same, in the same run. The server closes first (as an HTTP
 * server with Connection: close), so each side's TIME_WAIT handling is part of the cost.
 */
import net from 'node:net';
import { SimNetwork } from '../src/index.js';
import type { BenchTable } from './index.js';

export const title = 'Handshakes per second: connect + 16 B request/response + close (64 concurrent)';

const CONCURRENCY = 64;
const DURATION_MS = 3000;
const REQUEST = Buffer.alloc(16, 0x71);
const RESPONSE = Buffer.alloc(16, 0x72);

type Connect = () => net.Socket; // synack's Socket satisfies net.Socket

/** Keep CONCURRENCY connection loops going for DURATION_MS; returns completed connections per second. */
async function drive(connect: Connect): Promise<{ perSecond: number; done: number; failed: number }> {
  let done = 0;
  let failed = 0;
  const start = performance.now();
  const deadline = start + DURATION_MS;
  const loop = async (): Promise<void> => {
    for (let i = 0; i < 1_000_000 && performance.now() < deadline; i++) {
      await new Promise<void>((resolve) => {
        const s = connect();
        let got = 0;
        s.on('connect', () => s.write(REQUEST));
        s.on('data', (d: Buffer) => {
          got += d.length;
        });
        s.on('error', () => {
          failed++;
        });
        s.on('close', () => {
          if (got === RESPONSE.length) done++;
          resolve();
        });
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return { perSecond: (done * 1000) / (performance.now() - start), done, failed };
}

function serve(socket: net.Socket): void {
  let got = 0;
  socket.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= REQUEST.length) socket.end(RESPONSE);
  });
  socket.on('error', () => {});
}

/** `offload`: the links declare what Linux's loopback does (no checksums), like for like with the kernel's side. */
async function synack(offload = false): Promise<{ perSecond: number; done: number; failed: number }> {
  const sim = new SimNetwork({ clock: 'real', offload });
  const client = sim.host('10.0.0.1');
  const server = sim.host('10.0.0.2');
  const srv = server.net.createServer(serve);
  srv.listen(80, '10.0.0.2', 4096);
  try {
    return await drive(() => client.net.connect(80, '10.0.0.2'));
  } finally {
    srv.close();
    sim.close();
  }
}

async function kernel(): Promise<{ perSecond: number; done: number; failed: number }> {
  const srv = net.createServer(serve);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', 4096, r));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    return await drive(() => net.connect(port, '127.0.0.1'));
  } finally {
    srv.close();
  }
}

const ROUNDS = 5;

function median(xs: { perSecond: number; done: number; failed: number }[]): { perSecond: number; done: number; failed: number } {
  return [...xs].sort((a, b) => a.perSecond - b.perSecond)[xs.length >> 1]!;
}

export async function run(): Promise<BenchTable> {
  await synack(); // warm up the JIT
  // alternate them so that load from elsewhere on the machine falls on all alike
  const ss: Awaited<ReturnType<typeof synack>>[] = [];
  const os: Awaited<ReturnType<typeof synack>>[] = [];
  const ks: Awaited<ReturnType<typeof kernel>>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ss.push(await synack());
    os.push(await synack(true));
    ks.push(await kernel());
  }
  const s = median(ss);
  const o = median(os);
  const k = median(ks);
  return {
    columns: ['', 'connections/s', 'completed', 'failed'],
    rows: [
      ['synack ↔ synack (simulated link, real clock)', s.perSecond, s.done, s.failed],
      ['synack ↔ synack (the same, offloads of lo declared)', o.perSecond, o.done, o.failed],
      ["Node net ↔ Node net (kernel loopback)", k.perSecond, k.done, k.failed],
      ['ratio synack / kernel', s.perSecond / k.perSecond, '', ''],
      ['ratio synack with offloads / kernel', o.perSecond / k.perSecond, '', ''],
    ],
    notes: [`median of ${ROUNDS} alternating rounds; ${CONCURRENCY} concurrent loops for ${DURATION_MS / 1000} s each; target ratio ≥ 4 (issue #13)`],
  };
}
