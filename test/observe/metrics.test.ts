/** Prometheus metrics for a stack: counters set from the stack's own, states as a gauge, scraped over HTTP. */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/index.js';
import { createMetricsRegistry, parseHostPort, serveMetrics } from '../../src/observe/metrics.js';

describe('metrics', () => {
  it('exposes counters, drops by reason, ICMP kinds and connections by state', async () => {
    const sim = new SimNetwork({ seed: 3 });
    const a = sim.host('10.0.0.1');
    const b = sim.host('10.0.0.2');
    b.net.createServer((s) => s.end('bye')).listen(80);
    const s = a.net.connect(80, '10.0.0.2');
    s.on('data', () => {});
    await sim.runUntil(() => s.destroyed || s.readableEnded, 10_000);
    await sim.run(1000); // the close handshake completes: the server, which closed first, holds TIME_WAIT
    b.input(new Uint8Array([0x45, 0])); // a truncated packet: counted as a drop
    const reg = createMetricsRegistry(b, { synack_link_packets_in_total: ['packets read', () => 42] });
    const text = await reg.metrics();
    expect(text).toMatch(/^synack_tcp_passive_opens_total 1$/m);
    expect(text).toMatch(/^synack_tcp_connections\{state="LISTEN"\} 1$/m);
    expect(text).toMatch(/^synack_tcp_connections\{state="TIME_WAIT"\} 1$/m);
    expect(text).toMatch(/^synack_packets_dropped_total\{reason="ip_truncated"\} 1$/m);
    expect(text).toMatch(/^synack_icmp_total\{kind="echoRequests"\} 0$/m);
    expect(text).toMatch(/^synack_link_packets_in_total 42$/m);
    // a second scrape reads the same absolute values (counters are set, not added to)
    expect(await reg.metrics()).toMatch(/^synack_tcp_passive_opens_total 1$/m);
    const server = await serveMetrics(reg, '127.0.0.1', 0);
    const port = (server.address() as { port: number }).port;
    const body = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
        let t = '';
        res.on('data', (d: Buffer) => (t += d.toString()));
        res.on('end', () => resolve(t));
      }).on('error', reject);
    });
    expect(body).toContain('synack_tcp_connections{state="LISTEN"} 1');
    server.close();
    sim.close();
  });

  it('parseHostPort takes HOST:PORT and [IPv6]:PORT', () => {
    expect(parseHostPort('127.0.0.1:9464')).toEqual(['127.0.0.1', 9464]);
    expect(parseHostPort('[::1]:9')).toEqual(['::1', 9]);
    expect(() => parseHostPort('9464')).toThrow(/expected HOST:PORT/);
  });
});
