/**
 * `synack gateway --metrics`: the stack's metrics (observe/metrics.ts) plus the gateway's own,
 * read at scrape time from the relay's and the DNS responder's counters:
 *
 *   synack_gateway_flows_total{protocol}                 flows relayed
 *   synack_gateway_bytes_total{protocol,direction}       bytes relayed, to_host / to_guest
 *   synack_gateway_refused_total{protocol,reason}        flows refused (RST / port unreachable)
 *   synack_gateway_dropped_total{protocol,reason}        flows dropped without an answer
 *   synack_gateway_resets_total{protocol,direction}      resets carried across
 *   synack_gateway_active_flows{protocol}                flows open now
 *   synack_dns_queries_total{transport}                  messages to the DNS responder
 *   synack_dns_responses_total{rcode}                    its answers by RCODE
 *   synack_dns_malformed_total{reason}                   messages it could not decode
 */
import { createRequire } from 'node:module';
import type { Counter, Registry } from 'prom-client';
import type { DnsResponderCounters } from '../gateway/dns-responder.js';

/** What the gateway's metrics read; each null while that part is not running. */
export interface GatewayMetricSources {
  dns(): DnsResponderCounters | null;
  relay(): RelaySnapshot | null;
}

/** The relay's figures by protocol, as the metrics need them. */
export interface RelaySnapshot {
  tcp: RelayFigures;
  udp: RelayFigures;
}

export interface RelayFigures {
  relayed: number;
  bytesToHost: number;
  bytesToGuest: number;
  refused: Record<string, number>;
  dropped: Record<string, number>;
  resetsToHost: number;
  resetsToGuest: number;
  active: number;
}

/** Add the gateway's metrics to `registry` (made by createMetricsRegistry, which loaded prom-client). */
export function addGatewayMetrics(registry: Registry, src: GatewayMetricSources): void {
  const { Counter, Gauge } = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  const labelled = (name: string, help: string, labelNames: string[], fill: (c: Counter) => void): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill(this);
      },
    });
  };
  const protocols = (fn: (c: Counter, protocol: 'tcp' | 'udp', f: RelayFigures) => void) => (c: Counter) => {
    const r = src.relay();
    if (r) for (const p of ['tcp', 'udp'] as const) fn(c, p, r[p]);
  };
  labelled('synack_gateway_flows_total', 'flows relayed to the host network', ['protocol'], protocols((c, protocol, f) => c.inc({ protocol }, f.relayed)));
  labelled(
    'synack_gateway_bytes_total',
    'bytes relayed, guest to host (to_host) and host to guest (to_guest)',
    ['protocol', 'direction'],
    protocols((c, protocol, f) => {
      c.inc({ protocol, direction: 'to_host' }, f.bytesToHost);
      c.inc({ protocol, direction: 'to_guest' }, f.bytesToGuest);
    }),
  );
  labelled(
    'synack_gateway_refused_total',
    'flows refused to the guest (TCP RST, ICMP port unreachable), by reason',
    ['protocol', 'reason'],
    protocols((c, protocol, f) => {
      for (const [reason, n] of Object.entries(f.refused)) c.inc({ protocol, reason }, n);
    }),
  );
  labelled(
    'synack_gateway_dropped_total',
    'flows dropped without an answer, by reason',
    ['protocol', 'reason'],
    protocols((c, protocol, f) => {
      for (const [reason, n] of Object.entries(f.dropped)) c.inc({ protocol, reason }, n);
    }),
  );
  labelled(
    'synack_gateway_resets_total',
    'resets carried across: to_host (the guest reset) and to_guest (the host side reset or failed)',
    ['protocol', 'direction'],
    protocols((c, protocol, f) => {
      c.inc({ protocol, direction: 'to_host' }, f.resetsToHost);
      c.inc({ protocol, direction: 'to_guest' }, f.resetsToGuest);
    }),
  );
  new Gauge({
    name: 'synack_gateway_active_flows',
    help: 'relayed flows open now',
    labelNames: ['protocol'],
    registers: [registry],
    collect() {
      const r = src.relay();
      for (const p of ['tcp', 'udp'] as const) this.set({ protocol: p }, r ? r[p].active : 0);
    },
  });
  labelled('synack_dns_queries_total', "DNS messages to the gateway's responder, by transport", ['transport'], (c) => {
    const d = src.dns();
    if (!d) return;
    c.inc({ transport: 'udp' }, d.udpQueries);
    c.inc({ transport: 'tcp' }, d.tcpQueries);
  });
  labelled('synack_dns_responses_total', 'DNS responses sent, by RCODE', ['rcode'], (c) => {
    for (const [rcode, n] of Object.entries(src.dns()?.responses ?? {})) c.inc({ rcode }, n);
  });
  labelled('synack_dns_malformed_total', 'DNS messages that could not be decoded, by reason', ['reason'], (c) => {
    for (const [reason, n] of Object.entries(src.dns()?.malformed ?? {})) c.inc({ reason }, n);
  });
}
