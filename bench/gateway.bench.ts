/**
 * `synack gateway` against the kernel routing the same traffic, in the same run:
 *
 *   guest ns ──TUN── synack gateway (gateway ns) ──veth── server ns      through synack
 *   client ns ──veth── router ns (ip_forward=1) ──veth── server ns       routed by the kernel
 *
 * One server namespace serves both paths (nginx, or a Node http server without it; a Node discard
 * server), so only the path differs. Measured, alternating synack and the kernel, median of three
 * rounds: bulk MB/s from a Node client into discard; HTTP requests/s with wrk, keep-alive and
 * `Connection: close`; connections/s opened and closed (connect, FIN, close) by a Node client with
 * 16 in flight; and the gateway process's RSS growth per idle relayed connection (1,000 held).
 *
 * Needs root, /dev/net/tun and iproute2; wrk for the HTTP rows. Everything runs in namespaces made
 * here (10.0.2.x guest, 10.98.0.x gateway–server, 10.96.x routed) and is deleted afterwards; every
 * process is killed by PID.
 */
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOME_PAGE } from '../src/services/http.js';
import type { BenchTable } from './index.js';
import { BULK_CLIENT } from './bulk-client.js';
import { spawnInNs } from './netns-spawn.js';

export const title = 'synack gateway: a guest namespace relayed through synack vs the kernel routing (bulk, HTTP, connections/s, memory)';

const ROOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT_DIR, 'dist', 'src', 'cli', 'main.js');
const TAG = `sgwb-${process.pid}`;
const NS = { guest: `${TAG}-guest`, gw: `${TAG}-gw`, client: `${TAG}-client`, router: `${TAG}-router`, server: `${TAG}-server` };
const ROUNDS = 3;
const SECONDS = 3;


/** connect, end, wait for close; 16 at a time for MS ms */
const CONN_CLIENT = `
import net from 'node:net';
const t0 = performance.now();
let done = 0, errors = 0, live = 0;
const next = () => {
  if (performance.now() - t0 > Number(process.env.MS)) { if (live === 0) finish(); return; }
  live++;
  const s = net.connect({ host: process.env.HOST, port: 9 }, () => s.end());
  s.resume();
  s.on('error', () => errors++);
  s.on('close', () => { live--; done++; next(); });
};
let finished = false;
const finish = () => { if (finished) return; finished = true; console.log(JSON.stringify({ done, errors, ms: performance.now() - t0 })); };
for (let i = 0; i < 16; i++) next();
`;

/** N idle connections held open until stdin ends */
const HOLD_CLIENT = `
import net from 'node:net';
const n = Number(process.env.N);
const held = [];
let open = 0;
for (let i = 0; i < n; i++) {
  const s = net.connect({ host: process.env.HOST, port: 9 }, () => { if (++open === n) console.log('open ' + n); });
  s.on('error', (e) => { console.log('error ' + e.code); process.exit(1); });
  held.push(s);
}
process.stdin.resume();
process.stdin.on('end', () => { for (const s of held) s.destroy(); process.exit(0); });
`;

/**
 * For the memory row: the gateway library alone on a TUN device moved into the guest namespace,
 * in a process started with --expose-gc; on "measure" it collects twice and prints its memory.
 */
const MEM_GATEWAY = `
const root = process.env.ROOT;
const { Stack, createGateway, attachTun } = await import(root + '/dist/src/index.js');
const { TunDevice } = await import(root + '/dist/src/link/tun.js');
const { moveIntoGuestNetns } = await import(root + '/dist/src/cli/gateway-netns.js');
const stack = new Stack({ addresses: ['10.0.2.2'] });
const gw = createGateway(stack, { policy: { rules: [{ action: 'allow', match: '10.98.0.0/24' }] } });
attachTun(stack, TunDevice.open('sgm0', { mode: 'tun' }));
moveIntoGuestNetns({ netns: process.env.GUEST, ifname: 'sgm0', cidrs: ['10.0.2.15/24'], gateways: ['10.0.2.2'] });
const measure = () => {
  globalThis.gc(); globalThis.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers, flows: gw.size.tcp };
};
console.log('ready');
process.stdin.setEncoding('utf8').on('data', (d) => { if (d.includes('measure')) console.log(JSON.stringify(measure())); });
`;

const DISCARD_SERVER = `
import net from 'node:net';
net.createServer((s) => { s.resume(); s.on('end', () => s.end()); s.on('error', () => {}); }).listen(9, '0.0.0.0', 4096, () => console.log('ready'));
`;

const NODE_HTTP = `
import http from 'node:http';
const page = process.env.PAGE;
http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) }); res.end(page); })
  .listen(80, '0.0.0.0', 4096, () => console.log('ready'));
`;

const children: ChildProcess[] = [];

function sh(argv: string[], timeoutMs = 30_000): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function inNs(ns: string, argv: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'ip',
      ['netns', 'exec', ns, ...argv],
      { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL', env: { ...process.env, ...opts.env }, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`${argv.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)),
    );
    children.push(child);
  });
}

