/**
 * TimeWaitTable, the compact TIME_WAIT store (Linux's inet_timewait_sock kept in typed arrays):
 * O(1) insert / lookup / remove / restart, expiry in time order from a FIFO, memory released when
 * it empties — and a model check against a plain Map and a sorted list over random operations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipFromText, type IpAddr } from '../../src/stack/ip-addr.js';
import { TimeWaitTable, type TimeWaitInit } from '../../src/stack/time-wait.js';

const D = 60_000;

interface Tuple {
  localIdx: number;
  localPort: number;
  remote: IpAddr;
  remotePort: number;
}

function rec(t: Tuple, extra: Partial<TimeWaitInit> = {}): TimeWaitInit {
  return {
    localIdx: t.localIdx,
    local: ipFromText(t.localIdx === 0 ? '10.0.0.2' : '2001:db8::2')!,
    localPort: t.localPort,
    remote: t.remote,
    remotePort: t.remotePort,
    sndNxt: 1000,
    rcvNxt: 2000,
    tsOk: false,
    tsRecent: 0,
    tsRecentAge: 0,
    tsOffset: 0,
    window: 65535,
    ...extra,
  };
}

function find(t: TimeWaitTable, x: Tuple): number {
  return t.lookup(x.localIdx, x.localPort, x.remote.v4, x.remote.v6, x.remotePort);
}

const v4 = (text: string, localPort = 80, remotePort = 40000): Tuple => ({
  localIdx: 0,
  localPort,
  remote: ipFromText(text)!,
  remotePort,
});

/**
 * The bytes the table's own arrays hold (typed arrays by their buffers, plain arrays at 8 bytes a
 * slot): what must come back when it empties. Layout-agnostic: it looks at every own property.
 */
function retainedBytes(t: TimeWaitTable): number {
  let n = 0;
  for (const v of Object.values(t as object)) {
    if (ArrayBuffer.isView(v)) n += v.byteLength;
    else if (Array.isArray(v)) n += v.length * 8;
  }
  return n;
}

describe('TimeWaitTable: insert, lookup, remove (Linux inet_timewait_sock, O(1) hashed)', () => {
  it('a record inserted is found by its IPv4 4-tuple, with every field kept', () => {
    const t = new TimeWaitTable();
    const x = v4('10.0.0.1', 80, 40000);
    const s = t.insert(
      rec(x, { sndNxt: 0xfffffff0, rcvNxt: 7, tsOk: true, tsRecent: 0x80000001, tsRecentAge: 1234.5, tsOffset: 99, window: 512 }),
      D,
    );
    expect(find(t, x)).toBe(s);
    expect(t.size).toBe(1);
    expect(t.sndNxt(s)).toBe(0xfffffff0);
    expect(t.rcvNxt(s)).toBe(7);
    expect(t.tsOk(s)).toBe(true);
    expect(t.tsRecent(s)).toBe(0x80000001);
    expect(t.tsRecentAge(s)).toBe(1234.5);
    expect(t.tsOffset(s)).toBe(99);
    expect(t.window(s)).toBe(512);
    expect(t.expires(s)).toBe(D);
    expect(t.localIndex(s)).toBe(0);
    expect(t.localPort(s)).toBe(80);
    expect(t.remotePort(s)).toBe(40000);
    expect(t.remote(s)).toBe(ipFromText('10.0.0.1')!.v4);
  });

  it('a record inserted is found by its IPv6 4-tuple, and an IPv4 tuple never matches it', () => {
    const t = new TimeWaitTable();
    const x: Tuple = { localIdx: 1, localPort: 443, remote: ipFromText('2001:db8::1')!, remotePort: 50000 };
    const s = t.insert(rec(x), D);
    expect(find(t, x)).toBe(s);
    const r = t.remote(s);
    expect(typeof r === 'number' ? r : r.text).toBe('2001:db8::1');
    // same ports and local index, another IPv6 address; and the IPv4 "address 0"
    expect(find(t, { ...x, remote: ipFromText('2001:db8::3')! })).toBe(-1);
    expect(t.lookup(1, 443, 0, null, 50000)).toBe(-1);
  });

  it('ports at the top of the range (65535) round-trip through the packed field', () => {
    const t = new TimeWaitTable();
    const x = v4('10.0.0.1', 65535, 65534);
    const s = t.insert(rec(x), D);
    expect(find(t, x)).toBe(s);
    expect(t.localPort(s)).toBe(65535);
    expect(t.remotePort(s)).toBe(65534);
  });

  it('lookup of a missing tuple returns -1, in an empty table and next to near misses', () => {
    const t = new TimeWaitTable();
    const x = v4('10.0.0.1', 80, 40000);
    expect(find(t, x)).toBe(-1);
    t.insert(rec(x), D);
    expect(find(t, v4('10.0.0.1', 80, 40001))).toBe(-1); // remote port
    expect(find(t, v4('10.0.0.1', 81, 40000))).toBe(-1); // local port
    expect(find(t, v4('10.0.0.9', 80, 40000))).toBe(-1); // remote address
    expect(find(t, { ...x, localIdx: 1 })).toBe(-1); // local address
  });

  it('remove takes the record out of the hash chain, leaving the others findable', () => {
    const t = new TimeWaitTable();
    const xs = Array.from({ length: 50 }, (_, i) => v4('10.0.0.1', 80, 40000 + i));
    const slots = xs.map((x) => t.insert(rec(x), D));
    for (let i = 0; i < xs.length; i += 2) t.remove(slots[i]!);
    expect(t.size).toBe(25);
    xs.forEach((x, i) => expect(find(t, x)).toBe(i % 2 === 0 ? -1 : slots[i]));
    t.remove(slots[0]!); // removing twice is harmless
    expect(t.size).toBe(25);
  });

  it('lookups stay correct across growth beyond the first 1024 slots (rehash)', () => {
    const t = new TimeWaitTable();
    const xs = Array.from({ length: 5000 }, (_, i) => v4(`10.${(i >> 8) & 255}.${i & 255}.1`, 80, 1024 + (i % 60000)));
    const slots = xs.map((x, i) => t.insert(rec(x, { sndNxt: i }), D + i));
    expect(t.size).toBe(5000);
    xs.forEach((x, i) => {
      expect(find(t, x)).toBe(slots[i]);
      expect(t.sndNxt(slots[i]!)).toBe(i);
    });
  });
});

