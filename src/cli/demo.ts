import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run TCP connection scenarios on a simulated network and show every segment and state')
    .action(() => {
      process.stdout.write('synack demo: the simulator lands with the TCP core\n');
    });
}
