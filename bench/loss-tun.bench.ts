/**
 * Loss recovery on a real link (issue 12): the loss bench's flow — 20 ms RTT, 50 Mbit/s, a one-BDP
 * (125 kB) drop-tail queue each way, seeded random loss on both directions — with synack SENDING
 * over TUN to the Linux kernel as the RECEIVER (a Node `net` server in a namespace), the
 * impairments applied on synack's link (`attachTun(..., { impair })`, what `synack connect --loss
 * --delay --rate --queue` does). Beside it, in the same run:
 *
 *  - the simulator's figure for the same settings and seeds (virtual time, `runFlow` of
 *    loss.bench.ts, measured over the same duration);
 *  - Linux to Linux through the same impairments: a kernel sender in one namespace, the same
 *    kernel receiver in another, joined by two TUN devices and a user-space bridge with one
 *    ImpairPipe each way (the engine synack's link uses). tc netem would be the other way to do it;
 *    the bench says whether this kernel has it, but the bridge keeps the impairments identical.
 *
 * The receiver checks every byte against the sender's pattern and counts what arrived within
 * DURATION_MS of accepting the connection. Runs alternate synack and Linux, seed by seed; the table
 * gives medians. Real time: the figures depend on the machine and its load.
 *
 * Needs root, /dev/net/tun and iproute2. Namespaces synack-lt-<pid>-*, torn down afterwards; every
 * process is killed by PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import '../src/api/net.js';
import { attachTun, type AttachedLink } from '../src/link/attach.js';
import type { Impairments } from '../src/link/impair.js';
import { ImpairPipe } from '../src/link/impair-pipe.js';
import { TunDevice } from '../src/link/tun.js';
import { Stack, type StackOptions } from '../src/stack/stack.js';
import { RealClock } from '../src/time/real-clock.js';
import type { BenchTable } from './index.js';
import { runFlow } from './loss.bench.js';

export const title = 'Loss recovery on a real link: synack sending over TUN to the Linux kernel, 20 ms RTT, 50 Mbit/s, one-BDP queue';

const RATE = 50e6;
const RTT_MS = 20;
const BDP = (RATE * RTT_MS) / 1000 / 8;
const DURATION_MS = Number(process.env.LOSS_TUN_MS ?? 8000);
const SEEDS = (process.env.LOSS_TUN_SEEDS ?? '1,2,3').split(',').map(Number);
const LOSSES = [0, 0.001, 0.01, 0.05, 0.1];
const PORT = 5001;
const TAG = `synack-lt-${process.pid}`;
const NS_R = `${TAG}-r`; // the kernel receiver of synack's flow
const NS_A = `${TAG}-a`; // the Linux sender of the baseline
const NS_B = `${TAG}-b`; // the Linux receiver of the baseline

/** The flow's bytes: the same pattern as loss.bench.ts, checked at the receiver. */
const PATTERN_JS = 'const byteAt = (i) => (i * 31 + (i >>> 11) * 7 + 13) & 0xff;';
const byteAt = (i: number): number => (i * 31 + (i >>> 11) * 7 + 13) & 0xff;

/** Kernel receiver: counts the bytes that arrive within MS of the accept, checks each, prints JSON. */
const RECEIVER = `
import net from 'node:net';
${PATTERN_JS}
const ms = Number(process.env.MS);
const server = net.createServer((s) => {
  const deadline = Date.now() + ms;
  let bytes = 0, bad = -1;
  s.on('data', (d) => {
    if (Date.now() > deadline) return;
    for (let i = 0; i < d.length; i++) if (d[i] !== byteAt(bytes + i) && bad < 0) bad = bytes + i;
    bytes += d.length;
  });
  s.on('error', () => {});
  setTimeout(() => { console.log(JSON.stringify({ bytes, bad, ms })); process.exit(0); }, ms);
});
server.listen(${PORT}, '0.0.0.0', () => console.log('ready'));
`;

/** Kernel sender of the baseline: the pattern, as fast as the connection takes it. */
const SENDER = `
import net from 'node:net';
${PATTERN_JS}
const CHUNK = 64 * 1024;
let written = 0;
const s = net.connect({ host: process.env.HOST, port: ${PORT} });
const fill = () => {
  for (;;) {
    const b = Buffer.allocUnsafe(CHUNK);
    for (let i = 0; i < CHUNK; i++) b[i] = byteAt(written + i);
    written += CHUNK;
    if (!s.write(b)) return s.once('drain', fill);
  }
};
s.on('connect', fill);
s.on('error', () => process.exit(0));
`;

const children = new Set<ChildProcess>();
let devices = 0;

function sh(argv: string[], timeoutMs = 20_000): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function unavailable(): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  if (spawnSync('sh', ['-c', 'command -v ip']).status !== 0) return 'ip (iproute2) is not installed';
  return null;
}

