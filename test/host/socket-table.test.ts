import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connKey } from '../../src/host/conn-key.js';
import { parseProcNetTcpInto } from '../../src/host/proc-net-tcp.js';
import { SocketTable } from '../../src/host/socket-table.js';
import { summarize } from '../../src/host/summary.js';
import { STATE_NAMES } from '../../src/host/tcp-states.js';
import { TIMER_KINDS } from '../../src/host/tcp-socket.js';
import { TCP_HEADER } from './helpers/kernel-format.js';
import { sock } from './helpers/build.js';

const socketArb = fc.record({
  state: fc.constantFrom(...STATE_NAMES),
  lp: fc.integer({ min: 0, max: 65535 }),
  rp: fc.integer({ min: 0, max: 65535 }),
  peer: fc.integer({ min: 0, max: 3 }),
  six: fc.boolean(),
  rx: fc.nat(0xffffffff),
  tx: fc.nat(0xffffffff),
  timer: fc.constantFrom(...TIMER_KINDS),
  when: fc.nat(0xffffff),
  retransmits: fc.nat(255),
  uid: fc.nat(65535),
  probes: fc.nat(20),
  inode: fc.nat(2 ** 40),
});

describe('SocketTable (sockets in columns)', () => {
  it('property: objects go in and come out unchanged; key(i) is connKey of the object', () => {
    fc.assert(
      fc.property(fc.array(socketArb, { maxLength: 50 }), (rows) => {
        const sockets = rows.map((r) =>
          sock({
            state: r.state,
            local: r.six ? `::1:${r.lp}` : `10.0.0.1:${r.lp}`,
            remote: r.six ? `2001:db8::${r.peer}:${r.rp}` : `10.0.1.${r.peer}:${r.rp}`,
            rxQueue: r.rx,
            txQueue: r.tx,
            timer: r.timer,
            timerSeconds: r.when / 100,
            retransmits: r.retransmits,
            uid: r.uid,
            probes: r.probes,
            inode: r.inode,
          }),
        );
        const t = SocketTable.from(sockets);
        expect(t.n).toBe(sockets.length);
        expect(t.toSockets()).toEqual(sockets);
        sockets.forEach((s, i) => expect(t.key(i)).toBe(connKey(s)));
        // Addresses are interned: at most 2 local and 8 remote distinct ones here.
        expect(t.addrs.length).toBeLessThanOrEqual(10);
      }),
      { numRuns: 100 },
    );
  });

  it('rule: the table grows past its initial capacity without losing rows', () => {
    const t = new SocketTable(2);
    for (let i = 0; i < 1000; i++) t.add(sock({ local: `10.0.0.1:${i + 1}`, remote: '10.0.0.2:80' }));
    expect(t.n).toBe(1000);
    expect(t.socket(999).localPort).toBe(1000);
    expect(t.socket(0).localPort).toBe(1);
  });

  it('rule: parsing appends tcp and tcp6 into one table; NEW_SYN_RECV (0C) counts as SYN_RECV', () => {
    const t = new SocketTable();
    const line = (st: string) =>
      `   0: 0100007F:1B5C 0100007F:ABE4 ${st} 00000000:00000000 01:0000006C 00000001     0        0 0 0 0000000004d04f42`;
    expect(parseProcNetTcpInto(t, `${TCP_HEADER}\n${line('03')}\n${line('0C')}\n`, 4)).toBe(0);
    expect(parseProcNetTcpInto(t, `${TCP_HEADER}\n${line('01')}\n`, 4)).toBe(0);
    expect(t.n).toBe(3);
    expect(summarize(t).states).toMatchObject({ SYN_RECV: 2, ESTABLISHED: 1 });
  });

  it('property: the column summary agrees with a naive count over objects (states, peers, ports, listeners)', () => {
    fc.assert(
      fc.property(fc.array(socketArb, { maxLength: 120 }), (rows) => {
        const sockets = rows.map((r) => sock({ state: r.state, local: `10.0.0.1:${r.lp % 5}`, remote: `10.0.1.${r.peer}:${r.rp}`, inode: r.inode % 3 }));
        const s = summarize(SocketTable.from(sockets));
        for (const st of STATE_NAMES) {
          const mine = sockets.filter((x) => x.state === st);
          expect(s.states[st]).toBe(mine.length);
          if (st === 'LISTEN' || mine.length === 0) continue;
          const byPeer = new Map<string, number>();
          const byPort = new Map<number, number>();
          for (const x of mine) {
            byPeer.set(x.remoteHex, (byPeer.get(x.remoteHex) ?? 0) + 1);
            byPort.set(x.localPort, (byPort.get(x.localPort) ?? 0) + 1);
          }
          expect(s.top[st]!.peers[0]!.count).toBe(Math.max(...byPeer.values()));
          expect(s.top[st]!.localPorts[0]!.count).toBe(Math.max(...byPort.values()));
          expect(s.top[st]!.localPorts.reduce((a, p) => a + p.count, 0)).toBeLessThanOrEqual(mine.length);
        }
        const listenPorts = new Set(sockets.filter((x) => x.state === 'LISTEN').map((x) => x.localPort));
        // Several listeners may share a port (SO_REUSEPORT): compare per port.
        for (const port of listenPorts) {
          const mine = sockets.filter((x) => x.state !== 'LISTEN' && x.localPort === port);
          const ls = s.listeners.filter((l) => l.port === port);
          expect(ls.reduce((a, l) => a + l.synRecv, 0)).toBe(mine.filter((x) => x.state === 'SYN_RECV').length);
          expect(ls.reduce((a, l) => a + l.connections, 0)).toBe(mine.filter((x) => x.state !== 'SYN_RECV').length);
        }
        expect(new Set(s.listeners.map((l) => l.port))).toEqual(listenPorts);
      }),
    );
  });
});
