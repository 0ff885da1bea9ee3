/**
 * `npm run bench stat`: `synack stat --json` against `ss` and the netstat|awk one-liner on 100,000
 * real TCP sockets. The sockets are built inside a fresh network namespace (loopback only) by a
 * child process — this same file run with --populate — and every tool reads that namespace in the
 * same run, several times each; the table gives medians and the ratio to synack.
 *
 * Population (100,000 sockets + 8 listeners): 35,000 ESTABLISHED pairs, 5,000 CLOSE_WAIT with their
 * 5,000 FIN_WAIT2 peers, 20,000 TIME_WAIT (made last: they expire after 60 s, so measuring starts
 * right after). This machine caps open files at 20,000 per process (no CAP_SYS_RESOURCE to raise
 * it), so the sockets are held by six worker processes, each under the cap. In the namespace
 * tcp_tw_reuse is set to 0 so new loopback connections do not recycle the TIME_WAIT entries.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchTable } from './index.js';

export const title = 'synack stat: 100,000 real sockets in a namespace, vs ss and netstat|awk';

const SELF = fileURLToPath(import.meta.url);
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface Plan {
  estabPairs: number;
  leaky: number;
  timeWait: number;
  perPort: number;
}

/** One plan per worker process; each holds fewer than 20,000 descriptors. */
const WORKERS: Plan[] = [
  ...Array.from({ length: 4 }, () => ({ estabPairs: 8_750, leaky: 0, timeWait: 0, perPort: 12_000 })),
  { estabPairs: 0, leaky: 5_000, timeWait: 0, perPort: 12_000 },
  { estabPairs: 0, leaky: 0, timeWait: 20_000, perPort: 10_000 }, // last: TIME_WAIT lasts 60 s
];
const TOTAL = WORKERS.reduce((a, p) => ({ estabPairs: a.estabPairs + p.estabPairs, leaky: a.leaky + p.leaky, timeWait: a.timeWait + p.timeWait }), {
  estabPairs: 0,
  leaky: 0,
  timeWait: 0,
});
const EXPECTED = TOTAL.estabPairs * 2 + TOTAL.leaky * 2 + TOTAL.timeWait;

// ---------------------------------------------------------------------------------------------
// Child role: build the population, print READY, hold it until stdin ends (bounded lifetime).

async function pool<T>(n: number, width: number, task: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
}