const startInNs = (ns: string, argv: string[], ready: RegExp | null, env: Record<string, string> = {}): Promise<ChildProcess> =>
  spawnInNs(children, ns, argv, ready, env);

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]).status === 0;
}

function unavailable(): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  if (!has('ip')) return 'ip (iproute2) is not installed';
  return null;
}

function veth(a: string, aName: string, aCidr: string, b: string, bName: string, bCidr: string): void {
  sh(['ip', 'link', 'add', aName, 'netns', a, 'type', 'veth', 'peer', 'name', bName, 'netns', b]);
  sh(['ip', '-n', a, 'addr', 'add', aCidr, 'dev', aName]);
  sh(['ip', '-n', b, 'addr', 'add', bCidr, 'dev', bName]);
  sh(['ip', '-n', a, 'link', 'set', aName, 'up']);
  sh(['ip', '-n', b, 'link', 'set', bName, 'up']);
}

function setUp(): void {
  for (const ns of Object.values(NS)) {
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  veth(NS.gw, 'vg0', '10.98.0.1/24', NS.server, 'vs0', '10.98.0.2/24');
  veth(NS.client, 'vc0', '10.96.0.2/24', NS.router, 'vr0', '10.96.0.1/24');
  veth(NS.router, 'vr1', '10.96.1.1/24', NS.server, 'vs1', '10.96.1.2/24');
  sh(['ip', '-n', NS.client, 'route', 'add', 'default', 'via', '10.96.0.1']);
  sh(['ip', '-n', NS.server, 'route', 'add', '10.96.0.0/24', 'via', '10.96.1.1']);
  sh(['ip', 'netns', 'exec', NS.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  // load generators reuse their own TIME_WAIT ports (see tun.bench.ts): measure the paths, not port exhaustion
  for (const ns of [NS.guest, NS.client, NS.gw]) sh(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=1']);
}

async function tearDown(): Promise<void> {
  const pids = new Set<number>();
  for (const c of children) if (c.exitCode === null && c.pid) pids.add(c.pid);
  for (const ns of Object.values(NS)) {
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
  for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns]);
}

async function bulk(ns: string, host: string): Promise<number> {
  const out = await inNs(ns, [process.execPath, '--input-type=module', '-e', BULK_CLIENT], { env: { HOST: host, PORT: '9', MS: String(SECONDS * 1000) } });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { bytes: number; ms: number };
  return r.bytes / 1e6 / (r.ms / 1000);
}

async function connRate(ns: string, host: string): Promise<{ rate: number; errors: number }> {
  const out = await inNs(ns, [process.execPath, '--input-type=module', '-e', CONN_CLIENT], { env: { HOST: host, MS: String(SECONDS * 1000) } });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { done: number; errors: number; ms: number };
  return { rate: r.done / (r.ms / 1000), errors: r.errors };
}

async function wrk(ns: string, url: string, close: boolean): Promise<number> {
  const out = await inNs(ns, ['wrk', '-c32', `-d${SECONDS}s`, ...(close ? ['-H', 'Connection: close'] : []), url], { timeoutMs: 30_000 });
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
}

/** The memory of a fresh gateway (MEM_GATEWAY) per idle relayed connection, `n` held: heap and RSS, after full collections. */
async function memoryPerConnection(n: number): Promise<{ heap: number; rss: number }> {
  const gw = await startInNs(NS.gw, [process.execPath, '--expose-gc', '--input-type=module', '-e', MEM_GATEWAY], /ready/, { ROOT: ROOT_DIR, GUEST: NS.guest });
  let out = '';
  gw.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const measure = async (): Promise<{ rss: number; heap: number; flows: number }> => {
    const from = out.length;
    gw.stdin!.write('measure\n');
    for (let i = 0; i < 100 && !out.slice(from).includes('}'); i++) await new Promise((r) => setTimeout(r, 50));
    return JSON.parse(out.slice(from).trim().split('\n')[0]!) as { rss: number; heap: number; flows: number };
  };
  await new Promise((r) => setTimeout(r, 300));
  const before = await measure();
  const holder = await startInNs(NS.guest, [process.execPath, '--input-type=module', '-e', HOLD_CLIENT], /open \d+|error/, { HOST: '10.98.0.2', N: String(n) });
  await new Promise((r) => setTimeout(r, 500));
  const after = await measure();
  holder.stdin!.end();
  await new Promise((r) => holder.once('exit', r));
  if (after.flows !== n) throw new Error(`${after.flows} relayed flows held, not ${n}`);
  return { heap: (after.heap - before.heap) / n, rss: (after.rss - before.rss) / n };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<BenchTable> {
  const why = unavailable();
  if (why) return { columns: ['skipped'], rows: [[why]] };
  const withWrk = has('wrk');
  const nginx = has('nginx') ? (spawnSync('sh', ['-c', 'command -v nginx || echo /usr/sbin/nginx'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] ?? null) : null;
  const dir = mkdtempSync(join(tmpdir(), 'synack-gwbench-'));
  chmodSync(dir, 0o755);
  setUp();
  try {
    await startInNs(NS.server, [process.execPath, '--input-type=module', '-e', DISCARD_SERVER], /ready/);
    writeFileSync(join(dir, 'index.html'), HOME_PAGE);
    if (nginx) {
      writeFileSync(
        join(dir, 'nginx.conf'),
        `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents { worker_connections 4096; }\n` +
          `http { access_log off; keepalive_requests 1000000; default_type text/html;\n  server { listen 80 backlog=4096; root ${dir}; location / { index index.html; } } }\n`,
      );
      await startInNs(NS.server, [nginx, '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], null);
    } else {
      await startInNs(NS.server, [process.execPath, '--input-type=module', '-e', NODE_HTTP], /ready/, { PAGE: HOME_PAGE });
    }
    const gateway = await startInNs(
      NS.gw,
      [process.execPath, CLI, 'gateway', '--tun', 'sgb0', '--ip', '10.0.2.2', '--guest-netns', NS.guest, '--guest-ip', '10.0.2.15/24', '--allow', '10.98.0.0/24', '--no-dns'],
      /synack gateway:/,
    );
    for (let i = 0; i < 50; i++) {
      const r = spawnSync('ip', ['netns', 'exec', NS.client, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.96.1.2/'], { encoding: 'utf8' });
      if (r.stdout === '200') break;
      await new Promise((res) => setTimeout(res, 100));
    }

    await bulk(NS.guest, '10.98.0.2'); // warm up synack's JIT
    const runs = { bulkS: [] as number[], bulkK: [] as number[], kaS: [] as number[], kaK: [] as number[], clS: [] as number[], clK: [] as number[], cS: [] as number[], cK: [] as number[] };
    let connErrors = 0;
    for (let round = 0; round < ROUNDS; round++) {
      runs.bulkS.push(await bulk(NS.guest, '10.98.0.2'));
      runs.bulkK.push(await bulk(NS.client, '10.96.1.2'));
      if (withWrk) {
        runs.kaS.push(await wrk(NS.guest, 'http://10.98.0.2/', false));
        runs.kaK.push(await wrk(NS.client, 'http://10.96.1.2/', false));
        runs.clS.push(await wrk(NS.guest, 'http://10.98.0.2/', true));
        runs.clK.push(await wrk(NS.client, 'http://10.96.1.2/', true));
      }
      const s = await connRate(NS.guest, '10.98.0.2');
      const k = await connRate(NS.client, '10.96.1.2');
      runs.cS.push(s.rate);
      runs.cK.push(k.rate);
      connErrors += s.errors + k.errors;
    }
    // the memory row: a fresh gateway process of its own, in place of the command's
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    const memory = await memoryPerConnection(1000);
    const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
    const row = (name: string, s: number[], k: number[]): (string | number)[] => [name, median(s), median(k), ratio(median(s), median(k))];
    const rows: (string | number)[][] = [row('bulk into discard, MB/s', runs.bulkS, runs.bulkK)];
    if (withWrk) {
      rows.push(row('HTTP GET / keep-alive, requests/s', runs.kaS, runs.kaK));
      rows.push(row('HTTP GET / Connection: close, requests/s', runs.clS, runs.clK));
    }
    rows.push(row('connections/s (connect, FIN, close; 16 in flight)', runs.cS, runs.cK));
    rows.push(['gateway heap per idle relayed connection, bytes', Math.round(memory.heap), 'n/a', '']);
    rows.push(['gateway RSS per idle relayed connection, bytes', Math.round(memory.rss), 'n/a', '']);
    return {
      columns: ['', 'through synack gateway', 'routed by the kernel', 'ratio'],
      rows,
      notes: [
        `median of ${ROUNDS} rounds, synack and the kernel alternating, ${SECONDS} s per run; the machine may be shared: compare the ratios`,
        `server: ${nginx ? 'nginx (1 worker)' : 'a Node http server (nginx not installed)'} and a Node discard server, one namespace for both paths`,
        'through synack: the guest namespace\'s kernel TCP → TUN → synack (guest leg) → node:net (host leg) → veth → server',
        'routed: a client namespace → veth → a router namespace with ip_forward=1 → veth → the same server',
        ...(withWrk ? [] : ['wrk is not installed: no HTTP rows']),
        ...(connErrors ? [`connection errors: ${connErrors}`] : []),
        'memory: a fresh gateway process (the library on a TUN device), 1,000 idle relayed connections held, growth after two full GCs (V8 heap + external + array buffers; RSS); the host legs\' kernel socket memory is in no process',
      ],
    };
  } finally {
    await tearDown();
    rmSync(dir, { recursive: true, force: true });
  }
}
