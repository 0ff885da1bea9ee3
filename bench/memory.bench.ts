/**
 * Memory per idle ESTABLISHED connection: 10,000 connections with both ends held open, synack (both
 * stacks and both sockets in one process) against Node's net over the kernel loopback (server and
 * client in two processes, since one process may hold only 20,000 descriptors here). Each figure is
 * the growth of RSS, and of the V8 heap plus array buffers, from the same process before the
 * connections existed, after full collections, divided by the number of connections. The kernel's own
 * socket memory is not in any process's RSS, so Node's figure leaves it out: that flatters Node.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { SimNetwork } from '../src/index.js';
import type { BenchTable } from './index.js';

export const title = 'Memory per idle ESTABLISHED connection (10,000 connections, both ends)';

const SELF = fileURLToPath(import.meta.url);
const N = 10_000;

interface Mem {
  rss: number;
  heap: number;
  /** diagnostics only: V8's young generation (new space) committed, part of rss */
  young: number;
}

function measure(): Mem {
  const g = (globalThis as { gc?: () => void }).gc;
  g?.();
  g?.();
  const m = process.memoryUsage();
  const young = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')?.physical_space_size ?? 0;
  return { rss: m.rss, heap: m.heapUsed + m.arrayBuffers + m.external, young };
}

function delta(a: Mem, b: Mem): Mem {
  return { rss: (b.rss - a.rss) / N, heap: (b.heap - a.heap) / N, young: (b.young - a.young) / N };
}

async function synackChild(): Promise<Mem> {
  const sim = new SimNetwork({ clock: 'real' });
  const a = sim.host('10.0.0.1', { sysctl: { ip_local_port_range: '10000 60000' } });
  const b = sim.host('10.0.0.2');
  const held: unknown[] = [];
  b.net.createServer((s) => held.push(s)).listen(80, '10.0.0.2', 4096);
  await new Promise((r) => setTimeout(r, 50));
  const before = measure();
  for (let i = 0; i < N; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, N - i) }, () => new Promise<void>((resolve) => {
        const s = a.net.connect(80, '10.0.0.2', () => resolve());
        held.push(s);
      })),
    );
  }
  await new Promise((r) => setTimeout(r, 200));
  if (a.stateCounts().ESTABLISHED !== N || b.stateCounts().ESTABLISHED !== N) throw new Error('not all established');
  const after = measure();
  sim.close();
  return delta(before, after);
}

async function nodeServerChild(): Promise<void> {
  const held: net.Socket[] = [];
  let before: Mem | null = null;
  const srv = net.createServer((s) => {
    held.push(s);
    if (held.length === N) setTimeout(() => process.send!({ mem: delta(before!, measure()) }), 200);
  });
  srv.listen(0, '127.0.0.1', 4096, () => {
    before = measure();
    process.send!({ port: (srv.address() as net.AddressInfo).port });
  });
  process.on('message', () => process.exit(0));
}

async function nodeClientChild(port: number): Promise<Mem> {
  const held: net.Socket[] = [];
  const before = measure();
  for (let i = 0; i < N; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, N - i) }, () => new Promise<void>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve());
        s.on('error', reject);
        held.push(s);
      })),
    );
  }
  await new Promise((r) => setTimeout(r, 200));
  return delta(before, measure());
}

interface Child {
  result: Promise<Record<string, unknown>>;
  /** let the child exit (it holds its connections until then) */
  release(): void;
}

function runChild(args: string[], onMessage?: (m: Record<string, unknown>) => void): Child {
  const child = fork(SELF, args, { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const timer = setTimeout(() => child.kill(), 300_000);
  const result = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('message', (m: Record<string, unknown>) => {
      onMessage?.(m);
      if ('mem' in m) resolve(m);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`child ${args.join(' ')} exited with ${code}`));
    });
  });
  return {
    result,
    release: () => {
      clearTimeout(timer);
      if (child.connected) child.send('exit');
    },
  };
}

/** The kernel's slab memory (socket structures live there), from /proc/meminfo, in bytes. */
function slabBytes(): number {
  const m = /^Slab:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export async function run(): Promise<BenchTable> {
  const synackChild = runChild(['--synack']);
  const s = (await synackChild.result).mem as Mem;
  synackChild.release();
  const slabBefore = slabBytes();
  let client: Child | null = null;
  const server = runChild(['--node-server'], (m) => {
    if ('port' in m) client = runChild(['--node-client', String(m.port)]);
  });
  const srvMem = (await server.result).mem as Mem;
  const cliMem = (await client!.result).mem as Mem;
  // both hold their 10,000 sockets now: what did the kernel spend on them?
  const kernel = (slabBytes() - slabBefore) / N;
  server.release();
  client!.release();
  const node: Mem = { rss: srvMem.rss + cliMem.rss, heap: srvMem.heap + cliMem.heap, young: srvMem.young + cliMem.young };
  const kb = (x: number) => `${(x / 1024).toFixed(2)} KiB`;
  return {
    columns: ['per connection (both ends)', 'RSS growth', 'heap + buffers growth', 'kernel slab growth'],
    rows: [
      ['synack: two stacks, node:net-style sockets', kb(s.rss), kb(s.heap), '—'],
      ['Node net over kernel loopback (server + client processes)', kb(node.rss), kb(node.heap), kb(kernel)],
      ['ratio synack / Node (RSS; RSS + kernel slab)', s.rss / node.rss, s.heap / node.heap, s.rss / (node.rss + kernel)],
    ],
    notes: [
      'target: synack ≤ 0.5 × Node',
      "the kernel slab column is system-wide /proc/meminfo Slab growth while Node's 20,000 sockets are open (noisy if other work runs)",
      `of the RSS growth, V8's young generation (new space, grown while the connections were built and not shrunk by gc()): synack ${kb(s.young)}, Node ${kb(node.young)} (server + client)`,
    ],
  };
}

const mode = process.argv[2];
if (mode === '--synack') synackChild().then((mem) => process.send!({ mem }), (e) => { console.error(e); process.exit(1); });
if (mode === '--node-server') void nodeServerChild();
if (mode === '--node-client') nodeClientChild(Number(process.argv[3])).then((mem) => process.send!({ mem }), (e) => { console.error(e); process.exit(1); });
if (mode) process.on('message', () => process.exit(0));
