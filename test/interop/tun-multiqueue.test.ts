/**
 * IFF_MULTI_QUEUE: one device opened twice gives two queues, the kernel spreads flows over them,
 * and one Stack fed from both serves them all. A single-queue open of a multi-queue device is
 * refused with EINVAL, named as such.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, Output, ROOT, interopUnavailable } from './helpers.js';

const why = interopUnavailable(['socat']);

const SCRIPT = `
import { Stack, TunDevice } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'index.js'))};
import { configurePeer } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'link', 'iface.js'))};
const q0 = TunDevice.open('synmq0', { multiQueue: true });
const q1 = TunDevice.open('synmq0', { multiQueue: true });
let single = 'opened';
try { TunDevice.open('synmq0').close(); } catch (e) { single = e.code; }
configurePeer('synmq0', ['10.99.7.1/24']);
const stack = new Stack({ addresses: ['10.99.7.2'] });
q0.on('packet', (p) => stack.input(p));
q1.on('packet', (p) => stack.input(p));
stack.on('packet', (p) => q0.write(p));
stack.net.createServer((s) => s.end('queued\\n')).listen(80);
console.log('ready ' + single);
process.stdin.on('data', () => {
  console.log(JSON.stringify({ q0: q0.stats.packetsIn, q1: q1.stats.packetsIn }));
  q0.close(); q1.close(); stack.destroy(); process.stdin.destroy();
});
`;

describe.skipIf(why !== null)(`multi-queue TUN${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();
  beforeAll(() => {
    ns.create();
  });
  afterAll(async () => {
    await ns.destroy();
  });

  it('two queues on one device feed one stack; flows spread over both', async () => {
    const child = ns.start([process.execPath, '--input-type=module', '-e', SCRIPT]);
    const out = new Output(child);
    const ready = await out.waitFor(/^ready /, 20_000);
    expect(ready).toBe('ready EINVAL');
    for (let i = 0; i < 24; i++) {
      const r = await ns.run(['socat', '-u', '-T', '5', 'TCP4:10.99.7.2:80', 'STDOUT']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toBe('queued\n');
    }
    child.stdin!.write('stats\n');
    const line = await out.waitFor(/^\{"q0"/, 10_000);
    const stats = JSON.parse(line) as { q0: number; q1: number };
    expect(stats.q0).toBeGreaterThan(0);
    expect(stats.q1).toBeGreaterThan(0);
    expect(await out.exit(10_000)).toBe(0);
  }, 60_000);
});
