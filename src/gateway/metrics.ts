/**
 * The gateway's Prometheus metrics, added to a registry (createMetricsRegistry's, or your own):
 * relayed flows, flows open now, bytes each way, refused and dropped flows by reason, resets
 * carried, by protocol. Read from the gateway's counters at scrape time, as observe/metrics.ts
 * reads the stack's. What the forwarder itself drops (limits, expiry) is in
 * `synack_packets_dropped_total{reason="forward_..."}` with the stack's other drops.
 */
import type { Counter, Registry } from 'prom-client';
import { addScrapedCounter, loadPromClient } from '../observe/metrics.js';
import type { Gateway } from './gateway.js';

const PROTOCOLS = ['tcp', 'udp'] as const;

/** Register the gateway's metrics (`synack_gateway_*`) in `registry`. */
export function registerGatewayMetrics(registry: Registry, gateway: Gateway): void {
  const { Gauge } = loadPromClient();
  const c = gateway.counters;
  const labelled = (name: string, help: string, labelNames: string[], fill: (counter: Counter) => void): void =>
    addScrapedCounter(registry, name, help, labelNames, fill);
  labelled('synack_gateway_flows_relayed_total', 'guest flows relayed through host sockets (TCP: both legs connected; UDP: host socket opened)', ['protocol'], (m) => {
    for (const p of PROTOCOLS) m.inc({ protocol: p }, c[p].relayed);
  });
  labelled('synack_gateway_bytes_total', 'bytes relayed, by direction (to_host, to_guest)', ['protocol', 'direction'], (m) => {
    for (const p of PROTOCOLS) {
      m.inc({ protocol: p, direction: 'to_host' }, c[p].bytesToHost);
      m.inc({ protocol: p, direction: 'to_guest' }, c[p].bytesToGuest);
    }
  });
  labelled('synack_gateway_flows_refused_total', 'guest flows refused (TCP RST, UDP Port Unreachable), by reason', ['protocol', 'reason'], (m) => {
    for (const p of PROTOCOLS) for (const [reason, n] of Object.entries(c[p].refused)) m.inc({ protocol: p, reason }, n);
  });
  labelled('synack_gateway_flows_dropped_total', 'guest flows or datagrams dropped without an answer, by reason', ['protocol', 'reason'], (m) => {
    for (const p of PROTOCOLS) for (const [reason, n] of Object.entries(c[p].dropped)) m.inc({ protocol: p, reason }, n);
  });
  labelled('synack_gateway_resets_total', 'TCP resets carried from one leg to the other, by the leg they went to (host, guest)', ['direction'], (m) => {
    m.inc({ direction: 'to_host' }, c.tcp.resetsToHost);
    m.inc({ direction: 'to_guest' }, c.tcp.resetsToGuest);
  });
  new Gauge({
    name: 'synack_gateway_flows',
    help: 'guest flows relayed right now (TCP including those still connecting)',
    labelNames: ['protocol'],
    registers: [registry],
    collect() {
      const size = gateway.size;
      for (const p of PROTOCOLS) this.set({ protocol: p }, size[p]);
    },
  });
}
