/** The gateway's Prometheus metrics: read from its counters at scrape time, labelled by protocol and reason. */
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsRegistry, registerGatewayMetrics } from '../../src/index.js';
import { DEST, closedTcpPort, once, rig, tcpServer } from './helpers.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('synack_gateway_* metrics', () => {
  it('relayed flows, bytes each way and refusals by reason appear in the stack\'s registry', async () => {
    const { port, stop } = await tcpServer((s) => s.end('hello'));
    const refusedPort = await closedTcpPort();
    const r = rig({ resolveDestination: (f) => ({ address: '127.0.0.1', port: f.localPort === 80 ? port : refusedPort }) });
    cleanup.push(stop, () => r.gateway.close({ timeout: 100 }));
    const registry = createMetricsRegistry(r.gw);
    registerGatewayMetrics(registry, r.gateway);
    const ok = r.guest.net.connect(80, DEST);
    ok.on('data', () => {});
    ok.on('end', () => ok.end());
    await once(ok, 'close');
    await once(r.guest.net.connect(81, DEST), 'error');
    const text = await registry.metrics();
    expect(text).toContain('synack_gateway_flows_relayed_total{protocol="tcp"} 1');
    expect(text).toContain('synack_gateway_bytes_total{protocol="tcp",direction="to_guest"} 5');
    expect(text).toContain('synack_gateway_flows_refused_total{protocol="tcp",reason="host_econnrefused"} 1');
    expect(text).toMatch(/synack_gateway_flows\{protocol="udp"\} 0/);
  });
});
