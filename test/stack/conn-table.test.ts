import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Conn, ConnTable } from '../../src/stack/conn.js';
import { ipV4, type IpAddr } from '../../src/stack/ip-addr.js';
import type { Tcb } from '../../src/tcp/tcb.js';

const LOCALS: IpAddr[] = [ipV4(0x0a000001), ipV4(0x0a000002)];
const REMOTES: IpAddr[] = [ipV4(0x0a000063), ipV4(0xc0a80001), ipV4(0x80000001)];

function conn(local: number, localPort: number, remote: number, remotePort: number): Conn {
  const c = new Conn(LOCALS[local]!, REMOTES[remote]!);
  c.tcb = { localPort, remotePort } as Tcb;
  return c;
}

/** What the table was before: a Map from the port pair to a chain, newest first. */
class MapModel {
  private readonly buckets = new Map<number, Conn[]>();
  insert(c: Conn): void {
    const k = (c.localPort << 16) | c.remotePort;
    const chain = this.buckets.get(k);
    if (chain) chain.unshift(c);
    else this.buckets.set(k, [c]);
  }
  remove(c: Conn): void {
    const k = (c.localPort << 16) | c.remotePort;
    const chain = this.buckets.get(k)!;
    chain.splice(chain.indexOf(c), 1);
    if (chain.length === 0) this.buckets.delete(k);
  }
  all(): Conn[] {
    return [...this.buckets.values()].flat();
  }
}

describe('ConnTable', () => {
  it('finds, removes and lists connections as the Map of chains did, through growing and shrinking', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            add: fc.boolean(),
            local: fc.nat(1),
            remote: fc.nat(2),
            // few port values, so that port pairs repeat across addresses, and many, so the table grows
            localPort: fc.oneof(fc.constantFrom(80, 443), fc.integer({ min: 32768, max: 61000 })),
            remotePort: fc.oneof(fc.constantFrom(80, 5000), fc.integer({ min: 1, max: 65535 })),
            pick: fc.nat(),
          }),
          { maxLength: 400 },
        ),
        (ops) => {
          const table = new ConnTable();
          const model = new MapModel();
          const live: Conn[] = [];
          const tuple = (c: Conn): string => `${c.local.v4} ${c.localPort} ${c.remote.v4} ${c.remotePort}`;
          for (const op of ops) {
            if (op.add || live.length === 0) {
              const c = conn(op.local, op.localPort, op.remote, op.remotePort);
              if (live.some((x) => tuple(x) === tuple(c))) continue; // a 4-tuple is unique
              table.insert(c);
              model.insert(c);
              live.push(c);
            } else {
              const [c] = live.splice(op.pick % live.length, 1);
              table.remove(c!);
              model.remove(c!);
            }
            expect(table.size).toBe(live.length);
          }
          expect([...table.all()]).toEqual(model.all());
          for (const c of live) expect(table.find(c.local, c.localPort, c.remote.v4, null, c.remotePort)).toBe(c);
          const absent = conn(0, 1, 0, 1);
          expect(table.find(absent.local, 1, absent.remote.v4, null, 1)).toBe(null);
          for (const c of [...live]) table.remove(c);
          expect(table.size).toBe(0);
          expect([...table.all()]).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('takes 5,000 connections to one server port and lets them go in any order', () => {
    const table = new ConnTable();
    const conns = Array.from({ length: 5000 }, (_, i) => conn(0, 32768 + i, 0, 80));
    for (const c of conns) table.insert(c);
    expect(table.size).toBe(5000);
    expect([...table.all()]).toEqual(conns);
    for (let i = 0; i < 5000; i += 2) table.remove(conns[i]!);
    expect([...table.all()]).toEqual(conns.filter((_, i) => i % 2 === 1));
    for (const c of conns.filter((_, i) => i % 2 === 1)) expect(table.find(c.local, c.localPort, c.remote.v4, null, 80)).toBe(c);
  });
});