function listen(handler: (s: net.Socket) => void, allowHalfOpen = false): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer({ allowHalfOpen }, handler);
    srv.on('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => resolve(srv));
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

async function populate(plan: Plan): Promise<void> {
  const keep: net.Socket[] = [];
  setTimeout(() => process.exit(0), 600_000).unref(); // bounded even if the parent vanishes
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  const ports = (total: number) => Math.ceil(total / plan.perPort);

  // ESTABLISHED pairs, spread over listeners so no destination runs short of ephemeral ports.
  const estab: number[] = [];
  for (let i = 0; i < ports(plan.estabPairs); i++) estab.push(((await listen((s) => keep.push(s))).address() as net.AddressInfo).port);
  await pool(plan.estabPairs, 256, async (i) => {
    const s = await connect(estab[i % estab.length]!);
    keep.push(s);
  });

  // CLOSE_WAIT: the server never closes after the client's FIN; the client keeps its fd (FIN_WAIT2).
  process.title = 'synack-bench-pop';
  const leaky = plan.leaky > 0 ? ((await listen((s) => (keep.push(s), s.on('error', () => {})), true)).address() as net.AddressInfo).port : 0;
  await pool(plan.leaky, 256, async () => {
    const s = await connect(leaky);
    s.on('error', () => {});
    s.end();
    keep.push(s);
  });

  // TIME_WAIT last: clients close first, the server answers with its own FIN.
  const tw: number[] = [];
  for (let i = 0; i < ports(plan.timeWait); i++) {
    tw.push(((await listen((s) => (s.on('error', () => {}), s.resume()))).address() as net.AddressInfo).port);
  }
  await pool(plan.timeWait, 256, async (i) => {
    const s = await connect(tw[i % tw.length]!);
    s.resume();
    await new Promise<void>((r) => {
      s.on('close', () => r());
      s.end();
    });
  });
  await new Promise((r) => setTimeout(r, 500)); // last FIN/ACKs
  process.stdout.write(`READY ${process.pid}\n`);
}

if (process.argv[1] === SELF && process.argv[2] === '--populate') {
  populate(JSON.parse(process.argv[3]!) as Plan).catch((e: unknown) => {
    process.stderr.write(`populate failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}

// ---------------------------------------------------------------------------------------------
// Parent role: namespace, population, measurements, cleanup.

interface Tool {
  name: string;
  argv: string[];
  runs: number;
  /** Sockets the tool reports (a number, or text when it does not count them all). */
  seen: (stdout: string) => string | number;
}

function sh(ns: string, script: string): string[] {
  return ['ip', 'netns', 'exec', ns, 'sh', '-c', script];
}

function sumAwk(out: string): number {
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .reduce((a, l) => a + Number(l.trim().split(/\s+/).pop()), 0);
}

/**
 * CPU time of our waited-for children (and theirs), from /proc/self/stat cutime + cstime, in ms.
 * Unlike wall time it does not grow when other work shares the machine. USER_HZ = 100.
 */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

function time(argv: string[]): { ms: number; cpuMs: number; stdout: string } {
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return { ms, cpuMs: childrenCpuMs() - c0, stdout: r.stdout };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function waitReady(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`population not ready after ${ms} ms: ${err}`)), ms);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`population exited with ${code}: ${err}`));
    });
  });
}

export async function run(): Promise<BenchTable> {
  if (process.getuid?.() !== 0) {
    return { columns: ['tool'], rows: [], notes: ['skipped: needs root (ip netns add) to build 100,000 sockets in a namespace'] };
  }
  const ns = `synack-bench-${process.pid}`;
  const children: ChildProcess[] = [];
  let created = false;
  try {
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`ip netns add: ${add.stderr}`);
    created = true;
    for (const argv of [
      ['ip', 'link', 'set', 'lo', 'up'],
      ['sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=0'],
    ]) {
      spawnSync('ip', ['netns', 'exec', ns, ...argv]);
    }
    const t0 = performance.now();
    const start = async (plan: Plan) => {
      // A worker that exits 0 before READY loaded an empty module: dist/ rewritten by a concurrent
      // build. Bounded retry: 3 attempts.
      for (let attempt = 1; ; attempt++) {
        const c = spawn('ip', ['netns', 'exec', ns, process.execPath, SELF, '--populate', JSON.stringify(plan)], { stdio: ['pipe', 'pipe', 'pipe'] });
        children.push(c);
        try {
          return await waitReady(c, 240_000);
        } catch (err) {
          if (attempt >= 3 || c.exitCode !== 0) throw err;
        }
      }
    };
    // Everything but TIME_WAIT in parallel, then TIME_WAIT so it is fresh when measuring starts.
    await Promise.all(WORKERS.filter((w) => w.timeWait === 0).map(start));
    for (const w of WORKERS.filter((w) => w.timeWait > 0)) await start(w);
    const buildS = (performance.now() - t0) / 1000;

    const synack = (stdout: string) => (JSON.parse(stdout) as { total: number }).total;
    const stateAwk = "awk 'NR>1 {++S[$1]} END {for (a in S) print a, S[a]}'";
    const tools: Tool[] = [
      { name: 'synack stat --json (inside: ip netns exec)', argv: ['ip', 'netns', 'exec', ns, process.execPath, MAIN, 'stat', '--json'], runs: 7, seen: synack },
      { name: 'synack stat --json --netns (from outside)', argv: [process.execPath, MAIN, 'stat', '--json', '--netns', ns], runs: 5, seen: synack },
      { name: 'ss -s', argv: ['ip', 'netns', 'exec', ns, 'ss', '-s'], runs: 7, seen: (o) => o.match(/^TCP:.*$/m)?.[0]?.replace(/\s+/g, ' ') ?? '?' },
      { name: 'ss -tan | awk (count by state)', argv: sh(ns, `ss -tan | ${stateAwk}`), runs: 7, seen: sumAwk },
      { name: 'ss -tan state time-wait | wc -l', argv: sh(ns, 'ss -tanH state time-wait | wc -l'), runs: 7, seen: (o) => `${Number(o.trim())} (one state)` },
      {
        name: 'netstat -n | awk (the classic one-liner)',
        argv: sh(ns, "netstat -n | awk '/^tcp/ {++S[$NF]} END {for (a in S) print a, S[a]}'"),
        runs: 3,
        seen: (o) => `${sumAwk(o)} (no LISTEN)`,
      },
    ];
    const loadBefore = loadavg()[0]!;
    const measured = tools.map((tool) => {
      time(tool.argv); // warm-up: page cache, dentries
      const ms: number[] = [];
      const cpu: number[] = [];
      let seen: string | number = '';
      for (let i = 0; i < tool.runs; i++) {
        const r = time(tool.argv);
        ms.push(r.ms);
        cpu.push(r.cpuMs);
        seen = tool.seen(r.stdout);
      }
      return { tool, median: median(ms), min: Math.min(...ms), cpu: median(cpu), seen };
    });
    const base = measured[0]!.median;
    const baseCpu = measured[0]!.cpu;
    const rows = measured.map((m) => [
      m.tool.name,
      Math.round(m.median),
      Math.round(m.min),
      Math.round(m.cpu),
      m.seen,
      `${(m.median / base).toFixed(2)}×`,
      `${(m.cpu / baseCpu).toFixed(2)}×`,
    ]);
    const tw = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', 'ss -tanH state time-wait | wc -l'], { encoding: 'utf8' }).stdout.trim();
    return {
      columns: ['tool', 'median ms', 'min ms', 'CPU ms', 'sockets seen', 'time ÷ synack', 'CPU ÷ synack'],
      rows,
      notes: [
        `real sockets: ${EXPECTED.toLocaleString('en-US')} built in ${buildS.toFixed(1)} s by ${WORKERS.length} processes (${TOTAL.estabPairs.toLocaleString('en-US')} ESTABLISHED pairs, ${TOTAL.leaky.toLocaleString('en-US')} CLOSE_WAIT + FIN_WAIT2, ${TOTAL.timeWait.toLocaleString('en-US')} TIME_WAIT) + listeners; ${tw} TIME_WAIT still there after the last run`,
        'every figure is a whole process (spawn, Node start-up for synack, read, print); synack also runs `ss -ltn` for listener backlogs',
        'CPU ms = user + system time of the process tree (medians, 10 ms resolution): unlike wall time it does not grow with load from other work',
        `1-minute load average ${loadBefore.toFixed(1)} before measuring, ${loadavg()[0]!.toFixed(1)} after (other work on this machine slows every tool alike)`,
        'ss -s reads kernel counters (sockstat/snmp) and counts nothing per state; netstat -n leaves out LISTEN sockets',
        `target: synack under 1,000 ms at 100,000 sockets — ${base < 1000 ? 'met' : 'NOT met'} in wall time (${Math.round(base)} ms median), ${Math.round(baseCpu)} ms of CPU`,
      ],
    };
  } finally {
    for (const c of children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    for (let i = 0; i < 50 && children.some((c) => c.exitCode === null && c.signalCode === null); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (created) spawnSync('ip', ['netns', 'del', ns]);
  }
}
