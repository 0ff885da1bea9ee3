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
}

function num(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw makeError('ERR_INVALID_ARG_VALUE', `--${name} must be a number from ${min} to ${max} (got "${v}")`);
  }
  return n;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run TCP connection scenarios between two hosts on a simulated network (virtual time) and show every segment and state')
    .option('-s, --scenario <name>', `one scenario (default: the whole tour): ${SCENARIOS.map((s) => s.name).join(', ')}`)
    .option('--loss <p>', 'probability that a packet is lost, each direction (0..0.5)')
    .option('--delay <ms>', 'one-way delay in ms (default 5)')
    .option('--seed <n>', 'seed for the impairments (default 1)')
    .option('--json', 'print the run as JSON: { name, transitions, segments } per scenario')
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
      const loss = num('loss', flags.loss, 0, 0.5);
      const delay = num('delay', flags.delay, 0, 10_000);
      const seed = num('seed', flags.seed, 0, 2 ** 32 - 1);
      if (loss !== undefined) opts.loss = loss;
      if (delay !== undefined) opts.delay = delay;
      if (seed !== undefined) opts.seed = seed;
      // loaded on use, so other commands do not pay for the simulator at start-up
      const { runScenarios, toJson } = await import('./demo/run.js');
      const { renderScenario, renderTourSummary, makeStyle } = await import('./demo/render.js');
      const results = await runScenarios(list, opts, flags.pcap);
      if (flags.json) {
        const body = flags.scenario ? toJson(results[0]!) : { scenarios: results.map(toJson) };
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        return;
      }
      const style = makeStyle(flags.color !== false && process.stdout.isTTY === true && !process.env.NO_COLOR);
      for (const r of results) process.stdout.write(renderScenario(r, style) + '\n');
      if (!flags.scenario) process.stdout.write(renderTourSummary(results, style));
      if (flags.pcap) process.stdout.write(`\ncapture written to ${flags.pcap}\n`);
    });
}
