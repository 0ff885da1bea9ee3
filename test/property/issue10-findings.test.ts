/**
 * The findings of issue 10 ("hostile input and long runs"), each reproduced as it was seen: through
 * sockets on the simulated network. The TCB-level tests named after the same rules are in
 * test/tcp (simultaneous-close, timer-invariant, reassembly-bounds, ack-throttle, flow-control).
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/index.js';
import type { Socket } from '../../src/api/socket.js';
import { TimerWatch } from './harness.js';

describe('issue 10 findings, through sockets on the simulated network', () => {
  it('simultaneous close with data still queued: the client writes 64 KiB and ends while the server sends 1 KiB and ends; every byte arrives, both reach TIME_WAIT then CLOSED', async () => {
    // before the fix the server received 14,480 bytes; the client sat in CLOSING with 51 KiB
    // unsent and no timer, the server in FIN_WAIT_2
    const net = new SimNetwork({ seed: 1 });
    const a = net.host('10.0.0.1');
    const b = net.host('10.0.0.2');
    net.impairAll({ delayMs: 10 });
    const watch = new TimerWatch([a, b]);
    let serverGot = 0;
    let clientGot = 0;
    b.net
      .createServer((s) => {
        s.on('data', (d: Buffer) => (serverGot += d.length));
        s.write(Buffer.alloc(1024, 1));
        s.end();
      })
      .listen(80);
    await net.run(1);
    const c = a.net.connect(80, '10.0.0.2');
    c.on('data', (d: Buffer) => (clientGot += d.length));
    c.on('connect', () => {
      c.write(Buffer.alloc(65536, 2));
      c.end();
    });
    const states: string[] = [];
    a.on('transition', (e: { to: string }) => states.push(e.to));
    await net.runUntil(watch.wrap(() => a.stateCounts().TIME_WAIT === 1 && b.stateCounts().TIME_WAIT === 1), 10_000);
    expect(serverGot).toBe(65536);
    expect(clientGot).toBe(1024);
    expect(states).toContain('CLOSING');
    await net.runUntil(watch.wrap(() => a.connectionCount === 0 && b.connectionCount === 0 && a.timeWait.size === 0 && b.timeWait.size === 0), 70_000);
    expect(a.stateCounts()).toEqual({});
    expect(b.stateCounts()).toEqual({ LISTEN: 1 });
    expect(watch.breaches).toEqual([]);
  });

  it('setUserTimeout(60000) against a zero-window peer that answers every probe ends the connection with ETIMEDOUT, not after hours', async () => {
    // before the fix the connection was still ESTABLISHED after 2 hours of answered probes
    const net = new SimNetwork({ seed: 2 });
    const a = net.host('10.0.0.1');
    const b = net.host('10.0.0.2', { sysctl: { tcp_rmem: [4096, 16384, 16384] } });
    net.impairAll({ delayMs: 5 });
    b.net.createServer((s: Socket) => s.pause()).listen(80); // never reads: its window shuts
    await net.run(1);
    const c = a.net.connect(80, '10.0.0.2');
    c.setUserTimeout(60_000);
    const errors: string[] = [];
    c.on('error', (e: NodeJS.ErrnoException) => errors.push(String(e.code)));
    c.on('connect', () => c.write(Buffer.alloc(1 << 20)));
    const start = net.now();
    const ended = await net.runUntil(() => errors.length > 0, 2 * 3_600_000);
    expect(ended).toBe(true);
    expect(errors).toEqual(['ETIMEDOUT']);
    // the window shut within a second; probing starts an RTO later and lasts the user timeout
    expect(net.now() - start).toBeLessThan(65_000);
  });
});