/** Whether this kernel offers tc's netem qdisc (tried on a veth pair in a namespace of its own). */
function netemAvailable(): boolean {
  const ns = `${TAG}-probe`;
  try {
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', '-n', ns, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
    return spawnSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'p0', 'root', 'netem', 'delay', '1ms']).status === 0;
  } catch {
    return false;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

function defaultCc(): string {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function createNs(ns: string): void {
  sh(['ip', 'netns', 'add', ns]);
  sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  // every run starts from the kernel's defaults, not from what the last connection learned
  sh(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.tcp_no_metrics_save=1']);
}

/** A TUN device opened here (no receive offload: one impairment decision per wire packet), moved into `ns` with `cidr`. */
function tunIn(ns: string, cidr: string, route?: string): TunDevice {
  const name = `lt${process.pid % 1_000_000}x${++devices}`;
  const dev = TunDevice.open(name, { offload: false });
  try {
    sh(['ip', 'link', 'set', 'dev', dev.name, 'netns', ns]);
    sh(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', dev.name]);
    sh(['ip', '-n', ns, 'link', 'set', 'dev', dev.name, 'up']);
    // this host's default may be BBR (a non-initial namespace may not change it); the route pins
    // CUBIC for connections along it, as synack's sender runs CUBIC
    if (route) sh(['ip', '-n', ns, 'route', 'add', route, 'dev', dev.name, 'congctl', 'cubic']);
  } catch (err) {
    dev.close();
    throw err;
  }
  return dev;
}

/** Start a Node script in `ns`; resolves once it prints `ready` (or at once). */
function startScript(ns: string, script: string, env: Record<string, string>, waitReady: boolean): Promise<{ child: ChildProcess; output: Promise<string> }> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const output = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`script in ${ns} exited ${code}: ${err || out}`));
    });
  });
  output.catch(() => {});
  if (!waitReady) return Promise.resolve({ child, output });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`script in ${ns} not ready: ${out} ${err}`)), 20_000);
    const on = (): void => {
      if (!out.includes('ready')) return;
      clearTimeout(timer);
      child.stdout!.off('data', on);
      resolve({ child, output });
    };
    child.stdout!.on('data', on);
    output.catch((e: unknown) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.pid) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

interface RealResult {
  goodputBps: number;
  lossDrops: number;
  queueDrops: number;
  retransmits: number;
  rtos: number;
}

/** What the receiver printed: bytes checked within the duration. */
function received(text: string, who: string): { bytes: number; ms: number } {
  const r = JSON.parse(text.trim().split('\n').pop()!) as { bytes: number; bad: number; ms: number };
  if (r.bad >= 0) throw new Error(`${who}: byte ${r.bad} arrived wrong`);
  if (r.bytes === 0) throw new Error(`${who}: nothing arrived`);
  return r;
}

const impairments = (loss: number): Impairments => ({ delayMs: RTT_MS / 2, bandwidthBps: RATE, queueBytes: BDP, ...(loss > 0 ? { loss } : {}) });

/** synack (in this process) sends to the kernel in NS_R through its impaired TUN link. */
async function runSynack(loss: number, seed: number): Promise<RealResult> {
  const receiver = await startScript(NS_R, RECEIVER, { MS: String(DURATION_MS) }, true);
  const sysctl: StackOptions['sysctl'] = { tcp_congestion_control: 'cubic', tcp_sack: 1, tcp_rmem: [4096, 4 << 20, 6 << 20], tcp_wmem: [4096, 4 << 20, 6 << 20] };
  const stack = new Stack({ addresses: ['10.96.2.2'], sysctl, seed });
  let link: AttachedLink | undefined;
  try {
    const dev = tunIn(NS_R, '10.96.2.1/24');
    link = attachTun(stack, dev, { impair: { out: impairments(loss), in: impairments(loss), seed } });
    const sock = stack.net.connect({ host: '10.96.2.1', port: PORT });
    sock.on('error', () => {});
    const CHUNK = 64 * 1024;
    let written = 0;
    const fill = (): void => {
      for (let guard = 0; guard < 1000; guard++) {
        const b = Buffer.allocUnsafe(CHUNK);
        for (let i = 0; i < CHUNK; i++) b[i] = byteAt(written + i);
        written += CHUNK;
        if (!sock.write(b)) return void sock.once('drain', fill);
      }
    };
    sock.on('connect', fill);
    const r = received(await receiver.output, `synack loss=${loss} seed=${seed}`);
    sock.destroy();
    const l = stack.counters.loss;
    return {
      goodputBps: (r.bytes * 8 * 1000) / r.ms,
      lossDrops: link.impaired!.out!.drops.loss + link.impaired!.in!.drops.loss,
      queueDrops: link.impaired!.out!.drops.queue + link.impaired!.in!.drops.queue,
      retransmits: l.retransmits.fast + l.retransmits.rto + l.retransmits.tlp + l.retransmits.rack,
      rtos: l.rtoTimeouts,
    };
  } finally {
    kill(receiver.child);
    link?.close();
    stack.destroy();
  }
}

