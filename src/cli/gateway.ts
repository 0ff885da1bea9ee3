/**
 * `synack gateway`: give a guest that only emits packets (a network namespace, a VM behind a TUN
 * device) the host's network. Every TCP connection and UDP flow the guest starts, to any address,
 * is terminated by synack on the TUN device and relayed through the host's own sockets
 * (gateway/gateway.ts); the guest's DNS queries to the gateway address are answered from the
 * host's resolver (gateway/dns-responder.ts).
 *
 *   synack gateway --tun sg0 --ip 10.0.2.2 --guest-netns guest --guest-ip 10.0.2.15/24
 *
 * --guest-netns moves the device into that namespace and makes it its default route, while synack
 * and its host sockets stay where synack runs. Policy: --allow / --deny CIDR[:PORTS], first match
 * wins, then the defaults (the host's loopback, private and link-local ranges denied, the rest
 * allowed). Start-up is all or nothing, as in `synack serve`. SIGINT/SIGTERM: stop taking flows,
 * end both legs of every flow with a FIN, wait (bounded by --drain-timeout) and exit; a second
 * signal exits at once.
 */
import type http from 'node:http';
import type { Command } from 'commander';
import { makeError } from '../errors.js';
import { startDnsResponder, type DnsResponder } from '../gateway/dns-responder.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { registerGatewayMetrics } from '../gateway/metrics.js';
import type { PolicyRule } from '../gateway/policy.js';
import { createMetricsRegistry, parseHostPort, serveMetrics } from '../observe/metrics.js';
import { parseControlAddress, serveControl } from './control.js';
import { resolverFromFlags } from './gateway-dns-options.js';
import { relayedFlows } from './gateway-flows.js';
import { addDnsMetrics } from './gateway-metrics.js';
import { checkGuestFlags, moveIntoGuestNetns } from './gateway-netns.js';
import { errorLine, warningLine } from './errors.js';
import { buildStack, checkLinkFlags, deviceIsUp, logStateChanges, openLink, type LinkFlags, type OpenedLink } from './link-options.js';

interface GatewayFlags {
  tun?: string;
  ip: string[];
  guestNetns?: string;
  guestIp: string[];
  /** --allow and --deny in the order given: the first rule that matches decides */
  allow: PolicyRule[];
  deny: PolicyRule[];
  /** commander's --no-default-policy */
  defaultPolicy: boolean;
  /** commander's --no-dns */
  dns: boolean;
  hosts?: string;
  mtu?: string;
  sysctl: string[];
  pcap?: string;
  metrics?: string;
  control?: string;
  drainTimeout: string;
  verbose?: boolean;
}

const DRAIN_MS = 5000;

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** --metrics PORT (on 127.0.0.1) or HOST:PORT. */
export function metricsAddress(text: string): [string, number] {
  if (/^\d+$/.test(text)) {
    const port = Number(text);
    if (port > 65535) throw makeError('ERR_INVALID_ARG_VALUE', `--metrics: ${text} is not a port (0-65535)`);
    return ['127.0.0.1', port];
  }
  try {
    return parseHostPort(text);
  } catch (err) {
    throw makeError('ERR_INVALID_ARG_VALUE', `--metrics: ${(err as Error).message}, or a PORT on 127.0.0.1`);
  }
}

