/**
 * When a TUN device hands its queued packets to the kernel: once per event-loop turn, after the
 * turn's I/O callbacks and the immediates queued before the first write (the check phase), so what
 * the stack answers to a read batch and what its deferred work sends in the same turn leave in one
 * write batch; `flush()` hands them over at once.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, Output, ROOT, interopUnavailable } from './helpers.js';

const why = interopUnavailable();

const SCRIPT = `
import { TunDevice } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'index.js'))};
import { configurePeer } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'link', 'iface.js'))};
import { encodeUdpPacketV4 } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'wire', 'udp.js'))};
import { parseIPv4 } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'wire', 'addr.js'))};
const dev = TunDevice.open('synwb0');
configurePeer('synwb0', ['10.99.8.1/24']);
// a UDP datagram from 10.99.8.2 to the peer's discard port: the kernel takes it and drops it
const packet = encodeUdpPacketV4(parseIPv4('10.99.8.2'), parseIPv4('10.99.8.1'), 12345, 9, new Uint8Array(4));
const turn = () => new Promise((r) => setImmediate(r));
const out = {};
// 1. a write in an earlier-queued immediate and one now: one batch, after both
let b0 = dev.stats.writeBatches;
setImmediate(() => dev.write(packet));
dev.write(packet);
await Promise.resolve();
out.afterMicrotask = dev.stats.writeBatches - b0;
await turn(); await turn();
out.sameTurn = { batches: dev.stats.writeBatches - b0, packets: dev.stats.packetsOut };
// 2. flush() at once
b0 = dev.stats.writeBatches;
dev.write(packet); dev.write(packet);
dev.flush();
out.flushNow = dev.stats.writeBatches - b0;
await turn(); await turn();
out.flushNowLater = dev.stats.writeBatches - b0;
// 3. a write from an immediate (the check phase) leaves by the next turn
b0 = dev.stats.writeBatches;
await new Promise((r) => setImmediate(() => { dev.write(packet); r(); }));
await turn(); await turn();
out.fromImmediate = dev.stats.writeBatches - b0;
out.drops = dev.stats.writeDrops;
dev.close();
console.log(JSON.stringify(out));
`;

describe.skipIf(why !== null)(`TUN write batches${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();
  let result: Record<string, unknown>;
  beforeAll(async () => {
    ns.create();
    const child = ns.start([process.execPath, '--input-type=module', '-e', SCRIPT]);
    const out = new Output(child);
    result = JSON.parse(await out.waitFor(/^\{/, 20_000)) as Record<string, unknown>;
    expect(await out.exit(10_000)).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await ns.destroy();
  });

  it('packets queued in one turn are not written at the end of the microtask queue', () => {
    expect(result.afterMicrotask).toBe(0);
  });

  it("a turn's packets, from I/O callbacks and from immediates queued before them, leave in one write batch", () => {
    expect(result.sameTurn).toEqual({ batches: 1, packets: 2 });
    expect(result.drops).toBe(0);
  });

  it('flush() hands the queued packets to the kernel at once, and the turn then writes nothing more', () => {
    expect(result.flushNow).toBe(1);
    expect(result.flushNowLater).toBe(1);
  });

  it('a packet written from an immediate leaves by the next turn', () => {
    expect(result.fromImmediate).toBe(1);
  });
});