describe('TimeWaitTable: expiry in time order (a FIFO, every wait the same 2MSL)', () => {
  it('records expire in the order of their deadlines, each exactly at its time', () => {
    const t = new TimeWaitTable();
    const a = t.insert(rec(v4('10.0.0.1')), 100 + D);
    const b = t.insert(rec(v4('10.0.0.2')), 200 + D);
    const c = t.insert(rec(v4('10.0.0.3')), 300 + D);
    expect(t.nextExpiry()).toBe(100 + D);
    const seen: number[] = [];
    t.expire(100 + D - 1, (s) => seen.push(s));
    expect(seen).toEqual([]);
    t.expire(200 + D, (s) => seen.push(s));
    expect(seen).toEqual([a, b]);
    expect(t.size).toBe(1);
    expect(t.nextExpiry()).toBe(300 + D);
    t.expire(1e9, (s) => seen.push(s));
    expect(seen).toEqual([a, b, c]);
    expect(t.nextExpiry()).toBe(Infinity);
  });

  it('the expiry callback still sees the record (fields readable before removal)', () => {
    const t = new TimeWaitTable();
    t.insert(rec(v4('10.0.0.1', 80, 40000), { sndNxt: 4242 }), D);
    const got: [number, number][] = [];
    t.expire(D, (s) => got.push([t.sndNxt(s), t.remotePort(s)]));
    expect(got).toEqual([[4242, 40000]]);
  });

  it('restart moves a record to a new deadline; its old one no longer expires it', () => {
    const t = new TimeWaitTable();
    const a = t.insert(rec(v4('10.0.0.1')), D);
    const b = t.insert(rec(v4('10.0.0.2')), 10 + D);
    t.restart(a, 30_000 + D);
    expect(t.nextExpiry()).toBe(10 + D);
    const seen: number[] = [];
    t.expire(29_999 + D, (s) => seen.push(s));
    expect(seen).toEqual([b]);
    expect(find(t, v4('10.0.0.1'))).toBe(a);
    expect(t.expires(a)).toBe(30_000 + D);
    t.expire(30_000 + D, (s) => seen.push(s));
    expect(seen).toEqual([b, a]);
  });

  it('a record restarted many more times than the FIFO holds is kept once and expires once', () => {
    const t = new TimeWaitTable();
    const a = t.insert(rec(v4('10.0.0.1')), D);
    for (let i = 1; i <= 10_000; i++) t.restart(a, i + D);
    expect(t.nextExpiry()).toBe(10_000 + D);
    const seen: number[] = [];
    t.expire(10_000 + D - 1, (s) => seen.push(s));
    expect(seen).toEqual([]);
    t.expire(10_000 + D, (s) => seen.push(s));
    expect(seen).toEqual([a]);
    expect(t.size).toBe(0);
  });

  it('with every slot in use, restarting each record in turn keeps all of them and expires each once at its last deadline', () => {
    // 1,024 slots, the FIFO a quarter larger: restarts fill it with stale entries it must reclaim
    const t = new TimeWaitTable();
    const slots: number[] = [];
    for (let i = 0; i < 1024; i++) slots.push(t.insert(rec(v4('10.0.0.1', 80, 1024 + i)), D));
    for (let round = 1; round <= 3; round++) for (const s of slots) t.restart(s, D + round);
    expect(t.size).toBe(1024);
    for (let i = 0; i < 1024; i++) expect(find(t, v4('10.0.0.1', 80, 1024 + i))).toBe(slots[i]);
    const seen: number[] = [];
    t.expire(D + 2, (s) => seen.push(s));
    expect(seen).toEqual([]);
    t.expire(D + 3, (s) => seen.push(s));
    expect(seen.sort((x, y) => x - y)).toEqual([...slots].sort((x, y) => x - y));
    expect(t.size).toBe(0);
  });

  it('a removed record is not expired later, and its slot reused by a newer record is not expired early', () => {
    const t = new TimeWaitTable();
    const a = t.insert(rec(v4('10.0.0.1')), D);
    t.remove(a);
    const b = t.insert(rec(v4('10.0.0.2')), 5000 + D);
    expect(b).toBe(a); // the free list hands the slot back
    const seen: number[] = [];
    t.expire(D, (s) => seen.push(s));
    expect(seen).toEqual([]);
    expect(find(t, v4('10.0.0.2'))).toBe(b);
    t.expire(5000 + D, (s) => seen.push(s));
    expect(seen).toEqual([b]);
  });
});

