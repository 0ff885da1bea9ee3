/** Loss-recovery counters: one set per stack (stack.counters.loss), exported for Prometheus. */
import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/index.js';
import { createMetricsRegistry } from '../../src/observe/metrics.js';

describe('loss-recovery metrics', () => {
  it('retransmissions by kind, timeouts and tail loss probes reach stack.counters.loss and synack_tcp_retransmits_total', async () => {
    const sim = new SimNetwork({ seed: 5, impairments: { delayMs: 10 } });
    const a = sim.host('10.0.0.1');
    const b = sim.host('10.0.0.2');
    let got = 0;
    b.net.createServer((s) => s.on('data', (d: Buffer) => (got += d.length))).listen(80);
    const s = a.net.connect(80, '10.0.0.2');
    await sim.runUntil(() => s.readyState === 'open', 10_000);
    // everything from a to b is lost for a while: a tail loss probe, then timeouts
    sim.impair('10.0.0.1', '10.0.0.2', { delayMs: 10, loss: 1 });
    s.write(Buffer.alloc(2 * 1448, 1)); // two full segments: the probe can only be a retransmission
    await sim.run(3000);
    sim.impairAll({ delayMs: 10 });
    await sim.runUntil(() => got === 2 * 1448, 60_000);
    const loss = a.counters.loss;
    expect(loss.tlpProbes).toBe(1);
    expect(loss.retransmits.tlp).toBe(1);
    expect(loss.rtoTimeouts).toBeGreaterThanOrEqual(2);
    expect(loss.retransmits.rto).toBeGreaterThanOrEqual(loss.rtoTimeouts);
    const text = await createMetricsRegistry(a).metrics();
    expect(text).toMatch(/^synack_tcp_retransmits_total\{kind="tlp"\} 1$/m);
    expect(text).toMatch(new RegExp(`^synack_tcp_retransmits_total\\{kind="rto"\\} ${loss.retransmits.rto}$`, 'm'));
    expect(text).toMatch(/^synack_tcp_retransmits_total\{kind="fast"\} 0$/m);
    expect(text).toMatch(new RegExp(`^synack_tcp_rto_timeouts_total ${loss.rtoTimeouts}$`, 'm'));
    expect(text).toMatch(/^synack_tcp_loss_probes_total 1$/m);
    expect(text).toMatch(/^synack_tcp_recovery_milliseconds_total \d+/m);
    expect(text).toMatch(/^synack_tcp_spurious_retransmits_total 0$/m);
    s.destroy();
  });
});