export function registerGateway(program: Command): void {
  // --allow and --deny share one list, so the order of the rules is the order on the command line
  const rules: PolicyRule[] = [];
  const rule = (action: 'allow' | 'deny') => (match: string): PolicyRule[] => {
    rules.push({ action, match });
    return rules;
  };
  program
    .command('gateway')
    .description("Relay a guest's traffic (a namespace or VM behind a TUN device) to the host's network through the host's sockets; DNS for the guest")
    .option('--tun <ifname>', 'the TUN device the guest is on, created if absent')
    .option('--ip <addr>', "the gateway's address on the link, IPv4 and/or IPv6 (repeatable): the guest's default gateway and DNS server", collect, [])
    .option('--guest-netns <ns>', 'move the device into this network namespace and make it its default route via the gateway')
    .option('--guest-ip <addr/prefix>', 'with --guest-netns: the guest\'s address on the device (repeatable, IPv4 and/or IPv6)', collect, [])
    .option('--allow <cidr[:ports]>', 'relay flows to these destinations (repeatable; first matching rule wins)', rule('allow'))
    .option('--deny <cidr[:ports]>', 'refuse flows to these destinations (repeatable; first matching rule wins)', rule('deny'))
    .option('--no-default-policy', "without the default rules after yours (deny the host's loopback, private and link-local ranges; allow the rest)")
    .option('--hosts <file>', 'answer DNS from this /etc/hosts-style file alone, not the host resolver')
    .option('--no-dns', 'no DNS responder on port 53 of the gateway address')
    .option('--mtu <bytes>', 'link MTU (default 1500), also set on the device with --guest-netns')
    .option('--sysctl <name=value>', 'a TCP tunable, Linux name (repeatable)', collect, [])
    .option('--pcap <file>', 'write every packet on the guest link to a pcap file')
    .option('--metrics <[host:]port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (host network; a bare PORT is on 127.0.0.1)')
    .option('--control <path|host:port>', 'answer `synack ss --from` (sockets and relayed flows) on this unix socket or host TCP address')
    .option('--drain-timeout <ms>', 'on SIGINT/SIGTERM, wait at most this long for relayed flows to close', String(DRAIN_MS))
    .option('-v, --verbose', 'log a line whenever the count of connections by state changes')
    .action(async (flags: GatewayFlags) => {
      const warn = (m: string): boolean => process.stderr.write(warningLine('gateway', m));
      if (!flags.tun) throw makeError('ERR_INVALID_ARG_VALUE', '--tun IFNAME is required: the TUN device the guest is on');
      const mtu = flags.mtu === undefined ? undefined : Number(flags.mtu);
      if (mtu !== undefined && (!/^\d+$/.test(flags.mtu!) || mtu < 576 || mtu > 65535)) throw makeError('ERR_INVALID_ARG_VALUE', `--mtu must be a whole number from 576 to 65535, got "${flags.mtu}"`);
      const link: LinkFlags = { tun: flags.tun, ip: flags.ip, peerIp: [], sysctl: flags.sysctl, ...(mtu ? { mtu } : {}), ...(flags.pcap ? { pcap: flags.pcap } : {}) };
      checkLinkFlags(link, warn);
      checkGuestFlags(flags.guestNetns, flags.guestIp, flags.ip);
      const resolver = resolverFromFlags(flags);
      const drainMs = Number(flags.drainTimeout);
      if (!Number.isFinite(drainMs) || drainMs < 0) throw makeError('ERR_INVALID_ARG_VALUE', '--drain-timeout must be a number of ms >= 0');
      const metricsAt = flags.metrics ? metricsAddress(flags.metrics) : null;

      // Start-up in the order that needs the least undoing; whatever fails, what is open is closed.
      const stack = buildStack(link);
      let gateway: Gateway | null = null;
      let dns: DnsResponder | null = null;
      let opened: OpenedLink | null = null;
      let metricsServer: http.Server | null = null;
      let control: http.Server | null = null;
      const closeAll = (): void => {
        metricsServer?.close();
        metricsServer?.closeAllConnections();
        control?.close();
        if (opened) opened.close();
        else stack.destroy();
      };
      try {
        gateway = createGateway(stack, { policy: { rules, defaults: flags.defaultPolicy } });
        const gw = gateway;
        if (metricsAt) {
          const registry = createMetricsRegistry(stack, {
            synack_link_packets_in_total: ['packets read from the device', () => opened?.link.device.stats.packetsIn ?? 0],
            synack_link_packets_out_total: ['packets written to the device', () => opened?.link.device.stats.packetsOut ?? 0],
            synack_link_write_drops_total: ['packets the device refused', () => opened?.link.device.stats.writeDrops ?? 0],
          });
          registerGatewayMetrics(registry, gw);
          addDnsMetrics(registry, () => dns?.counters ?? null);
          metricsServer = await serveMetrics(registry, metricsAt[0], metricsAt[1]).catch((err: Error) => {
            throw Object.assign(err, { message: `--metrics ${flags.metrics}: ${err.message}` });
          });
        }
        if (flags.control) control = await serveControl(stack, parseControlAddress(flags.control), () => ({ flows: relayedFlows(gw.connections()) }));
        if (resolver) dns = await startDnsResponder(stack, { addresses: flags.ip, resolver });
        opened = openLink(link, stack);
        if (flags.guestNetns) moveIntoGuestNetns({ netns: flags.guestNetns, ifname: opened.ifname, cidrs: flags.guestIp, gateways: flags.ip, ...(mtu ? { mtu } : {}) });
      } catch (err) {
        closeAll();
        throw err;
      }
      const gw = gateway;
      const device = opened.link.device;
      const out = (s: string): boolean => process.stdout.write(s);
      stack.on('internalError', (err: unknown) => process.stderr.write(`synack gateway: internal error: ${String((err as Error)?.stack ?? err)}\n`));
      device.on('error', (err: Error) => {
        process.stderr.write(errorLine('gateway', err));
        closeAll();
        process.exit(1);
      });
      if (!flags.guestNetns && deviceIsUp(opened.ifname) === false) {
        warn(`${opened.ifname} is down: give --guest-netns NS --guest-ip ADDR/PREFIX, or configure the guest side of the device yourself (ip addr add, ip link set up, a route via ${flags.ip[0]})`);
      }
      const stopLog = flags.verbose ? logStateChanges(stack, out) : () => {};
      const policyText = [...rules.map((r) => `${r.action} ${r.match}`), ...(flags.defaultPolicy ? ['default policy'] : ['allow the rest'])].join(', ');
      out(
        `synack gateway: ${flags.ip.join(', ')} on tun ${opened.ifname}` +
          `${flags.guestNetns ? ` (guest netns ${flags.guestNetns}: ${flags.guestIp.join(', ')})` : ''}; policy: ${policyText}` +
          `; dns: ${!resolver ? 'off' : flags.hosts ? `from ${flags.hosts}` : 'host resolver'}` +
          `${metricsAt ? `; metrics at http://${metricsAt[0]}:${metricsAt[1]}/metrics` : ''}${flags.control ? `; ss at ${flags.control}` : ''}` +
          `${flags.pcap ? `; capture to ${flags.pcap}` : ''}\n`,
      );

      let stopping = false;
      const finish = (): void => {
        stopLog();
        closeAll();
        process.exit(process.exitCode ?? 0);
      };
      const onSignal = (sig: NodeJS.Signals): void => {
        if (stopping) {
          process.stderr.write(`synack gateway: ${sig} again, exiting now\n`);
          finish();
          return;
        }
        stopping = true;
        const t0 = Date.now();
        const flowsAtSignal = gw.size.tcp + gw.size.udp;
        if (flags.verbose) out(`synack gateway: ${sig}: ending ${flowsAtSignal} relayed flows\n`);
        let reset = 0;
        // the gateway resets what is still open just after our deadline, so what is left at it is what was reset
        const deadline = setTimeout(() => (reset = gw.size.tcp), drainMs);
        const closing = gw.close({ timeout: drainMs + 50 });
        void Promise.all([dns?.close(), closing]).then(() => {
          clearTimeout(deadline);
          out(
            `synack gateway: ${sig}: ${flowsAtSignal} relayed flow${flowsAtSignal === 1 ? '' : 's'} ended in ${Date.now() - t0} ms` +
              `${reset ? `; ${reset} still open after --drain-timeout ${drainMs} ms were reset` : ', every TCP flow with a FIN on both legs'}\n`,
          );
          setTimeout(finish, 50); // the last ACKs leave through the device first
        });
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
}
