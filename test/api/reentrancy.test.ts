/**
 * Re-entrancy: any 'packet' listener may call input() on any stack synchronously, including the one
 * that emitted; any user callback ('packet', 'transition', 'connect', 'data', ...) may call any
 * API. No notification is lost and no TCB is re-entered while it processes a segment or a call:
 * inputs that arrive meanwhile wait until the call in progress has returned.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Stack, type Socket } from '../../src/index.js';
import { Tcb } from '../../src/tcp/tcb.js';

// ===================== a TCB must never be entered while it is busy =====================

const ENTRY_POINTS = ['segmentArrives', 'onTimer', 'send', 'receive', 'close', 'release', 'abort', 'openActive'] as const;
let reentered: string[] = [];
const originals = new Map<string, (...a: unknown[]) => unknown>();

beforeEach(() => {
  reentered = [];
  const busy = new WeakMap<object, string>();
  const proto = Tcb.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of ENTRY_POINTS) {
    const orig = proto[name]!;
    originals.set(name, orig);
    proto[name] = function (this: object, ...args: unknown[]) {
      const outer = busy.get(this);
      // release() is close() or abort() with the orphan flag set: its own inner calls are no re-entry
      if (outer !== undefined && !(outer === 'release' && (name === 'close' || name === 'abort'))) reentered.push(`${name} inside ${outer}`);
      if (outer === undefined) busy.set(this, name);
      try {
        return orig.apply(this, args);
      } finally {
        if (outer === undefined) busy.delete(this);
      }
    };
  }
});

afterEach(() => {
  const proto = Tcb.prototype as unknown as Record<string, unknown>;
  for (const [name, fn] of originals) proto[name] = fn;
});

// ===================== wiring =====================

type Mode = 'sync' | 'immediate' | 'microtask';

/** Join two stacks; each packet is carried as `mode(i)` says (same mode for the same i: replayable). */
function join(a: Stack, b: Stack, mode: (i: number) => Mode): void {
  let i = 0;
  const carry = (to: Stack) => (p: Uint8Array) => {
    const m = mode(i++);
    if (m === 'sync') return to.input(p.slice());
    const q = p.slice();
    if (m === 'immediate') setImmediate(() => to.input(q));
    else queueMicrotask(() => to.input(q));
  };
  a.on('packet', carry(b));
  b.on('packet', carry(a));
}

function pair(): [Stack, Stack] {
  return [new Stack({ addresses: ['10.0.0.1'] }), new Stack({ addresses: ['10.0.0.2'] })];
}

function until(pred: () => boolean, ms = 10_000): Promise<boolean> {
  const end = performance.now() + ms;
  return new Promise((resolve) => {
    const tick = (): void => {
      if (pred()) return resolve(true);
      if (performance.now() > end) return resolve(false);
      setTimeout(tick, 2);
    };
    tick();
  });
}

const stacks: Stack[] = [];
afterEach(() => {
  for (const s of stacks.splice(0)) s.destroy();
});

