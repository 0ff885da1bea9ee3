/**
 * `npm run bench`: runs every bench/*.bench.ts module (compiled to dist/bench) in turn and prints
 * its table. Each module exports `title` and `run()`; a module's figures are always measured
 * side by side with its baseline (Node's net over the kernel, ss, netstat...) in the same run.
 * Each module runs in a Node process of its own, so no row meets the heap and the compiled code
 * another module left (the handshake row, run after the 1 GiB bulk rows in one process, moved
 * between 3.95x and 4.91x of the kernel from run to run; ~5.1x on its own).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchTable {
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

export interface BenchModule {
  title: string;
  run(): Promise<BenchTable>;
}

function formatTable(t: BenchTable): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) => r.map((c, i) => String(c ?? '').padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  for (const n of t.notes ?? []) out.push(`  note: ${n}`);
  return out.join('\n');
}

function fmt(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** One module, in this process: its title and table. */
async function runModule(path: string): Promise<void> {
  const mod = (await import(pathToFileURL(path).href)) as BenchModule;
  console.log(`## ${mod.title}`);
  try {
    console.log(formatTable(await mod.run()));
  } catch (err) {
    console.log(`  failed: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  }
  console.log('');
}

async function main(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const here = dirname(self);
  if (process.argv[2] === '--module') return runModule(join(here, process.argv[3]!));
  const only = process.argv.slice(2);
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  console.log(`synack bench — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
  for (const f of files) {
    const r = spawnSync(process.execPath, [...process.execArgv, self, '--module', f], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  }
}

await main();
