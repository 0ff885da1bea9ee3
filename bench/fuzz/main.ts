/**
 * `npm run fuzz -- [--seed N] [--seconds S | --inputs N] [--corpus DIR]`: the receive-path fuzzer,
 * unbounded in spirit, bounded by its options (60 s by default). The seed (also SYNACK_FUZZ_SEED)
 * replays a run exactly. Every finding is shrunk and written to the corpus directory
 * (test/fuzz/corpus by default), where the test suite replays it as a regression test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFuzz, toStored, type FuzzStats } from './engine.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

function num(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`fuzz: --${name} wants a non-negative number (got "${value}")`);
    process.exit(2);
  }
  return n;
}

const seed = num('seed', arg('seed') ?? process.env.SYNACK_FUZZ_SEED, (Date.now() & 0x7fffffff) >>> 0);
const inputs = arg('inputs');
const seconds = num('seconds', arg('seconds'), inputs === undefined ? 60 : Infinity);
const corpus = arg('corpus') ?? 'test/fuzz/corpus';

const line = (s: FuzzStats): string =>
  `${s.inputs.toLocaleString('en-US')} inputs in ${(s.ms / 1000).toFixed(1)} s (${Math.round(s.inputs / (s.ms / 1000)).toLocaleString('en-US')} inputs/s), ` +
  `${s.worlds} worlds, ${s.transfers} legitimate transfers byte-exact (${(s.bytesVerified / 1048576).toFixed(1)} MiB), ${s.findings.length} findings`;

console.log(`fuzz: seed ${seed}, ${inputs !== undefined ? `${inputs} inputs` : `${seconds} s`}; replay with --seed ${seed}`);
const stats = runFuzz({
  seed,
  seconds,
  ...(inputs !== undefined ? { inputs: num('inputs', inputs, 0) } : {}),
  progress: (s) => {
    if (process.stdout.isTTY) process.stdout.write(`\r${line(s)}   `);
    else if (Math.floor(s.ms / 1000) % 10 === 0) console.log(line(s));
  },
});
if (process.stdout.isTTY) process.stdout.write('\r');
console.log(line(stats));
console.log(`states held: ${[...stats.states].sort().join(', ')}`);
console.log(`fuzzed TCP segments reaching the demux: ${stats.segmentsIn}; packets out: ${stats.packetsOut}`);
console.log(`datagrams reassembled: ${stats.datagramsReassembled}; drops by reason: ${JSON.stringify(stats.drops)}`);
if (stats.findings.length > 0) {
  mkdirSync(corpus, { recursive: true });
  for (const f of stats.findings) {
    const file = join(corpus, `finding-${f.seed}.json`);
    writeFileSync(file, JSON.stringify(toStored(f), null, 1) + '\n');
    console.log(`FINDING (seed ${f.seed}, ${f.actions.length} inputs after shrinking): ${f.breach}\n  saved to ${file}`);
  }
  process.exitCode = 1;
}
