/**
 * `stack.inputBatch(packets, owned)` with ownership per packet (`owned[i]`), as attachTun gives a
 * TUN device's read batch: the large payloads of packets handed over are kept as views, those of
 * the others are copied before the call returns, since their link writes over them afterwards.
 */
import { describe, expect, it } from 'vitest';
import '../../src/api/net.js';
import { Stack } from '../../src/stack/stack.js';
import { GSO_MAX_BYTES } from '../../src/link/offload.js';

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + (i >>> 9)) & 0xff;
  return b;
}

/** a's packets reach b in batches, every other packet of a batch handed over; the rest are overwritten after each batch */
function link(a: Stack, b: Stack): { owned: WeakSet<ArrayBuffer>; lent: WeakSet<ArrayBuffer> } {
  const offload = { txChecksum: true, rxChecksumVerified: true, gsoMaxBytes: GSO_MAX_BYTES };
  a.setOffload(offload);
  b.setOffload(offload);
  const owned = new WeakSet<ArrayBuffer>();
  const lent = new WeakSet<ArrayBuffer>();
  const direction = (to: Stack, mixed: boolean): ((p: Uint8Array) => void) => {
    let queue: Uint8Array[] = [];
    return (p) => {
      queue.push(new Uint8Array(p)); // a buffer of its own
      if (queue.length > 1) return;
      queueMicrotask(() => {
        const batch = queue;
        queue = [];
        const flags = batch.map((_, i) => mixed && i % 2 === 0);
        for (let i = 0; i < batch.length; i++) (flags[i] ? owned : lent).add(batch[i]!.buffer as ArrayBuffer);
        to.inputBatch(batch, flags);
        // the link reuses what it did not hand over
        for (let i = 0; i < batch.length; i++) if (!flags[i]) batch[i]!.fill(0xee);
      });
    };
  };
  a.on('packet', direction(b, true));
  b.on('packet', direction(a, false));
  return { owned, lent };
}

describe('inputBatch with ownership per packet', () => {
  it('keeps views of the packets handed over only, and the data arrives intact while the others are overwritten', async () => {
    const a = new Stack({ addresses: ['10.0.0.1'] });
    const b = new Stack({ addresses: ['10.0.0.2'] });
    const { owned, lent } = link(a, b);
    const data = pattern(4 << 20);
    const kept: Buffer[] = [];
    const done = new Promise<void>((resolve) => {
      b.net
        .createServer((s) => {
          s.on('data', (d: Buffer) => kept.push(d)); // kept as given: no copy
          s.on('end', () => resolve());
        })
        .listen(80);
    });
    a.net.connect(80, '10.0.0.2').end(data);
    await done;
    expect(Buffer.concat(kept).equals(data)).toBe(true);
    const views = kept.filter((d) => owned.has(d.buffer as ArrayBuffer)).length;
    expect(views).toBeGreaterThan(0);
    expect(kept.filter((d) => lent.has(d.buffer as ArrayBuffer)).length).toBe(0);
    a.destroy();
    b.destroy();
  });
});
