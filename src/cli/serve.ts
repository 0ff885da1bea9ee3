/**
 * `synack serve`: the classic internal services (echo, discard, daytime, chargen, http, node-http) on a TUN
 * or TAP device, with the kernel (or anything on the link) as the peer.
 *
 *   synack serve --tun synack0 --ip 10.99.0.2 --peer-ip 10.99.0.1/24
 *
 * One line when ready; with --verbose one line per change of the connection-state counts.
 * Start-up is all or nothing: the metrics port is bound before the device is opened, and a
 * service that cannot listen, a metrics address that cannot be bound or a device that cannot be
 * opened ends the process with exit 1 after closing whatever was already open.
 * SIGINT/SIGTERM: stop listening, end every connection with a FIN, wait (bounded) for the closes
 * to finish, then exit. A second signal exits at once.
 */
import '../api/net.js'; // stack.net
import type http from 'node:http';
import type { Command } from 'commander';
import type { NetApi } from '../api/net.js';
import { makeError } from '../errors.js';
import type { AttachedLink } from '../link/attach.js';
import { createMetricsRegistry, parseHostPort, serveMetrics } from '../observe/metrics.js';
import { DEFAULT_SERVICES, parseServiceList, type RunningService, type ServiceDef } from '../services/index.js';
import { startControl } from './control.js';
import { startLiveDashboard } from './dashboard.js';
import { errorLine, warningLine } from './errors.js';
import { describeImpairStats, describeLinkImpairments, impairMetrics, linkImpairments } from './impair-options.js';
import { addLinkOptions, buildStack, checkLinkFlags, deviceIsUp, logStateChanges, openLink, type LinkFlags, type OpenedLink } from './link-options.js';

interface ServeFlags extends LinkFlags {
  services: string;
  metrics?: string;
  dashboard?: string;
  drainTimeout: string;
}

/** How long a graceful shutdown waits for connections to finish closing (TIME_WAIT excepted). */
const DRAIN_MS = 3000;

/** Two services cannot share a port: refused before anything is opened. */
export function checkServicePorts(services: { def: ServiceDef; port: number }[]): void {
  const byPort = new Map<number, string>();
  for (const { def, port } of services) {
    const other = byPort.get(port);
    if (other !== undefined) {
      throw makeError('ERR_INVALID_ARG_VALUE', `--services: ${other} and ${def.name} both on port ${port}; give one another port (NAME:PORT)`);
    }
    byPort.set(port, def.name);
  }
}

/**
 * Starts every service and waits until each listens. If one cannot (EADDRINUSE...), the ones
 * already listening are closed and the promise rejects with `NAME:PORT: listen ...`.
 */