describe('TimeWaitTable: memory returns to baseline when it empties (issue 4)', () => {
  it('after 5,000 records expire, the internal arrays shrink back to an empty table\'s', () => {
    const t = new TimeWaitTable();
    const baseline = retainedBytes(new TimeWaitTable());
    for (let i = 0; i < 5000; i++) t.insert(rec(v4(`10.1.${i >> 8}.${i & 255}`)), i + D);
    expect(retainedBytes(t)).toBeGreaterThan(5000 * 40);
    let n = 0;
    t.expire(5000 + D, () => n++);
    expect(n).toBe(5000);
    expect(t.size).toBe(0);
    expect(retainedBytes(t)).toBe(baseline);
    expect([...t.slots()]).toEqual([]);
    // and it works again from empty
    const s = t.insert(rec(v4('10.0.0.1')), 1e6);
    expect(find(t, v4('10.0.0.1'))).toBe(s);
    expect(t.nextExpiry()).toBe(1e6);
  });

  it('removing the last records by hand (not by expiry) releases memory too', () => {
    const t = new TimeWaitTable();
    const baseline = retainedBytes(new TimeWaitTable());
    const slots: number[] = [];
    for (let i = 0; i < 3000; i++) slots.push(t.insert(rec(v4('10.0.0.1', 80, 1024 + i)), D));
    for (const s of slots) t.remove(s);
    expect(retainedBytes(t)).toBe(baseline);
    expect(t.nextExpiry()).toBe(Infinity);
    let n = 0;
    t.expire(1e9, () => n++);
    expect(n).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

/** A small universe of 4-tuples (IPv4 and IPv6, two local addresses) so operations collide. */
const UNIVERSE: Tuple[] = [];
for (const localIdx of [0, 1]) {
  for (const remote of ['10.0.0.1', '10.0.0.7', '2001:db8::1', '2001:db8::7']) {
    for (const [lp, rp] of [
      [80, 40000],
      [80, 40001],
      [443, 40000],
    ] as const) {
      UNIVERSE.push({ localIdx, localPort: lp, remote: ipFromText(remote)!, remotePort: rp });
    }
  }
}

type Op =
  | { k: 'insert'; i: number; sndNxt: number }
  | { k: 'remove'; i: number }
  | { k: 'restart'; i: number }
  | { k: 'advance'; dt: number }
  | { k: 'burst'; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constant('insert' as const), i: fc.nat(UNIVERSE.length - 1), sndNxt: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('remove' as const), i: fc.nat(UNIVERSE.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('restart' as const), i: fc.nat(UNIVERSE.length - 1) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('advance' as const), dt: fc.integer({ min: 0, max: 40_000 }) }) },
  // many distinct records at once, to cross the 1024-slot growth and the shrink on empty
  { weight: 1, arbitrary: fc.record({ k: fc.constant('burst' as const), n: fc.integer({ min: 1, max: 1500 }) }) },
);

function burstTuple(j: number): Tuple {
  return { localIdx: 0, localPort: 8080, remote: ipFromText(`10.9.${(j >> 8) & 255}.${j & 255}`)!, remotePort: 1024 + (j % 1000) };
}

describe('TimeWaitTable: model check (fast-check) against a Map and a sorted list', () => {
  it('random insert/remove/restart/expire sequences agree with the model on size, lookup, fields, next expiry and expiry order', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const t = new TimeWaitTable();
        let now = 0;
        let burstId = 0;
        const model = new Map<string, { tuple: Tuple; slot: number; sndNxt: number; at: number }>();
        const keyOf = (x: Tuple) => `${x.localIdx}|${x.remote.text}|${x.localPort}|${x.remotePort}`;
        const expireTo = (to: number) => {
          const due = [...model.values()].filter((r) => r.at <= to).sort((a, b) => a.at - b.at);
          const got: number[] = [];
          const gotAt: number[] = [];
          t.expire(to, (s) => {
            got.push(s);
            gotAt.push(t.expires(s));
          });
          // deadlines in time order (equal deadlines in any order), exactly the records due
          expect(gotAt).toEqual(due.map((r) => r.at));
          expect([...got].sort((a, b) => a - b)).toEqual(due.map((r) => r.slot).sort((a, b) => a - b));
          for (const r of due) model.delete(keyOf(r.tuple));
        };
        for (const op of ops) {
          switch (op.k) {
            case 'insert': {
              const x = UNIVERSE[op.i]!;
              if (model.has(keyOf(x))) break; // the stack never inserts a tuple twice
              const slot = t.insert(rec(x, { sndNxt: op.sndNxt }), now + D);
              model.set(keyOf(x), { tuple: x, slot, sndNxt: op.sndNxt, at: now + D });
              break;
            }
            case 'burst': {
              for (let j = 0; j < op.n; j++) {
                const x = burstTuple(burstId++);
                const slot = t.insert(rec(x, { sndNxt: j }), now + D);
                model.set(keyOf(x), { tuple: x, slot, sndNxt: j, at: now + D });
              }
              break;
            }
            case 'remove': {
              const r = model.get(keyOf(UNIVERSE[op.i]!));
              if (!r) break;
              t.remove(r.slot);
              model.delete(keyOf(r.tuple));
              break;
            }
            case 'restart': {
              const r = model.get(keyOf(UNIVERSE[op.i]!));
              if (!r) break;
              t.restart(r.slot, now + D);
              r.at = now + D;
              break;
            }
            case 'advance':
              now += op.dt;
              expireTo(now);
              break;
          }
          // invariants after every step
          expect(t.size).toBe(model.size);
          const next = model.size === 0 ? Infinity : Math.min(...[...model.values()].map((r) => r.at));
          expect(t.nextExpiry()).toBe(next);
          for (const x of UNIVERSE) {
            const r = model.get(keyOf(x));
            const s = find(t, x);
            expect(s).toBe(r ? r.slot : -1);
            if (r) {
              expect(t.sndNxt(s)).toBe(r.sndNxt);
              expect(t.expires(s)).toBe(r.at);
            }
          }
        }
        for (const r of model.values()) expect(find(t, r.tuple)).toBe(r.slot);
        expect([...t.slots()].sort((a, b) => a - b)).toEqual([...model.values()].map((r) => r.slot).sort((a, b) => a - b));
        // drain: everything expires, in order, and the table is empty
        expireTo(now + D);
        expect(t.size).toBe(0);
        expect(t.nextExpiry()).toBe(Infinity);
      }),
      { numRuns: 200 },
    );
  });
});
