/**
 * Reads as Node gives them: libuv reads into a 64 KiB buffer, so each 'data' chunk is everything
 * readable up to 64 KiB, whatever segments it came in; the `onread` option reads into the caller's
 * buffer instead. Virtual time throughout.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type Socket } from '../../src/index.js';

const SIZE = 300_000;

function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** b sends `data` to a as soon as a connects; returns the client socket (connected, options applied). */
async function sending(data: Buffer, opts: Record<string, unknown> = {}): Promise<{ net: SimNetwork; c: Socket }> {
  const net = new SimNetwork({ seed: 5 });
  const a = net.host('10.0.0.1');
  const b = net.host('10.0.0.2');
  b.net.createServer((s) => s.end(data)).listen(80);
  const c = a.net.connect({ port: 80, host: '10.0.0.2', ...opts });
  return { net, c };
}

describe("net.Socket: Event: 'data'", () => {
  it('a read hands over everything readable up to 64 KiB, however many segments it arrived in', async () => {
    const data = pattern(SIZE);
    const { net, c } = await sending(data);
    c.pause(); // the application is busy: bytes wait in the stream and then in the TCB
    await net.run(1000);
    const sizes: number[] = [];
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => {
      sizes.push(d.length);
      got.push(d);
    });
    c.resume();
    await net.runUntil(() => c.readableEnded, 5000);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(Math.max(...sizes)).toBe(64 * 1024);
    // what the stream buffered before it was full came a segment at a time; the rest in 64 KiB reads
    const big = sizes.filter((n) => n > 1460);
    expect(big.slice(0, -1).every((n) => n === 64 * 1024)).toBe(true);
    expect(sizes.length).toBeLessThan(30);
  });

  it('no chunk is larger than 64 KiB, even with a larger readableHighWaterMark (it bounds only what is buffered)', async () => {
    const size = 200_000; // within the receive buffer (tcp_rmem 256 KiB): all of it waits in the TCB
    const data = pattern(size);
    const { net, c } = await sending(data, { readableHighWaterMark: 1 << 20 });
    c.pause(); // paused before 'connect': as in Node, nothing is read until resume()
    await net.run(1000);
    expect(c.readableLength).toBe(0);
    const sizes: number[] = [];
    c.on('data', (d: Buffer) => sizes.push(d.length));
    c.resume();
    await net.runUntil(() => c.readableEnded, 5000);
    const K64 = 64 * 1024;
    expect(sizes).toEqual([K64, K64, K64, size - 3 * K64]);
  });
});

describe('net.connect(): the onread option', () => {
  it("reads into the given buffer and calls the callback with the byte count; no 'data' events, 'end' as usual", async () => {
    const data = pattern(SIZE);
    const buffer = Buffer.alloc(10_000);
    const got: Buffer[] = [];
    const { net, c } = await sending(data, {
      onread: { buffer, callback: (n: number, buf: Uint8Array) => void got.push(Buffer.from(buf.subarray(0, n))) },
    });
    let dataEvents = 0;
    c.on('data', () => dataEvents++);
    expect(await net.runUntil(() => c.readableEnded, 5000)).toBe(true);
    expect(dataEvents).toBe(0);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(Math.max(...got.map((g) => g.length))).toBeLessThanOrEqual(10_000);
    expect(c.bytesRead).toBe(SIZE);
  });

  it('the buffer may be a function returning the buffer for each read', async () => {
    const data = pattern(50_000);
    let calls = 0;
    const got: Buffer[] = [];
    const { net, c } = await sending(data, {
      onread: {
        buffer: () => {
          calls++;
          return new Uint8Array(4096);
        },
        callback: (n: number, buf: Uint8Array) => void got.push(Buffer.from(buf.subarray(0, n))),
      },
    });
    expect(await net.runUntil(() => c.readableEnded, 5000)).toBe(true);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(calls).toBe(got.length);
  });

  it('a callback returning false pauses reading until resume()', async () => {
    const data = pattern(SIZE);
    const got: number[] = [];
    const { net, c } = await sending(data, {
      onread: { buffer: Buffer.alloc(8192), callback: (n: number) => (got.push(n), false) },
    });
    await net.run(1000);
    expect(got.length).toBe(1);
    c.resume();
    await net.run(1); // resume() reads at once, and the callback pauses again
    expect(got.length).toBe(2);
  });
});
