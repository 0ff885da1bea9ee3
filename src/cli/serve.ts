/**
 * `synack serve`: the classic internal services (echo, discard, daytime, chargen, http) on a TUN
 * or TAP device, with the kernel (or anything on the link) as the peer.
 *
 *   synack serve --tun synack0 --ip 10.99.0.2 --peer-ip 10.99.0.1/24
 *
 * One line when ready; with --verbose one line per change of the connection-state counts.
 * SIGINT/SIGTERM: stop listening, end every connection with a FIN, wait (bounded) for the closes
 * to finish, then exit. A second signal exits at once.
 */
import '../api/net.js'; // stack.net
import type { Command } from 'commander';
import { makeError } from '../errors.js';
import { createMetricsRegistry, parseHostPort, serveMetrics } from '../observe/metrics.js';
import { DEFAULT_SERVICES, parseServiceList, type RunningService } from '../services/index.js';
import { addLinkOptions, logStateChanges, openLink, type LinkFlags } from './link-options.js';

interface ServeFlags extends LinkFlags {
  services: string;
  metrics?: string;
  drainTimeout: string;
}

/** How long a graceful shutdown waits for connections to finish closing (TIME_WAIT excepted). */
const DRAIN_MS = 3000;

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('Serve echo, discard, daytime, chargen and http over a TUN/TAP device, the kernel as the peer')
    .option('--services <list>', 'services to run, NAME or NAME:PORT, comma-separated', DEFAULT_SERVICES)
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (host network)')
    .option('--drain-timeout <ms>', 'on SIGINT/SIGTERM, wait at most this long for connections to close', String(DRAIN_MS));
  addLinkOptions(cmd).action(async (flags: ServeFlags) => {
    const services = parseServiceList(flags.services);
    const drainMs = Number(flags.drainTimeout);
    if (!Number.isFinite(drainMs) || drainMs < 0) throw makeError('ERR_INVALID_ARG_VALUE', '--drain-timeout must be a number of ms >= 0');
    const metricsAt = flags.metrics ? parseHostPort(flags.metrics) : null;
    const opened = openLink(flags);
    const { stack } = opened;
    const out = (s: string): boolean => process.stdout.write(s);
    stack.on('internalError', (err: unknown) => process.stderr.write(`synack: internal error: ${String((err as Error)?.stack ?? err)}\n`));
    opened.link.device.on('error', (err: Error) => {
      process.stderr.write(`synack serve: ${err.message}\n`);
      process.exit(1);
    });
    const running: RunningService[] = services.map(({ def, port }) => def.start(stack.net, port));
    for (const r of running) {
      r.server.on('error', (err: Error) => {
        process.stderr.write(`synack serve: ${r.name}: ${err.message}\n`);
        process.exitCode = 1;
      });
    }
    const metricsServer = metricsAt
      ? await serveMetrics(
          createMetricsRegistry(stack, {
            synack_link_packets_in_total: ['packets read from the device', () => opened.link.device.stats.packetsIn],
            synack_link_packets_out_total: ['packets written to the device', () => opened.link.device.stats.packetsOut],
            synack_link_write_drops_total: ['packets the device refused', () => opened.link.device.stats.writeDrops],
          }),
          metricsAt[0],
          metricsAt[1],
        )
      : null;
    const stopLog = flags.verbose ? logStateChanges(stack, out) : () => {};
    const list = running.map((r) => `${r.name}:${r.port}`).join(' ');
    out(
      `synack serve: ${flags.ip.join(', ')} on ${opened.mode} ${opened.ifname}` +
        `${flags.peerIp.length ? ` (peer ${flags.peerIp.join(', ')})` : ''}: ${list}` +
        `${metricsAt ? `; metrics at http://${flags.metrics}/metrics` : ''}${flags.pcap ? `; capture to ${flags.pcap}` : ''}\n`,
    );

    let stopping = false;
    const finish = (): void => {
      stopLog();
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      opened.close();
      const left = stack.stateCounts();
      if (flags.verbose) out(`synack serve: stopped; left: ${JSON.stringify(left)}\n`);
      process.exit(process.exitCode ?? 0);
    };
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`synack serve: ${sig} again, exiting now\n`);
        finish();
        return;
      }
      stopping = true;
      if (flags.verbose) out(`synack serve: ${sig}: closing connections\n`);
      for (const r of running) r.shutdown();
      const deadline = Date.now() + drainMs;
      // poll until only TIME_WAIT (ours to hold, not the peer's problem) and LISTEN remain
      const poll = (): void => {
        const counts = stack.stateCounts();
        const busy = Object.entries(counts).some(([s, n]) => n && s !== 'TIME_WAIT' && s !== 'LISTEN');
        if (!busy || Date.now() >= deadline) finish();
        else setTimeout(poll, 20);
      };
      poll();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
