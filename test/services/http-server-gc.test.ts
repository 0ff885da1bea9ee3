/**
 * What a closed connection leaves to the collector. Under `Connection: close` load the http service
 * once kept its connections in a Set, and V8 promoted ~1.7 MB per scavenge over TUN (the
 * connections that had passed through it, dead long before), all of it for the next mark-compact
 * to collect: ~3 µs of CPU per connection on V8's helper threads. Here a child drives the service
 * on the simulated network for a second with V8's GC trace on, and the median scavenge must
 * promote next to nothing (it promoted ~770 KB with the Set).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const DIST = new URL('../../dist/src/', import.meta.url).href;

const SCRIPT = `
const { SimNetwork } = await import(${JSON.stringify(DIST + 'index.js')});
const { startHttpServer } = await import(${JSON.stringify(DIST + 'services/http-server.js')});
const REQ = Buffer.from('GET / HTTP/1.1\\r\\nHost: 10.0.0.2\\r\\nConnection: close\\r\\n\\r\\n');
const sim = new SimNetwork({ clock: 'real', offload: true });
const c = sim.host('10.0.0.1'), s = sim.host('10.0.0.2');
startHttpServer(s.net, 80);
let done = 0;
const deadline = performance.now() + 1500;
const loop = async () => {
  for (let i = 0; i < 200000 && performance.now() < deadline; i++) await new Promise((resolve) => {
    const k = c.net.connect(80, '10.0.0.2');
    let got = 0;
    k.on('connect', () => k.write(REQ));
    k.on('data', (d) => { got += d.length; });
    k.on('error', () => {});
    k.on('close', () => { if (got > 0) done++; resolve(); });
  });
};
await Promise.all(Array.from({ length: 32 }, loop));
console.log('DONE ' + done);
sim.close();
process.exit(0);
`;

describe('the http service under Connection: close', () => {
  it('a closed connection dies young: the median scavenge promotes under 64 KB', () => {
    const out = execFileSync(process.execPath, ['--trace-gc-nvp', '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    const done = Number(/DONE (\d+)/.exec(out)?.[1] ?? 0);
    expect(done).toBeGreaterThan(1000);
    const promoted = out
      .split('\n')
      .filter((l) => l.includes('gc=s '))
      .map((l) => Number(/ promoted=(\d+)/.exec(l)?.[1] ?? NaN))
      .filter((n) => Number.isFinite(n))
      .sort((a, b) => a - b);
    expect(promoted.length).toBeGreaterThan(10);
    expect(promoted[promoted.length >> 1]).toBeLessThan(64 * 1024);
  }, 60_000);
});
