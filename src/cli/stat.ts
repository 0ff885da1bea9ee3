import { InvalidArgumentError, type Command } from 'commander';
import type { StatOptions } from '../host/stat-command.js';

function positiveNumber(name: string, max: number) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x <= 0 || x > max) {
      throw new InvalidArgumentError(`${name} must be a number of seconds above 0 and at most ${max}, got "${v}"`);
    }
    return x;
  };
}

function nonNegative(name: string, max: number) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x < 0 || x > max) {
      throw new InvalidArgumentError(`${name} must be a number of seconds from 0 to ${max}, got "${v}"`);
    }
    return x;
  };
}

function positiveInt(name: string, max: number) {
  return (v: string): number => {
    const x = Number(v);
    if (!/^\d+$/.test(v.trim()) || x < 1 || x > max) throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}, got "${v}"`);
    return x;
  };
}

function wholeFrom(name: string, min: number, max: number) {
  return (v: string): number => {
    const x = Number(v);
    if (!/^\d+$/.test(v.trim()) || x < min || x > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
    return x;
  };
}

export function registerStat(program: Command): void {
  program
    .command('stat')
    .description("Count, explain and diagnose the host kernel's TCP connection states (/proc/net/tcp{,6})")
    .option('--json', 'one JSON object: states by netstat name, listeners, top peers/ports, counters')
    .option('--prometheus', 'Prometheus text format (node_exporter names: node_tcp_connection_states{state=...})')
    .option('--diagnose', 'find CLOSE_WAIT leaks, TIME_WAIT pressure, SYN_RECV build-up, full listen queues, orphans, retransmits')
    .option('--sysctl', 'audit the classic TCP tuning knobs: current, Linux default, advice, whether it still holds (read-only)')
    .option('-p, --processes', 'map sockets to processes through /proc/PID/fd (like ss -p; complete only as root)')
    .option('--top <n>', 'peers and local ports shown per state', positiveInt('--top', 100), 5)
    .option('--netns <name>', 'read the named network namespace (ip netns list) instead of this one')
    .option('--proc-net <dir>', 'read copies of /proc/net files (tcp, tcp6, netstat, snmp, sockstat) from a directory')
    .option('--watch <seconds>', 'refresh every SECONDS in place, with deltas and a trend per state', positiveNumber('--watch', 86400))
    .option('--count <n>', 'with --watch: stop after N refreshes', positiveInt('--count', 1_000_000))
    .option('--dashboard <host:port>', "serve the state diagram with the kernel's counts at http://HOST:PORT/, refreshed every --watch seconds (default 1)")
    .option('--sample <seconds>', 'with --diagnose: seconds between the two readings compared (0 = one)', nonNegative('--sample', 60), 1)
    .option('--width <columns>', "lay out for this many columns (default: the terminal's; piped: tables unbounded)", wholeFrom('--width', 40, 1000))
    .addHelpText(
      'after',
      '\nState names are the kernel\'s (netstat, ss): SYN_RECV, FIN_WAIT1, FIN_WAIT2, CLOSE.\n' +
        'Exit status with --diagnose: 0 no finding worse than a notice, 1 a WARNING, 2 a CRITICAL finding.\n',
    )
    .action(async (opts: StatOptions & { dashboard?: string }) => {
      if (opts.dashboard) {
        const { runHostDashboard } = await import('./dashboard.js');
        return runHostDashboard(opts.dashboard, { netns: opts.netns, procNet: opts.procNet, intervalMs: (opts.watch ?? 1) * 1000 });
      }
      // `synack stat --watch 1 | head`: a closed pipe ends the command quietly (main.ts; the --netns
      // helper is killed by its exit hook).
      // Loaded on use, so other commands do not pay for it (and stat does not slow their start-up).
      const { runStat } = await import('../host/stat-command.js');
      process.exitCode = await runStat(opts, {
        write: (s) => process.stdout.write(s),
        isTTY: Boolean(process.stdout.isTTY),
        columns: process.stdout.columns,
      });
    });
}
