/**
 * What watching costs: a bulk transfer between two synack stacks in one process on the simulated
 * network (real clock, no impairment, no delay), with nobody listening to the stacks' events, with
 * a 'transition' + 'segment' + 'drop' listener on both stacks, and with diagnostics_channel
 * subscribers — rounds alternating, median of each. Without a listener the hooks are a boolean
 * check per segment, so the first column is the figure the rest of the project sees.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { SimNetwork, type Stack } from '../src/index.js';
import type { BenchTable } from './index.js';

export const title = 'Event hooks: bulk MB/s between two stacks with and without subscribers';

const BYTES = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const ROUNDS = 5;

type Mode = 'none' | 'listeners' | 'channels';

/** MB per wall-clock second and per CPU second (less sensitive to a shared machine's other load). */
async function bulk(mode: Mode): Promise<{ wall: number; cpu: number }> {
  const sim = new SimNetwork({ clock: 'real' });
  const a = sim.host('10.0.0.1');
  const b = sim.host('10.0.0.2');
  let events = 0;
  const count = (): void => {
    events++;
  };
  const names = ['synack:tcp:transition', 'synack:tcp:segment', 'synack:tcp:drop'];
  if (mode === 'listeners') for (const s of [a, b] as Stack[]) for (const n of ['transition', 'segment', 'drop']) s.on(n, count);
  if (mode === 'channels') for (const n of names) diagnostics_channel.subscribe(n, count);
  try {
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bulk transfer did not finish in 60 s')), 60_000);
      b.net
        .createServer((s) => {
          let got = 0;
          s.on('data', (d: Buffer) => (got += d.length));
          s.on('end', () => {
            clearTimeout(timer);
            if (got === BYTES) resolve();
            else reject(new Error(`got ${got} of ${BYTES} bytes`));
            s.end();
          });
        })
        .listen(9);
      const c = a.net.connect(9, '10.0.0.2');
      let sent = 0;
      const pump = (): void => {
        while (sent < BYTES) {
          sent += CHUNK.length;
          if (!c.write(CHUNK)) return void c.once('drain', pump);
        }
        c.end();
      };
      c.on('connect', pump);
      c.resume();
    });
    const cpu = process.cpuUsage(cpu0);
    const mb = BYTES / 1e6;
    if (mode !== 'none' && events === 0) throw new Error('the subscribers saw nothing');
    return { wall: mb / ((performance.now() - start) / 1000), cpu: mb / ((cpu.user + cpu.system) / 1e6) };
  } finally {
    if (mode === 'channels') for (const n of names) diagnostics_channel.unsubscribe(n, count);
    sim.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<BenchTable> {
  await bulk('none'); // warm up the JIT
  const r: Record<Mode, { wall: number; cpu: number }[]> = { none: [], listeners: [], channels: [] };
  for (let i = 0; i < ROUNDS; i++) for (const m of ['none', 'listeners', 'channels'] as Mode[]) r[m].push(await bulk(m));
  const wall = (m: Mode): number => median(r[m].map((x) => x.wall));
  const cpu = (m: Mode): number => median(r[m].map((x) => x.cpu));
  const pct = (x: number, base: number): string => `${(((x - base) / base) * 100).toFixed(1)} %`;
  return {
    columns: ['', 'MB/s', 'MB per CPU s', 'vs no subscriber (CPU)'],
    rows: [
      ['no subscriber', wall('none'), cpu('none'), ''],
      ["stack.on('transition' | 'segment' | 'drop')", wall('listeners'), cpu('listeners'), pct(cpu('listeners'), cpu('none'))],
      ['diagnostics_channel.subscribe(synack:tcp:*)', wall('channels'), cpu('channels'), pct(cpu('channels'), cpu('none'))],
    ],
    notes: [
      `${BYTES / 2 ** 20} MiB in 64 KiB writes, one connection, SimNetwork with the real clock; median of ${ROUNDS} rounds, modes alternating`,
      'the cost with no subscriber against the code before the hooks is measured by running this module on both commits',
    ],
  };
}
