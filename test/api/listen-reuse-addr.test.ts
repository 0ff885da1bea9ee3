/** listen({ reuseAddr }): SO_REUSEADDR, on by default as libuv sets it for every node:net server. */
import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/index.js';

async function serverWithTimeWait() {
  const net = new SimNetwork({ seed: 1 });
  const a = net.host('10.0.0.1');
  const b = net.host('10.0.0.2');
  const first = b.net.createServer((s) => s.end('bye'));
  first.listen(80);
  const c = a.net.connect(80, '10.0.0.2');
  c.resume();
  let closed = false;
  c.on('close', () => (closed = true));
  await net.runUntil(() => closed && b.connectionCount === 0, 10_000);
  first.close();
  return { net, b };
}

function listenOutcome(b: ReturnType<SimNetwork['host']>, opts: object): Promise<string> {
  return new Promise((resolve) => {
    const srv = b.net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(`${e.code} ${e.message}`));
    srv.listen({ port: 80, ...opts }, () => resolve('listening'));
  });
}

describe('listen() on a port that still has TIME_WAIT records', () => {
  it('without SO_REUSEADDR (reuseAddr: false) fails with EADDRINUSE, as bind(2) does', async () => {
    const { net, b } = await serverWithTimeWait();
    expect(b.stateCounts()).toEqual({ TIME_WAIT: 1 });
    const p = listenOutcome(b, { reuseAddr: false });
    await net.run(1);
    expect(await p).toBe('EADDRINUSE listen EADDRINUSE: address already in use 0.0.0.0:80');
    net.close();
  });

  it('with SO_REUSEADDR, the default, succeeds', async () => {
    const { net, b } = await serverWithTimeWait();
    const p = listenOutcome(b, {});
    await net.run(1);
    expect(await p).toBe('listening');
    net.close();
  });

  it('without SO_REUSEADDR succeeds once 2MSL has passed', async () => {
    const { net, b } = await serverWithTimeWait();
    await net.run(61_000);
    const p = listenOutcome(b, { reuseAddr: false });
    await net.run(1);
    expect(await p).toBe('listening');
    net.close();
  });

  it('refuses a reuseAddr that is not a boolean', async () => {
    const net = new SimNetwork({ seed: 1 });
    const b = net.host('10.0.0.2');
    expect(() => b.net.createServer().listen({ port: 80, reuseAddr: 'no' })).toThrow(/"options.reuseAddr" property must be of type boolean/);
    net.close();
  });
});
