/**
 * pairStacks (link/pair.ts): two stacks joined in one process, as a veth pair joins two network
 * namespaces — every offload declared, packets delivered in batches a microtask later.
 */
import { describe, expect, it } from 'vitest';
import '../../src/api/net.js';
import { Stack } from '../../src/stack/stack.js';
import { pairStacks } from '../../src/link/pair.js';
import { NO_OFFLOAD } from '../../src/link/offload.js';
import { decodeTcpPacket } from '../../src/wire/packet.js';

function stacks(mtu = 1500): [Stack, Stack] {
  return [new Stack({ addresses: ['10.0.0.1'], mtu }), new Stack({ addresses: ['10.0.0.2'], mtu })];
}

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >>> 11)) & 0xff;
  return b;
}

/** Send `data` from a to b over the pair; resolves with what b's server read. */
async function transfer(a: Stack, b: Stack, data: Buffer): Promise<Buffer> {
  const got: Buffer[] = [];
  const done = new Promise<void>((resolve) => {
    b.net
      .createServer((s) => {
        s.on('data', (d: Buffer) => got.push(Buffer.from(d)));
        s.on('end', () => resolve());
      })
      .listen(80);
  });
  const c = a.net.connect(80, '10.0.0.2');
  c.end(data);
  await done;
  return Buffer.concat(got);
}

describe('pairStacks', () => {
  it('declares checksum offload and 64 KiB super-segments on both stacks, and withdraws them on close', () => {
    const [a, b] = stacks();
    const link = pairStacks(a, b);
    for (const s of [a, b]) expect(s.offload).toEqual({ txChecksum: true, rxChecksumVerified: true, gsoMaxBytes: 65535 });
    link.close();
    for (const s of [a, b]) expect(s.offload).toEqual(NO_OFFLOAD);
  });

  it('declares only what the options leave on', () => {
    const [a, b] = stacks();
    pairStacks(a, b, { gso: false, checksumOffload: false });
    expect(a.offload).toEqual(NO_OFFLOAD);
  });

  for (const mtu of [1500, 65535]) {
    it(`carries 8 MiB byte for byte at MTU ${mtu}`, async () => {
      const [a, b] = stacks(mtu);
      const link = pairStacks(a, b);
      const data = pattern(8 << 20);
      try {
        expect((await transfer(a, b, data)).equals(data)).toBe(true);
        expect(a.counters.drops).toEqual({});
        expect(b.counters.drops).toEqual({});
      } finally {
        link.close();
        a.destroy();
        b.destroy();
      }
    });
  }

  it('with GSO a bulk sender sends super-segments, and the receiver one ACK per batch rather than one per two segments', async () => {
    const [a, b] = stacks(1500);
    const sizes: number[] = [];
    const acks: number[] = [];
    a.on('packet', (p: Uint8Array, gso: number) => {
      if (gso > 0) sizes.push(p.length);
    });
    b.on('packet', (p: Uint8Array) => {
      const d = decodeTcpPacket(p, false);
      if (typeof d !== 'string' && d.seg.payload.length === 0) acks.push(d.seg.ack);
    });
    const link = pairStacks(a, b);
    const data = pattern(4 << 20);
    try {
      expect((await transfer(a, b, data)).equals(data)).toBe(true);
      // most of the data went in segments far above the MTU
      expect(sizes.length).toBeGreaterThan(0);
      expect(Math.max(...sizes)).toBeGreaterThan(60_000);
      // 4 MiB in 1448-byte segments is 2,897 of them; ACKing every second would be 1,448 ACKs
      expect(acks.length).toBeLessThan(300);
    } finally {
      link.close();
      a.destroy();
      b.destroy();
    }
  });

  it('a small write reaches the peer within the same turn of the event loop (no setImmediate hop)', async () => {
    const [a, b] = stacks();
    const link = pairStacks(a, b);
    let server: import('node:net').Socket | null = null;
    b.net.createServer((s) => (server = s)).listen(7);
    const c = a.net.connect(7, '10.0.0.2');
    c.setNoDelay(true);
    await new Promise<void>((r) => c.on('connect', () => r()));
    await new Promise((r) => setImmediate(r));
    expect(server).not.toBeNull();
    let immediateRan = false;
    const got = new Promise<Buffer>((resolve) => server!.once('data', (d: Buffer) => resolve(d)));
    setImmediate(() => (immediateRan = true));
    c.write('ping');
    expect((await got).toString()).toBe('ping');
    expect(immediateRan).toBe(false);
    c.destroy();
    link.close();
    a.destroy();
    b.destroy();
  });
});