describe('Re-entrancy: synchronous wiring', () => {
  it("'connect' fires and data moves when each stack's 'packet' listener calls the other's input() synchronously", async () => {
    const [a, b] = pair();
    stacks.push(a, b);
    join(a, b, () => 'sync');
    const srv = b.net.createServer((s) => s.pipe(s)).listen(80);
    const data = Buffer.alloc(200_000, 0x5a);
    let connected = false;
    let got = 0;
    const c = a.net.connect(80, '10.0.0.2', () => {
      connected = true;
      c.end(data);
    });
    c.on('data', (d: Buffer) => (got += d.length));
    let closed = false;
    c.on('close', () => (closed = true));
    expect(await until(() => closed)).toBe(true);
    expect(connected).toBe(true);
    expect(got).toBe(data.length);
    expect(reentered).toEqual([]);
    srv.close();
  });

  it("'connect' is still emitted asynchronously when the whole handshake completes inside connect()", () => {
    const [a, b] = pair();
    stacks.push(a, b);
    join(a, b, () => 'sync');
    b.net.createServer().listen(80).unref();
    let connected = false;
    const c = a.net.connect(80, '10.0.0.2', () => (connected = true));
    expect(c.tcpState).toBe('ESTABLISHED'); // SYN, SYN-ACK and ACK all went by during connect()
    expect(connected).toBe(false); // as in Node, 'connect' comes later, after the caller's listeners are on
    return until(() => connected).then((ok) => {
      expect(ok).toBe(true);
      c.destroy();
    });
  });

  it("a 'packet' listener may feed packets into the stack that emitted them (counted as not for us, nothing re-entered)", async () => {
    const [a, b] = pair();
    stacks.push(a, b);
    a.on('packet', (p: Uint8Array) => a.input(p));
    join(a, b, () => 'sync');
    b.net.createServer((s) => s.end('hi')).listen(80).unref();
    let text = '';
    const c = a.net.connect(80, '10.0.0.2');
    c.on('data', (d: Buffer) => (text += d.toString()));
    expect(await until(() => c.destroyed)).toBe(true);
    expect(text).toBe('hi');
    expect(a.counters.drops.not_for_us).toBeGreaterThan(0);
    expect(reentered).toEqual([]);
  });

  it("a 'transition' listener may call the API: the call waits until the segment has been processed", async () => {
    const [a, b] = pair();
    stacks.push(a, b);
    join(a, b, () => 'sync');
    let served: Socket | null = null;
    b.net.createServer({ allowHalfOpen: true }, (s) => (served = s)).listen(80).unref();
    // mid-segment: the client's FIN is being processed when the server answers it
    b.on('transition', (ev: { to: string }) => {
      if (ev.to === 'CLOSE_WAIT') served!.end('from a transition listener');
    });
    const c = a.net.connect(80, '10.0.0.2', () => c.end());
    let reply = '';
    c.on('data', (d: Buffer) => (reply += d.toString()));
    expect(await until(() => c.destroyed)).toBe(true);
    expect(reply).toBe('from a transition listener');
    expect(reentered).toEqual([]);
  });
});

// ===================== random wiring and random reactions =====================

interface Case {
  modes: Mode[];
  size: number;
  /** what the client does when connected: write all then end, or end(data) */
  endWithData: boolean;
  /** write from the server in its 'connection' callback as well */
  serverGreets: boolean;
  /** destroy from a 'data' handler after this many bytes echoed (-1: never) */
  destroyAfter: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  modes: fc.array(fc.constantFrom<Mode>('sync', 'immediate', 'microtask'), { minLength: 1, maxLength: 64 }),
  size: fc.integer({ min: 0, max: 150_000 }),
  endWithData: fc.boolean(),
  serverGreets: fc.boolean(),
  destroyAfter: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 50_000 })),
});

async function runCase(k: Case): Promise<void> {
  const [a, b] = pair();
  stacks.push(a, b);
  join(a, b, (i) => k.modes[i % k.modes.length]!);
  const greeting = 'hello\n';
  const srv = b.net.createServer((s: Socket) => {
    if (k.serverGreets) s.write(greeting);
    s.on('error', () => {});
    s.pipe(s);
  });
  srv.listen(80);
  const data = Buffer.alloc(k.size, 0x61);
  let connected = false;
  let got = 0;
  const c = a.net.connect(80, '10.0.0.2', () => {
    connected = true;
    if (k.endWithData) c.end(data);
    else {
      c.write(data);
      c.end();
    }
  });
  c.on('error', () => {});
  c.on('data', (d: Buffer) => {
    got += d.length;
    if (k.destroyAfter >= 0 && got >= k.destroyAfter) c.destroy();
  });
  let closed = false;
  c.on('close', () => (closed = true));
  const ok = await until(() => closed && b.connectionCount === 0 && a.stateCounts().ESTABLISHED === undefined);
  srv.close();
  expect(ok).toBe(true);
  expect(connected).toBe(true);
  expect(reentered).toEqual([]);
  const expected = k.size + (k.serverGreets ? greeting.length : 0);
  if (k.destroyAfter < 0 || k.destroyAfter > expected) expect(got).toBe(expected);
}

describe('Re-entrancy: any wiring, any reaction', () => {
  it('with each packet carried synchronously, by setImmediate or by a microtask at random, every connection connects, moves its bytes and closes, and no TCB is re-entered', async () => {
    const seed = process.env.SYNACK_FC_SEED ?? (process.env.CI ? '20261202' : undefined);
    await fc.assert(
      fc.asyncProperty(caseArb, async (k) => {
        reentered = [];
        await runCase(k);
        for (const s of stacks.splice(0)) s.destroy();
      }),
      { numRuns: 40, ...(seed !== undefined ? { seed: Number(seed) } : {}) },
    );
  }, 120_000);
});