/** The kernel in NS_A sends to the kernel in NS_B through a bridge of two TUN devices and an ImpairPipe each way. */
async function runLinux(loss: number, seed: number): Promise<RealResult> {
  const receiver = await startScript(NS_B, RECEIVER, { MS: String(DURATION_MS) }, true);
  const clock = new RealClock();
  const a = tunIn(NS_A, '10.96.0.1/24', '10.96.1.0/24');
  const b = tunIn(NS_B, '10.96.1.1/24', '10.96.0.0/24');
  const aToB = new ImpairPipe({ clock, seed, impairments: impairments(loss), deliver: (p) => b.write(p) });
  const bToA = new ImpairPipe({ clock, seed: (seed + 1) | 0, impairments: impairments(loss), deliver: (p) => a.write(p) });
  a.on('packet', (p: Uint8Array) => aToB.send(p));
  b.on('packet', (p: Uint8Array) => bToA.send(p));
  let sender: ChildProcess | undefined;
  try {
    sender = (await startScript(NS_A, SENDER, { HOST: '10.96.1.1' }, false)).child;
    const r = received(await receiver.output, `linux loss=${loss} seed=${seed}`);
    return { goodputBps: (r.bytes * 8 * 1000) / r.ms, lossDrops: aToB.stats.drops.loss + bToA.stats.drops.loss, queueDrops: aToB.stats.drops.queue + bToA.stats.drops.queue, retransmits: NaN, rtos: NaN };
  } finally {
    if (sender) kill(sender);
    kill(receiver.child);
    aToB.close();
    bToA.close();
    a.close();
    b.close();
  }
}

function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((p, q) => p - q);
  return s.length === 0 ? NaN : s[s.length >> 1]!;
}

const pct = (bps: number): number => (bps / RATE) * 100;

export async function run(): Promise<BenchTable> {
  const why = unavailable();
  if (why) return { columns: ['skipped'], rows: [[why]] };
  const netem = netemAvailable();
  for (const ns of [NS_R, NS_A, NS_B]) createNs(ns);
  const synack = new Map<number, RealResult[]>();
  const linux = new Map<number, RealResult[]>();
  try {
    // alternate synack and Linux, seed by seed, so load on the machine falls on both alike
    for (const seed of SEEDS) {
      for (const loss of LOSSES) {
        synack.set(loss, [...(synack.get(loss) ?? []), await runSynack(loss, seed)]);
        linux.set(loss, [...(linux.get(loss) ?? []), await runLinux(loss, seed)]);
      }
    }
  } finally {
    for (const c of children) kill(c);
    for (const ns of [NS_R, NS_A, NS_B]) spawnSync('ip', ['netns', 'del', ns]);
  }
  const rows: (string | number)[][] = [];
  for (const loss of LOSSES) {
    const s = synack.get(loss)!;
    const l = linux.get(loss)!;
    const sim = SEEDS.map((seed) => runFlow('cubic', true, loss, seed, DURATION_MS));
    const tun = pct(median(s.map((r) => r.goodputBps)));
    const simPct = pct(median(sim.map((r) => r.goodputBps)));
    const lin = pct(median(l.map((r) => r.goodputBps)));
    rows.push([
      `${loss * 100} %`,
      `${tun.toFixed(1)} %`,
      `${simPct.toFixed(1)} %`,
      `${(tun / simPct).toFixed(2)}x`,
      `${lin.toFixed(1)} %`,
      `${(tun / lin).toFixed(2)}x`,
      median(s.map((r) => r.retransmits)),
      median(s.map((r) => r.rtos)),
      `${median(s.map((r) => r.lossDrops))} / ${median(s.map((r) => r.queueDrops))}`,
      `${median(l.map((r) => r.lossDrops))} / ${median(l.map((r) => r.queueDrops))}`,
    ]);
  }
  return {
    columns: ['loss', 'synack over TUN', 'simulator', 'TUN/sim', 'Linux→Linux', 'synack/Linux', 'retrans', 'RTOs', 'drops loss/queue', 'Linux drops'],
    rows,
    notes: [
      `goodput as % of the 50 Mbit/s cap; median of ${SEEDS.length} seeds (${SEEDS.join(', ')}), ${DURATION_MS / 1000} s each, real time on a shared machine; every byte checked at the kernel receiver`,
      'synack over TUN: CUBIC + SACK, sending; impairments on its link both ways (attachTun impair = synack connect --loss --delay 10ms --rate 50mbit --queue 125kb)',
      'simulator: runFlow of loss.bench.ts (CUBIC + SACK) with the same settings, seeds and duration, virtual time',
      `Linux→Linux: kernel CUBIC sender (route congctl cubic; this host's default is ${defaultCc()}) and receiver in two namespaces, bridged by two TUN devices with the same ImpairPipe each way; tc netem ${netem ? 'is available here but not used (the bridge keeps the impairments identical)' : 'is not available on this kernel'}`,
      'retrans, RTOs: synack sender counters; drops: what the impairments dropped, both directions (loss / full queue)',
    ],
  };
}
