import type { Command } from 'commander';
import { makeError } from '../errors.js';
import type { DemoOptions } from './demo/run.js';
import { SCENARIOS, findScenario } from './demo/scenarios.js';

interface DemoFlags {
  scenario?: string;
  loss?: string;
  delay?: string;
  seed?: string;
  json?: boolean;
  pcap?: string;
  color?: boolean;
  list?: boolean;
  width?: number;
}

function num(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw makeError('ERR_INVALID_ARG_VALUE', `--${name} must be a number from ${min} to ${max} (got "${v}")`);
  }
  return n;
}

function whole(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw makeError('ERR_INVALID_ARG_VALUE', `--${name} must be a whole number from ${min} to ${max} (got "${v}")`);
  }
  return Number(v);
}

/** The demo's option ranges; the property test runs every scenario across them. */
export const DEMO_LIMITS = { loss: [0, 0.5], delay: [0, 10_000], seed: [0, 2 ** 32 - 1], width: [40, 1000] } as const;

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run TCP connection scenarios between two hosts on a simulated network (virtual time) and show every segment and state')
    .option('-s, --scenario <name>', `one scenario (default: the whole tour): ${SCENARIOS.map((s) => s.name).join(', ')}`)
    .option('--loss <p>', 'probability that a packet is lost, each direction (0..0.5)')
    .option('--delay <ms>', 'one-way delay in ms (default 5)')
    .option('--seed <n>', 'seed for the impairments, a whole number (default 1)')
    .option('--json', 'print the run as JSON: { scenarios: [{ name, transitions, segments, ... }] }, also for one scenario')
    .option('--width <columns>', 'lay out for this many columns (default: the terminal\'s; piped: the full layout, unshortened)', (v: string) => whole('width', v, ...DEMO_LIMITS.width))
    .option('--pcap <file>', 'write every packet to a pcap file (Wireshark/tshark)')
    .option('--no-color', 'no colors even on a terminal')
    .option('--list', 'list the scenarios and exit')
    .action(async (flags: DemoFlags) => {
      if (flags.list) {
        for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(20)} ${s.title}\n`);
        return;
      }
      let list = SCENARIOS;
      if (flags.scenario) {
        const sc = findScenario(flags.scenario);
        if (!sc) {
          throw makeError('ERR_INVALID_ARG_VALUE', `unknown scenario "${flags.scenario}"; choose one of: ${SCENARIOS.map((s) => s.name).join(', ')}`);
        }
        list = [sc];
      }
      const opts: DemoOptions = {};
      const loss = num('loss', flags.loss, ...DEMO_LIMITS.loss);
      const delay = num('delay', flags.delay, ...DEMO_LIMITS.delay);
      const seed = whole('seed', flags.seed, ...DEMO_LIMITS.seed);
      if (loss !== undefined) opts.loss = loss;
      if (delay !== undefined) opts.delay = delay;
      if (seed !== undefined) opts.seed = seed;
      // loaded on use, so other commands do not pay for the simulator at start-up
      const { runScenarios, toJsonDocument } = await import('./demo/run.js');
      const { renderScenario, renderTourSummary, makeStyle } = await import('./demo/render.js');
      const { chooseLayout } = await import('./demo/layout.js');
      const results = await runScenarios(list, opts, flags.pcap);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(toJsonDocument(results), null, 2)}\n`);
        return;
      }
      const style = makeStyle(flags.color !== false && process.stdout.isTTY === true && !process.env.NO_COLOR);
      const layout = chooseLayout(flags.width ?? (process.stdout.isTTY ? process.stdout.columns : undefined));
      for (const r of results) process.stdout.write(renderScenario(r, style, layout) + '\n');
      if (!flags.scenario) process.stdout.write(renderTourSummary(results, style));
      if (flags.pcap) process.stdout.write(`\ncapture written to ${flags.pcap}\n`);
    });
}
