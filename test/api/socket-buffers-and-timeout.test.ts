/**
 * Two findings of issue 10 in the socket layer, each kept as a regression test named after it:
 * setTimeout() livelocked in virtual time at fractional times, and one large write() was copied
 * whole into the send queue (and a destroyed socket kept its buffers while the application still
 * held it).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SimNetwork, Stack, VirtualClock, type Socket } from '../../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A VirtualClock that refuses to run more than `limit` timers: a livelock fails instead of hanging. */
class BoundedClock extends VirtualClock {
  fired = 0;
  constructor(start: number, private readonly limit: number) {
    super(start);
  }
  override schedule(at: number, fn: () => void) {
    return super.schedule(at, () => {
      if (++this.fired > this.limit) throw new Error(`more than ${this.limit} timers: livelock`);
      fn();
    });
  }
}

describe('net.Socket: socket.setTimeout()', () => {
  it("socket.setTimeout() livelocks in virtual time (armIdle re-armed at lastActivity+idleMs but fired only when now-lastActivity >= idleMs): 'timeout' now fires once, at any fractional time", () => {
    // deterministic fractional start times and idle periods, as the simulator's jitter makes them
    let x = 12345;
    const rnd = (): number => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 300; i++) {
      const clock = new BoundedClock(rnd() * 1e6, 50);
      const stack = new Stack({ addresses: ['10.0.0.1'], clock });
      const s = new stack.net.Socket();
      clock.advance(rnd() * 1000);
      const idle = 1 + Math.floor(rnd() * 5000) + (i % 2 ? rnd() : 0);
      const at: number[] = [];
      s.setTimeout(idle, () => at.push(clock.now()));
      const start = clock.now();
      clock.advance(idle * 3);
      expect(at).toEqual([start + idle]); // once per idle period: no activity, no second 'timeout'
      s.destroy();
    }
  });

  it("after a 'timeout', activity starts a new idle period", async () => {
    const net = new SimNetwork({ seed: 2 });
    const a = net.host('10.0.0.1');
    const b = net.host('10.0.0.2');
    b.net.createServer().listen(80);
    const c = a.net.connect(80, '10.0.0.2');
    const at: number[] = [];
    c.setTimeout(1000);
    c.on('timeout', () => at.push(Math.round(net.now())));
    await net.run(1500);
    c.write('x'); // activity at t = 1500
    await net.run(3000);
    expect(at).toEqual([1000, 2500]);
    c.destroy();
  });
});

describe('net.Socket: socket.write()', () => {
  it('one large write() is copied whole into the send queue: now it is taken as the send buffer (tcp_wmem) frees, and write() returns false', async () => {
    const net = new SimNetwork({ seed: 4 });
    const a = net.host('10.0.0.1');
    const b = net.host('10.0.0.2');
    let peer: Socket | null = null;
    b.net.createServer({ pauseOnConnect: true }, (s) => (peer = s)).listen(80); // a peer that does not read
    const c = a.net.connect(80, '10.0.0.2');
    await net.runUntil(() => peer !== null, 1000);
    const big = Buffer.alloc(64 << 20, 0x42);
    gc();
    const before = process.memoryUsage().arrayBuffers;
    let called = false;
    expect(c.write(big, () => (called = true))).toBe(false);
    await net.run(2000);
    gc();
    const grew = process.memoryUsage().arrayBuffers - before;
    const queued = a.sockets().find((x) => x.state === 'ESTABLISHED')!.sendQ;
    expect(queued).toBeLessThanOrEqual(a.sysctl.tcp_wmem[2]);
    expect(grew).toBeLessThan(8 << 20); // not another 64 MiB
    expect(called).toBe(false); // the write is not done until all of it is in the send buffer
    // once the peer reads, every byte arrives, in order
    let got = 0;
    let wrong = 0;
    peer!.on('data', (d: Buffer) => {
      got += d.length;
      for (const v of d) if (v !== 0x42) wrong++;
    });
    peer!.resume();
    expect(await net.runUntil(() => got === big.length, 600_000)).toBe(true);
    expect(wrong).toBe(0);
    await net.run(10);
    expect(called).toBe(true);
    c.destroy();
  }, 60_000);

  it('a destroyed socket releases its buffers even while the application still holds the object', async () => {
    const net = new SimNetwork({ seed: 6 });
    const a = net.host('10.0.0.1');
    const b = net.host('10.0.0.2');
    b.net.createServer({ pauseOnConnect: true }, (s) => s.on('error', () => {})).listen(80);
    const c = a.net.connect(80, '10.0.0.2');
    c.on('error', () => {});
    await net.runUntil(() => !c.connecting, 1000);
    c.write(Buffer.alloc(8 << 20, 1));
    await net.run(1000);
    const tcb = new WeakRef((c as unknown as { conn: { tcb: object } }).conn.tcb);
    c.resetAndDestroy();
    await net.run(1000);
    gc();
    await net.run(10);
    gc();
    expect(c.destroyed).toBe(true); // the application still holds `c` ...
    expect(tcb.deref()).toBeUndefined(); // ... but the connection and its buffers are gone
    expect(c.remoteAddress).toBe('10.0.0.2'); // what it was connected to is still known
  });
});
