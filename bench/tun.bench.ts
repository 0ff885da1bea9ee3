/**
 * synack on a real link: `synack serve` on a TUN device with the kernel as the peer, against the
 * kernel talking to itself over a veth pair between two namespaces, in the same run.
 *
 *  - Bulk in: a kernel client (Node's net) streams for 3 s into `discard`; MB/s counted until the
 *    close completes. Baseline: the same client into a Node net discard server over veth.
 *  - Bulk out: a kernel client reads `chargen` for 3 s. Baseline: the same client reading a Node
 *    net server that runs chargen's own loop (services/chargen.ts) over veth.
 *  - HTTP: `wrk -c32 -d5s` against synack's http service (its own HTTP/1.1 server,
 *    services/http-server.ts) `GET /` over TUN, and against nginx (Debian's, one worker, same page
 *    bytes) over veth; keep-alive, and `Connection: close` (every request a new connection, the
 *    server closing first and holding TIME_WAIT).
 *  - For context only (the baseline and the target stay nginx): node:http with the same handler
 *    (services/node-http.ts's `handle`) twice: over synack as the node-http service (port 8080,
 *    same TUN device), and over the kernel across the same veth pair, so node:http over both stacks
 *    stays visible apples to apples.
 *
 * SYNACK_TUN_BENCH=http runs the HTTP rows only (nothing else changes for them).
 *
 * Needs root, /dev/net/tun, iproute2 and wrk; installs nginx-light from Debian if it is missing.
 * Everything runs in namespaces made here (10.99.0.x over TUN, 10.97.0.x over veth) and is torn
 * down afterwards; every process is killed by PID.
 */
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOME_PAGE } from '../src/services/http.js';
import type { BenchTable } from './index.js';
import { BULK_CLIENT } from './bulk-client.js';
import { spawnInNs } from './netns-spawn.js';

export const title = 'On a real link: synack over TUN vs the kernel over veth (bulk MB/s, HTTP requests/s)';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const TAG = `synack-bench-${process.pid}`;
const NS_TUN = `${TAG}-tun`;
const NS_A = `${TAG}-a`;
const NS_B = `${TAG}-b`;


const CHARGEN_CLIENT = `
import net from 'node:net';
const t0 = performance.now();
let got = 0;
const s = net.connect({ host: process.env.HOST, port: 19 });
s.on('data', (d) => { got += d.length; if (performance.now() - t0 > Number(process.env.MS)) s.destroy(); });
s.on('close', () => console.log(JSON.stringify({ bytes: got, ms: performance.now() - t0 })));
s.on('error', (e) => { console.log(JSON.stringify({ error: e.code || e.message })); process.exit(1); });
`;

// chargen as services/chargen.ts writes it (the same pattern, 16 chunks per turn), on node:net
const CHARGEN_SERVER = `
import net from 'node:net';
import { chargenPattern } from ${JSON.stringify(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'services', 'chargen.js'))};
const PATTERN = chargenPattern();
net.createServer((s) => {
  let stopped = false, scheduled = false;
  const pump = () => {
    scheduled = false;
    for (let i = 0; i < 16; i++) { if (stopped || s.destroyed || !s.writable) return; if (!s.write(PATTERN)) return; }
    if (!scheduled) { scheduled = true; setImmediate(pump); }
  };
  s.on('drain', pump);
  s.on('end', () => { stopped = true; s.end(); });
  s.on('close', () => { stopped = true; });
  s.on('error', () => { stopped = true; });
  s.on('data', () => {});
  pump();
}).listen(19, '0.0.0.0', () => console.log('ready'));
`;

const DISCARD_SERVER = `
import net from 'node:net';
net.createServer((s) => { s.resume(); s.on('end', () => s.end()); s.on('error', () => {}); }).listen(9, '0.0.0.0', () => console.log('ready'));
`;

// the same server as synack's node-http service, on Node's own net (the kernel's TCP)
const NODE_HTTP_PORT = 8080;
const NODE_HTTP_SERVER = `
import http from 'node:http';
import { handle, HTTP_SERVER_OPTIONS } from ${JSON.stringify(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'services', 'node-http.js'))};
http.createServer(HTTP_SERVER_OPTIONS, handle).listen(${NODE_HTTP_PORT}, '10.97.0.2', () => console.log('ready'));
`;

