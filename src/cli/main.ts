#!/usr/bin/env node
import { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerStat } from './stat.js';
import { registerServe } from './serve.js';
import { registerConnect } from './connect.js';
import { registerSs } from './ss.js';
import { registerDashboard } from './dashboard.js';

const program = new Command();
program
  .name('synack')
  .description('A TCP/IP stack in TypeScript, and the tools to see and diagnose TCP connection states')
  .version('0.1.0');

registerDemo(program);
registerStat(program);
registerServe(program);
registerConnect(program);
registerSs(program);
registerDashboard(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as { message?: string; code?: string };
  process.stderr.write(`synack: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}\n`);
  process.exitCode = 1;
});