export async function startServices(net: NetApi, services: { def: ServiceDef; port: number }[]): Promise<RunningService[]> {
  const running: RunningService[] = [];
  try {
    for (const { def, port } of services) {
      const r = def.start(net, port);
      running.push(r);
      await new Promise<void>((resolve, reject) => {
        if (r.server.listening) return resolve();
        const onError = (err: Error): void => {
          r.server.off('listening', onListening);
          reject(Object.assign(err, { message: `${r.name}:${port}: ${err.message}` }));
        };
        const onListening = (): void => {
          r.server.off('error', onError);
          resolve();
        };
        r.server.once('error', onError);
        r.server.once('listening', onListening);
      });
    }
  } catch (err) {
    for (const r of running) r.server.close();
    throw err;
  }
  return running;
}

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('Serve echo, discard, daytime, chargen and http (its own HTTP/1.1 server) over a TUN/TAP device, the kernel as the peer; node-http (node:http, port 8080) on request')
    .option('--services <list>', 'services to run, NAME or NAME:PORT, comma-separated', DEFAULT_SERVICES)
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (host network)')
    .option('--dashboard <host:port>', 'serve the live state diagram at http://HOST:PORT/ (host network)')
    .option('--drain-timeout <ms>', 'on SIGINT/SIGTERM, wait at most this long for connections to close', String(DRAIN_MS));
  addLinkOptions(cmd).action(async (flags: ServeFlags) => {
    const warn = (m: string): boolean => process.stderr.write(warningLine('serve', m));
    checkLinkFlags(flags, warn);
    const services = parseServiceList(flags.services);
    checkServicePorts(services);
    const drainMs = Number(flags.drainTimeout);
    if (!Number.isFinite(drainMs) || drainMs < 0) throw makeError('ERR_INVALID_ARG_VALUE', '--drain-timeout must be a number of ms >= 0');
    const metricsAt = flags.metrics ? parseHostPort(flags.metrics) : null;
    const impaired = linkImpairments(flags, flags.mtu) !== undefined;

    // Start-up, in the order that needs the least undoing: the stack, the metrics port, the
    // device, the services. Whatever fails, what is open gets closed and the error ends the process.
    const stack = buildStack(flags);
    let opened: OpenedLink | null = null;
    let metricsServer: http.Server | null = null;
    let control: http.Server | null = null;
    let dashboard: { server: http.Server; url: string } | null = null;
    let running: RunningService[] = [];
    const closeAll = (): void => {
      for (const r of running) if (r.server.listening) r.server.close();
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      control?.close();
      dashboard?.server.close();
      dashboard?.server.closeAllConnections();
      if (opened) opened.close();
      else stack.destroy();
    };
    const link = (): AttachedLink | undefined => opened?.link;
    try {
      if (metricsAt) {
        metricsServer = await serveMetrics(
          createMetricsRegistry(stack, {
            synack_link_packets_in_total: ['packets read from the device', () => link()?.device.stats.packetsIn ?? 0],
            synack_link_packets_out_total: ['packets written to the device', () => link()?.device.stats.packetsOut ?? 0],
            synack_link_write_drops_total: ['packets the device refused', () => link()?.device.stats.writeDrops ?? 0],
            ...(impaired ? impairMetrics(() => link()?.impaired) : {}),
          }),
          metricsAt[0],
          metricsAt[1],
        ).catch((err: Error) => {
          throw Object.assign(err, { message: `--metrics ${flags.metrics}: ${err.message}` });
        });
      }
      control = await startControl(stack, flags.control);
      if (flags.dashboard) dashboard = await startLiveDashboard(stack, flags.dashboard);
      opened = openLink(flags, stack);
      running = await startServices(stack.net, services);
    } catch (err) {
      closeAll();
      throw err;
    }
    const device = opened.link.device;
    const out = (s: string): boolean => process.stdout.write(s);
    stack.on('internalError', (err: unknown) => process.stderr.write(`synack serve: internal error: ${String((err as Error)?.stack ?? err)}\n`));
    device.on('error', (err: Error) => {
      process.stderr.write(errorLine('serve', err));
      closeAll();
      process.exit(1);
    });
    for (const r of running) {
      r.server.on('error', (err: Error) => {
        process.stderr.write(errorLine('serve', Object.assign(err, { message: `${r.name}: ${err.message}` })));
        process.exitCode = 1;
      });
    }
    if (flags.peerIp.length === 0 && deviceIsUp(opened.ifname) === false) {
      warn(`${opened.ifname} is down: nothing reaches synack until the kernel side has an address and is up (--peer-ip ADDR/PREFIX, or ip addr add and ip link set up)`);
    }
    const stopLog = flags.verbose ? logStateChanges(stack, out) : () => {};
    const list = running.map((r) => `${r.name}:${r.port}`).join(' ');
    out(
      `synack serve: ${flags.ip.join(', ')} on ${opened.mode} ${opened.ifname}` +
        `${flags.peerIp.length ? ` (peer ${flags.peerIp.join(', ')})` : ''}: ${list}` +
        `${metricsAt ? `; metrics at http://${flags.metrics}/metrics` : ''}${flags.control ? `; ss at ${flags.control}` : ''}` +
        `${dashboard ? `; dashboard at ${dashboard.url}` : ''}${flags.pcap ? `; capture to ${flags.pcap}` : ''}` +
        `${opened.impairments ? `; ${describeLinkImpairments(opened.impairments)}` : ''}\n`,
    );

    let stopping = false;
    const finish = (): void => {
      stopLog();
      const impairStats = opened?.link.impaired;
      closeAll();
      const left = stack.stateCounts();
      if (flags.verbose) out(`synack serve: stopped; left: ${JSON.stringify(left)}\n`);
      if (flags.verbose && impairStats) out(`synack serve: impairments: ${describeImpairStats(impairStats)}\n`);
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
