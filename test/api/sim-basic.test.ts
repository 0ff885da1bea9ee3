import { describe, expect, it } from 'vitest';
import { SimNetwork, type TransitionEvent } from '../../src/index.js';

describe('two stacks on the simulated network', () => {
  it('echo round trip, then both sides reach CLOSED after TIME_WAIT', async () => {
    const net = new SimNetwork({ seed: 1 });
    const a = net.host('10.0.0.1');
    const b = net.host('10.0.0.2');
    const events: TransitionEvent[] = [];
    a.on('transition', (e: TransitionEvent) => events.push(e));
    b.on('transition', (e: TransitionEvent) => events.push(e));
    const server = b.net.createServer((s) => {
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    });
    server.listen(7);
    await net.run(1);
    const client = a.net.connect(7, '10.0.0.2');
    let got = '';
    client.on('data', (d) => (got += d.toString()));
    client.write('hello');
    client.end();
    let closed = false;
    client.on('close', () => (closed = true));
    expect(await net.runUntil(() => closed, 10_000)).toBe(true);
    expect(got).toBe('hello');
    expect(a.stateCounts()).toEqual({ TIME_WAIT: 1 });
    await net.run(61_000);
    expect(a.stateCounts()).toEqual({});
    expect(b.stateCounts()).toEqual({ LISTEN: 1 });
    const clientPath = events.filter((e) => e.host === '10.0.0.1').map((e) => e.to);
    expect(clientPath).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
  });
});