const children: ChildProcess[] = [];

function sh(argv: string[], timeoutMs = 30_000): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function inNs(ns: string, argv: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('ip', ['netns', 'exec', ns, ...argv], {
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 60_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, ...opts.env },
      maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout, stderr) => (err ? reject(new Error(`${argv.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
    children.push(child);
  });
}

const startInNs = (ns: string, argv: string[], ready: RegExp | null): Promise<ChildProcess> => spawnInNs(children, ns, argv, ready, {}, 20_000);

function unavailable(): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  for (const t of ['ip', 'wrk']) if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) return `${t} is not installed`;
  return null;
}

/** Debian's nginx, installed without starting the packaged service (policy-rc.d says no). */
function ensureNginx(): string {
  const have = spawnSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx'], { encoding: 'utf8' });
  if (have.status === 0) return have.stdout.trim().split('\n')[0]!;
  const policy = '/usr/sbin/policy-rc.d';
  const ours = !existsSync(policy);
  if (ours) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 300_000 });
    sh(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', 'nginx-light'], 600_000);
  } finally {
    if (ours) rmSync(policy, { force: true });
  }
  return '/usr/sbin/nginx';
}

function setUp(): void {
  for (const ns of [NS_TUN, NS_A, NS_B]) {
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  sh(['ip', 'link', 'add', 'vb0', 'netns', NS_A, 'type', 'veth', 'peer', 'name', 'vb1', 'netns', NS_B]);
  sh(['ip', '-n', NS_A, 'addr', 'add', '10.97.0.1/24', 'dev', 'vb0']);
  sh(['ip', '-n', NS_B, 'addr', 'add', '10.97.0.2/24', 'dev', 'vb1']);
  sh(['ip', '-n', NS_A, 'link', 'set', 'vb0', 'up']);
  sh(['ip', '-n', NS_B, 'link', 'set', 'vb1', 'up']);
  // the load generator's side, both runs: let connect() reuse its own TIME_WAIT ports (as load
  // generators are set up). Without it, once the server's FIN and the client's close cross (both
  // then hold TIME_WAIT), wrk runs out of its 28k ephemeral ports within seconds and measures
  // the 60 s TIME_WAIT expiry (~470 connections/s) instead of either stack
  for (const ns of [NS_TUN, NS_A]) sh(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=1']);
}

async function tearDown(): Promise<void> {
  const pids = new Set<number>();
  for (const c of children) if (c.exitCode === null && c.pid) pids.add(c.pid);
  // and what those started in our namespaces (nginx's workers outlive a killed master)
  for (const ns of [NS_TUN, NS_A, NS_B]) {
    const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
    for (const p of (r.stdout ?? '').split('\n').filter(Boolean)) pids.add(Number(p));
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await new Promise((r) => setTimeout(r, 200));
  for (const ns of [NS_TUN, NS_A, NS_B]) spawnSync('ip', ['netns', 'del', ns]);
}

/** One measured run: the rate, and the CPU the server side spent per unit moved (ms per MB or per 1k requests). */
type Run = { rate: number; cpuPerUnit: number };

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** user + system CPU time of these processes (all their threads), in ms, from /proc/PID/stat */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
    } catch {
      /* gone */
    }
  }
  return (ticks * 1000) / CLK_TCK;
}

/** the server processes of a run: synack's `serve`, or everything in the kernel baseline's namespace */
let serverPids: (side: 'synack' | 'kernel') => number[] = () => [];

/**
 * Run a client in `ns` and measure, with it, the CPU the server side spends meanwhile: returns the
 * client's output and the client's + the server's CPU in ms. Both count, because each side's
 * kernel work runs in whichever process's syscall gets to it (veth delivers in the sender's, TUN in
 * the writer's), so only the sum compares the two paths. The client's own time is its shell's
 * cutime + cstime once it has been waited for.
 */
async function measured(ns: string, argv: string[], side: 'synack' | 'kernel', opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ out: string; cpu: number }> {
  const pids = serverPids(side);
  const cpu0 = cpuMs(pids);
  const out = await inNs(ns, ['sh', '-c', '"$@"; read s < /proc/$$/stat; echo "CPUSTAT $s"', 'sh', ...argv], opts);
  const server = cpuMs(pids) - cpu0;
  const stat = /CPUSTAT .*\) (.*)/.exec(out)?.[1]?.split(' ') ?? [];
  const client = ((Number(stat[13]) + Number(stat[14])) * 1000) / CLK_TCK;
  return { out, cpu: server + (Number.isFinite(client) ? client : NaN) };
}

async function bulk(ns: string, host: string, side: 'synack' | 'kernel', client = BULK_CLIENT): Promise<Run> {
  const { out, cpu } = await measured(ns, [process.execPath, '--input-type=module', '-e', client], side, { env: { HOST: host, PORT: '9', MS: '3000' } });
  const r = JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as { bytes: number; ms: number };
  return { rate: r.bytes / 1e6 / (r.ms / 1000), cpuPerUnit: cpu / (r.bytes / 1e6) };
}

const ROUNDS = 5;

type Wrk = { rps: number; errors: string; cpuPerUnit: number };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function medianWrk(xs: Wrk[]): Wrk {
  const m = median(xs.map((x) => x.rps));
  return { rps: m, errors: xs.map((x) => x.errors).filter(Boolean).join('; '), cpuPerUnit: median(xs.map((x) => x.cpuPerUnit)) };
}

function medianRun(xs: Run[]): Run {
  return { rate: median(xs.map((x) => x.rate)), cpuPerUnit: median(xs.map((x) => x.cpuPerUnit)) };
}

async function wrk(ns: string, url: string, close: boolean, side: 'synack' | 'kernel'): Promise<Wrk> {
  const { out, cpu } = await measured(ns, ['wrk', '-c32', '-d5s', ...(close ? ['-H', 'Connection: close'] : []), url], side, { timeoutMs: 30_000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const errors = /Socket errors: (.*)/.exec(out)?.[1] ?? '';
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  return { rps, errors: [errors, non2xx ? `non-2xx ${non2xx}` : ''].filter(Boolean).join('; '), cpuPerUnit: cpu / (requests / 1000) };
}

export async function run(): Promise<BenchTable> {
  const why = unavailable();
  if (why) return { columns: ['skipped'], rows: [[why]] };
  const nginx = ensureNginx();
  const dir = mkdtempSync(join(tmpdir(), 'synack-bench-'));
  chmodSync(dir, 0o755); // nginx's workers run as nobody and must read the page
  setUp();
  try {
    const serve = await startInNs(NS_TUN, [process.execPath, CLI, 'serve', '--tun', 'synack0', '--ip', '10.99.0.2', '--peer-ip', '10.99.0.1/24', '--services', 'discard,chargen,http,node-http'], /synack serve:/);
    await startInNs(NS_B, [process.execPath, '--input-type=module', '-e', DISCARD_SERVER], /ready/);
    await startInNs(NS_B, [process.execPath, '--input-type=module', '-e', CHARGEN_SERVER], /ready/);
    writeFileSync(join(dir, 'index.html'), HOME_PAGE);
    writeFileSync(
      join(dir, 'nginx.conf'),
      `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents { worker_connections 4096; }\n` +
        `http { access_log off; keepalive_requests 1000000; default_type text/html;\n` +
        `  server { listen 10.97.0.2:80; root ${dir}; location / { index index.html; } } }\n`,
    );
    await startInNs(NS_B, [nginx, '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], null);
    // nginx prints nothing when ready: wait until it answers
    for (let i = 0; i < 50; i++) {
      const r = spawnSync('ip', ['netns', 'exec', NS_A, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.97.0.2/'], { encoding: 'utf8' });
      if (r.stdout === '200') break;
      await new Promise((res) => setTimeout(res, 100));
    }

    await startInNs(NS_B, [process.execPath, '--input-type=module', '-e', NODE_HTTP_SERVER], /ready/);

    serverPids = (side) =>
      side === 'synack'
        ? [serve.pid!]
        : (spawnSync('ip', ['netns', 'pids', NS_B], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean).map(Number);
    const httpOnly = process.env.SYNACK_TUN_BENCH === 'http';
    const SYNACK_URL = 'http://10.99.0.2/';
    const NGINX_URL = 'http://10.97.0.2/';
    const NODE_URL = `http://10.97.0.2:${NODE_HTTP_PORT}/`;
    const SYNACK_NODE_URL = `http://10.99.0.2:${NODE_HTTP_PORT}/`; // the node-http service
    if (!httpOnly) {
      await bulk(NS_TUN, '10.99.0.2', 'synack'); // warm up synack's JIT
      await bulk(NS_TUN, '10.99.0.2', 'synack', CHARGEN_CLIENT);
    }
    await wrk(NS_TUN, SYNACK_URL, false, 'synack');
    await wrk(NS_A, NODE_URL, false, 'kernel'); // and node:http's
    // five rounds (the issue asks for medians of at least five), synack and the kernel alternating, and the median of each: the machine is shared
    const runs = {
      bulkS: [] as Run[], bulkK: [] as Run[], outS: [] as Run[], outK: [] as Run[],
      kaS: [] as Wrk[], kaK: [] as Wrk[], kaN: [] as Wrk[], clS: [] as Wrk[], clK: [] as Wrk[], clN: [] as Wrk[],
      kaSN: [] as Wrk[], clSN: [] as Wrk[],
    };
    for (let round = 0; round < ROUNDS; round++) {
      if (!httpOnly) {
        runs.bulkS.push(await bulk(NS_TUN, '10.99.0.2', 'synack'));
        runs.bulkK.push(await bulk(NS_A, '10.97.0.2', 'kernel'));
        runs.outS.push(await bulk(NS_TUN, '10.99.0.2', 'synack', CHARGEN_CLIENT));
        runs.outK.push(await bulk(NS_A, '10.97.0.2', 'kernel', CHARGEN_CLIENT));
      }
      runs.kaS.push(await wrk(NS_TUN, SYNACK_URL, false, 'synack'));
      runs.kaK.push(await wrk(NS_A, NGINX_URL, false, 'kernel'));
      runs.kaN.push(await wrk(NS_A, NODE_URL, false, 'kernel'));
      runs.clS.push(await wrk(NS_TUN, SYNACK_URL, true, 'synack'));
      runs.clK.push(await wrk(NS_A, NGINX_URL, true, 'kernel'));
      runs.clN.push(await wrk(NS_A, NODE_URL, true, 'kernel'));
    }
    // node:http over synack, after the rounds above: its load (more garbage than the http
    // service's) comes after every bulk run, which therefore meets the same heap as before
    await wrk(NS_TUN, SYNACK_NODE_URL, false, 'synack'); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      runs.kaSN.push(await wrk(NS_TUN, SYNACK_NODE_URL, false, 'synack'));
      runs.clSN.push(await wrk(NS_TUN, SYNACK_NODE_URL, true, 'synack'));
    }
    const kaS = medianWrk(runs.kaS);
    const kaK = medianWrk(runs.kaK);
    const kaN = medianWrk(runs.kaN);
    const clS = medianWrk(runs.clS);
    const clK = medianWrk(runs.clK);
    const clN = medianWrk(runs.clN);
    const kaSN = medianWrk(runs.kaSN);
    const clSN = medianWrk(runs.clSN);
    const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
    const bulkRows: (string | number)[][] = [];
    if (!httpOnly) {
      const bulkS = medianRun(runs.bulkS);
      const bulkK = medianRun(runs.bulkK);
      const outS = medianRun(runs.outS);
      const outK = medianRun(runs.outK);
      bulkRows.push(
        ['bulk into discard, MB/s', bulkS.rate, bulkK.rate, ratio(bulkS.rate, bulkK.rate), '≥ 0.8×', ratio(bulkS.cpuPerUnit, bulkK.cpuPerUnit)],
        ['bulk out of chargen, MB/s', outS.rate, outK.rate, ratio(outS.rate, outK.rate), '', ratio(outS.cpuPerUnit, outK.cpuPerUnit)],
      );
    }
    return {
      columns: ['', 'synack over TUN', 'kernel over veth', 'ratio', 'target', 'CPU per unit, synack / kernel'],
      rows: [
        ...bulkRows,
        ['HTTP GET / keep-alive, requests/s', kaS.rps, kaK.rps, ratio(kaS.rps, kaK.rps), '≥ 1.0×', ratio(kaS.cpuPerUnit, kaK.cpuPerUnit)],
        ['HTTP GET / Connection: close, requests/s', clS.rps, clK.rps, ratio(clS.rps, clK.rps), '≥ 1.0×', ratio(clS.cpuPerUnit, clK.cpuPerUnit)],
        ['  context, not the baseline: node:http over synack (node-http service) vs over the kernel, keep-alive', kaSN.rps, kaN.rps, ratio(kaSN.rps, kaN.rps), '', ratio(kaSN.cpuPerUnit, kaN.cpuPerUnit)],
        ['  context, not the baseline: node:http over synack (node-http service) vs over the kernel, close', clSN.rps, clN.rps, ratio(clSN.rps, clN.rps), '', ratio(clSN.cpuPerUnit, clN.cpuPerUnit)],
      ],
      notes: [
        `median of ${ROUNDS} rounds, synack and the kernel alternating; ${httpOnly ? 'HTTP rows only (SYNACK_TUN_BENCH=http); ' : 'bulk: 3 s per run, '}HTTP: wrk -c32 -d5s GET / (${Buffer.byteLength(HOME_PAGE)} B page)`,
        'kernel baseline: a Node net discard server, a Node net chargen server and nginx (1 worker) in a second namespace, across a veth pair',
        "context rows: node:http with the same handler and server options (services/node-http.ts) over synack (the node-http service in the same `synack serve`, port 8080) against node:http over the kernel (one Node process in the baseline's namespace, same veth pair); their ratios are node:http over synack / over the kernel; node:http over synack runs its five rounds after the others (so the bulk rows meet the same heap as before it was added). The target stays nginx's",
        "synack's TUN device carries the virtio-net header: TCP checksums left to the kernel both ways, 64 KiB segments unsegmented both ways (TSO/GSO), as veth has them",
        'CPU per unit: user + system time of the client and the server processes (/proc/PID/stat: the client, and synack serve or everything in the baseline namespace) per MB or per 1k requests, median; lower is better; it moves less than the rates when the machine is shared',
        `CPU per 1k requests (client + server, ms): synack http ${kaS.cpuPerUnit.toFixed(1)} / nginx ${kaK.cpuPerUnit.toFixed(1)} / node:http over synack ${kaSN.cpuPerUnit.toFixed(1)} / node:http over the kernel ${kaN.cpuPerUnit.toFixed(1)} keep-alive; synack http ${clS.cpuPerUnit.toFixed(1)} / nginx ${clK.cpuPerUnit.toFixed(1)} / node:http over synack ${clSN.cpuPerUnit.toFixed(1)} / node:http over the kernel ${clN.cpuPerUnit.toFixed(1)} close`,
        'client namespaces run with net.ipv4.tcp_tw_reuse=1, so Connection: close measures the servers, not ephemeral-port exhaustion',
        "synack: one Node process, `synack serve` (stack + the http service's own HTTP/1.1 server, and node:http as node-http) on a TUN device; clients are the kernel in both cases",
        ...[kaS, kaK, kaN, clS, clK, clN, kaSN, clSN]
          .map((r, i) => (r.errors ? `wrk ${['synack keep-alive', 'nginx keep-alive', 'node:http keep-alive', 'synack close', 'nginx close', 'node:http close', 'node:http over synack keep-alive', 'node:http over synack close'][i]}: ${r.errors}` : ''))
          .filter(Boolean),
      ],
    };
  } finally {
    await tearDown();
    rmSync(dir, { recursive: true, force: true });
  }
}
