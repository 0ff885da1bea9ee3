#!/usr/bin/env node
import { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerStat } from './stat.js';
import { registerServe } from './serve.js';
import { registerConnect } from './connect.js';
import { registerSs } from './ss.js';
import { registerDashboard } from './dashboard.js';
import { registerGateway } from './gateway.js';
import { errorLine, useOneErrorStyle } from './errors.js';

// `synack demo | head -3`: once the reader is gone, end quietly as Unix tools do (no trace, exit 0).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

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
registerGateway(program);
useOneErrorStyle(program);

let running = '';
program.hook('preAction', (_program, action) => {
  running = action.name();
});

// A command that fails has already closed what it opened; exit now so nothing half-started lingers.
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(errorLine(running, err));
  process.exit(1);
});
