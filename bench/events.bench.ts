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

async function bulk(mode: Mode): Promise<number> {
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
    const mbps = BYTES / 1e6 / ((performance.now() - start) / 1000);
    if (mode !== 'none' && events === 0) throw new Error('the subscribers saw nothing');
    return mbps;
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
  const r: Record<Mode, number[]> = { none: [], listeners: [], channels: [] };
  for (let i = 0; i < ROUNDS; i++) for (const m of ['none', 'listeners', 'channels'] as Mode[]) r[m].push(await bulk(m));
  const none = median(r.none);
  const pct = (x: number): string => `${(((x - none) / none) * 100).toFixed(1)} %`;
  return {
    columns: ['', 'MB/s', 'vs no subscriber'],
    rows: [
      ['no subscriber', none, ''],
      ["stack.on('transition' | 'segment' | 'drop')", median(r.listeners), pct(median(r.listeners))],
      ['diagnostics_channel.subscribe(synack:tcp:*)', median(r.channels), pct(median(r.channels))],
    ],
    notes: [
      `${BYTES / 2 ** 20} MiB in 64 KiB writes, one connection, SimNetwork with the real clock; median of ${ROUNDS} rounds, modes alternating`,
      'the cost with no subscriber against the code before the hooks is measured by running this module on both commits',
    ],
  };
}
