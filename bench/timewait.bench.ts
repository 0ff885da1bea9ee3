/**
 * 240,000 connections closed by the server land in TIME_WAIT (the article's 1,000 closes a second
 * for 240 s): the heap each TIME_WAIT record costs, the cost of a lookup at 240k entries against
 * at 1k, and whether expiry after 2MSL gives the memory back. Two stacks in one process, virtual
 * time, raw Stack API (no streams), so only the stack is measured. Runs in a child process with
 * --expose-gc so heap figures are taken after full collections.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import '../src/api/net.js';
import { Stack } from '../src/stack/stack.js';
import type { Conn } from '../src/stack/conn.js';
import { ipFromText } from '../src/stack/ip-addr.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import type { BenchTable } from './index.js';

export const title = 'TIME_WAIT at scale: 240,000 server-closed connections';

const SELF = fileURLToPath(import.meta.url);
const TOTAL = 240_000;
const PORTS = 4;
const BATCH = 4000;

function gc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers; // typed arrays live outside the V8 heap: count them too
}

function pair() {
  const clock = new VirtualClock();
  const big = { tcp_max_tw_buckets: 1_000_000, tcp_max_syn_backlog: 1_000_000, somaxconn: 1_000_000 };
  const server = new Stack({ addresses: ['10.0.0.2'], clock, seed: 1, sysctl: big });
  const client = new Stack({ addresses: ['10.0.0.1'], clock, seed: 2, sysctl: { ...big, ip_local_port_range: '1024 65535' } });
  client.on('packet', (p: Uint8Array) => {
    const c = p.slice();
    clock.defer(() => server.input(c));
  });
  server.on('packet', (p: Uint8Array) => {
    const c = p.slice();
    clock.defer(() => client.input(c));
  });
  for (let i = 0; i < PORTS; i++) {
    // an HTTP server with Connection: close: answer (here: nothing) and close first
    server.listen('10.0.0.2', 8000 + i, 65535, (conn: Conn) => {
      conn.tcb.close(clock.now());
      server.settle(conn);
    });
  }
  return { clock, server, client };
}

/** Open and close `n` connections; the client closes when it sees the server's FIN. */
function churn(p: ReturnType<typeof pair>, n: number): number {
  const { clock, client } = p;
  const remote = ipFromText('10.0.0.2')!;
  // a run of connections per server port: each gets its own walk through the ephemeral range
  const perPort = Math.ceil(n / PORTS);
  const start = performance.now();
  for (let done = 0; done < n; ) {
    const batch = Math.min(BATCH, n - done);
    for (let i = 0; i < batch; i++) {
      const conn = client.openConnection(remote, 8000 + Math.floor((done + i) / perPort));
      conn.user = {
        onEstablished() {},
        onWritable() {},
        onError() {},
        onClosed() {},
        onReadable() {
          if (conn.tcb.rcvClosed && conn.tcb.state === 'CLOSE_WAIT') {
            conn.tcb.close(clock.now());
            client.settle(conn);
          }
        },
      };
    }
    clock.advance(1);
    done += batch;
  }
  clock.advance(100);
  return performance.now() - start;
}

/** ns per lookup of existing TIME_WAIT 4-tuples, over `rounds` passes of a shuffled sample. */
function lookupCost(server: Stack): number {
  const tw = server.timeWait;
  const keys: number[] = [];
  for (const s of tw.slots()) keys.push(tw.localPort(s), tw.remotePort(s), tw.remote(s) as number);
  const n = keys.length / 3;
  const sample = 1000;
  const idx = Array.from({ length: sample }, (_, i) => Math.floor((i * 7919) % n));
  let found = 0;
  const rounds = 2000;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const i of idx) if (tw.lookup(0, keys[3 * i]!, keys[3 * i + 2]!, null, keys[3 * i + 1]!) >= 0) found++;
  }
  const ns = ((performance.now() - t0) * 1e6) / (rounds * sample);
  if (found !== rounds * sample) throw new Error(`lookup missed ${rounds * sample - found} entries`);
  return ns;
}

function child(): void {
  const small = pair();
  churn(small, 1000);
  const lookupSmall = lookupCost(small.server);
  const base = gc();
  const p = pair();
  const ms = churn(p, TOTAL);
  const tw = p.server.stateCounts().TIME_WAIT ?? 0;
  const clientLeft = p.client.connectionCount;
  const full = gc();
  const lookupBig = lookupCost(p.server);
  p.clock.advance(61_000);
  const after = gc();
  const left = p.server.stateCounts().TIME_WAIT ?? 0;
  process.stdout.write(
    JSON.stringify({ tw, clientLeft, ms, perEntry: (full - base) / tw, lookupSmall, lookupBig, left, baseMiB: base / 2 ** 20, fullMiB: full / 2 ** 20, afterMiB: after / 2 ** 20 }),
  );
}

export async function run(): Promise<BenchTable> {
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', SELF, '--child'], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  const m = JSON.parse(r.stdout) as Record<string, number>;
  return {
    columns: ['measure', 'value', 'target'],
    rows: [
      ['connections opened and closed (server closes first)', TOTAL, ''],
      ['server sockets in TIME_WAIT afterwards', m.tw!, TOTAL],
      ['wall time to make them (virtual clock, both stacks)', `${(m.ms! / 1000).toFixed(1)} s`, ''],
      ['memory per TIME_WAIT entry (heap + typed arrays)', `${m.perEntry!.toFixed(0)} B`, '≤ 100 B'],
      ['lookup at 1,000 entries', `${m.lookupSmall!.toFixed(0)} ns`, ''],
      ['lookup at 240,000 entries', `${m.lookupBig!.toFixed(0)} ns`, ''],
      ['lookup ratio 240k / 1k', m.lookupBig! / m.lookupSmall!, '≤ 1.5'],
      ['TIME_WAIT left 61 s later', m.left!, 0],
      ['heap: before / full / after expiry', `${m.baseMiB!.toFixed(1)} / ${m.fullMiB!.toFixed(1)} / ${m.afterMiB!.toFixed(1)} MiB`, 'after ≈ before'],
    ],
  };
}

if (process.argv.includes('--child')) child();
