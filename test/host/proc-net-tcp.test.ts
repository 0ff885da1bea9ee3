import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressDecoder } from '../../src/host/addr.js';
import { parseProcNetTcp } from '../../src/host/proc-net-tcp.js';
import { STATE_NAMES, emptyCounts, stateFromSsName } from '../../src/host/tcp-states.js';
import { TCP6_HEADER, TCP_HEADER, kernelLine, type LineSpec } from './helpers/kernel-format.js';

const fixture = (f: string) => readFileSync(new URL(`./fixtures/proc-net/${f}`, import.meta.url), 'latin1');

// Lines copied from a 6.18 kernel (one of each shape), see fixtures/proc-net for whole files.
const LISTEN = '   3: 0100007F:1B5D 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 10403 3 00000000f10bc37f 100 0 0 10 0                     ';
const SYN_SENT = '  11: 0100007F:BE3C 0100007F:1B5D 02 00000001:00000000 01:00000008 00000001     0        0 10057 2 00000000fa010c7d 100 0 0 1 -1                     ';
const SYN_RECV = '  27: 0100007F:1B5C 0100007F:ABE4 03 00000000:00000000 01:0000006C 00000001     0        0 0 0 0000000004d04f42                                      ';
const TIME_WAIT = '  32: 0100007F:EB0A 0100007F:82EF 06 00000000:00000000 03:000016AD 00000000     0        0 0 3 0000000096d33548                                      ';
const FW2_ORPHAN = '  22: 0100007F:E772 0100007F:1B5A 05 00000000:00000000 03:000016AE 00000000     0        0 0 3 00000000d08006af                                      ';
const CLOSE_WAIT = '  18: 0100007F:1B5A 0100007F:E770 08 00000000:00000000 00:00000000 00000000     0        0 10406 1 000000001e13d8f0 20 4 0 10 -1                     ';
const ACCEPT_QUEUED = '   8: 0100007F:1B5D 0100007F:BE3A 01 00000000:00000000 00:00000000 00000000     0        0 0 1 000000000471fe8b 20 0 0 10 -1                         ';
const V6_MAPPED = '   3: 0000000000000000FFFF00000100007F:86A9 0000000000000000FFFF00000100007F:B90A 01 00000000:00000000 00:00000000 00000000     0        0 10036 1 000000008e813e1c 20 0 0 10 -1';
const V6_LOOP = '   2: 00000000000000000000000001000000:AD05 00000000000000000000000001000000:A8DC 01 00000000:00000000 00:00000000 00000000     0        0 10033 1 00000000b64d6938 20 0 0 10 -1';
const V6_GLOBAL = '   9: B80D0120000000000000000001000000:01BB B80D0120000000000000000002000000:C350 01 00000000:0000002A 02:00000BB8 00000000  1000        0 424242 1 0000000000000000 20 4 30 10 -1';

const one = (line: string, family: 4 | 6 = 4) => {
  const r = parseProcNetTcp(`${family === 4 ? TCP_HEADER : TCP6_HEADER}\n${line}\n`, family);
  expect(r.malformed).toBe(0);
  expect(r.sockets).toHaveLength(1);
  return r.sockets[0]!;
};

describe('parseProcNetTcp', () => {
  const dec = new AddressDecoder(true);

  it('rule: LISTEN rx_queue is the accept-queue length; ports are hex', () => {
    const s = one(LISTEN);
    expect(s.state).toBe('LISTEN');
    expect(dec.decode(s.localHex)).toBe('127.0.0.1');
    expect(s.localPort).toBe(7005);
    expect(s.rxQueue).toBe(2);
    expect(s.inode).toBe(10403);
  });

  it('rule: SYN_SENT has its SYN in flight (tx 1), a retransmit timer and a retransmission count', () => {
    const s = one(SYN_SENT);
    expect(s.state).toBe('SYN_SENT');
    expect(s.txQueue).toBe(1);
    expect(s.timer).toBe('retransmit');
    expect(s.timerSeconds).toBeCloseTo(0.08);
    expect(s.retransmits).toBe(1);
    expect(s.remotePort).toBe(7005);
  });

  it('rule: SYN_RECV request sockets (short line) have no inode and count SYN-ACK retransmissions', () => {
    const s = one(SYN_RECV);
    expect(s.state).toBe('SYN_RECV');
    expect(s.inode).toBe(0);
    expect(s.retransmits).toBe(1);
    expect(s.timerSeconds).toBeCloseTo(1.08);
  });

  it('rule: TIME_WAIT minisockets (short line) carry the TIME_WAIT timer, about 60 s', () => {
    const s = one(TIME_WAIT);
    expect(s.state).toBe('TIME_WAIT');
    expect(s.timer).toBe('time_wait');
    expect(s.timerSeconds).toBeCloseTo(58.05);
    expect(s.inode).toBe(0);
  });

  it('rule: an orphaned FIN_WAIT2 is a timewait minisocket whose substate prints as 05', () => {
    const s = one(FW2_ORPHAN);
    expect(s.state).toBe('FIN_WAIT2');
    expect(s.inode).toBe(0);
    expect(s.timer).toBe('time_wait');
  });

  it('rule: CLOSE_WAIT keeps its inode (a process owns it); inode 0 when ESTABLISHED means not yet accepted', () => {
    expect(one(CLOSE_WAIT)).toMatchObject({ state: 'CLOSE_WAIT', inode: 10406, localPort: 7002 });
    expect(one(ACCEPT_QUEUED)).toMatchObject({ state: 'ESTABLISHED', inode: 0 });
  });

  it('rule: tcp6 lines: IPv4-mapped, loopback and global addresses, uid and keepalive timer', () => {
    const m = one(V6_MAPPED, 6);
    expect(m.family).toBe(6);
    expect(dec.decode(m.localHex)).toBe('::ffff:127.0.0.1');
    expect(m.localPort).toBe(0x86a9);
    expect(dec.decode(one(V6_LOOP, 6).remoteHex)).toBe('::1');
    const g = one(V6_GLOBAL, 6);
    expect(dec.decode(g.localHex)).toBe('2001:db8::1');
    expect(dec.decode(g.remoteHex)).toBe('2001:db8::2');
    expect(g).toMatchObject({ localPort: 443, remotePort: 50000, rxQueue: 42, timer: 'keepalive', uid: 1000, inode: 424242 });
    expect(g.timerSeconds).toBe(30);
  });

  it('rule: malformed lines are counted and left out, never thrown', () => {
    const bad = [
      '   0: 0100007F:1B5D 00000000:0000 0A', // truncated
      '   1: 0100007F:1B5D 00000000:0000 0F 00000000:00000000 00:00000000 00000000     0        0 1 1 0', // state 0F
      '   2: 0100007G:1B5D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0', // bad hex
      '   3: 0100007F:1B5D 00000000:0000 0A 0000000000000000 00:00000000 00000000     0        0 1 1 0', // no colon
      '   4: 00000000000000000000000001000000:AD05 00000000000000000000000001000000:A8DC 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0', // tcp6 line in tcp
      'garbage',
    ];
    const r = parseProcNetTcp([TCP_HEADER, ...bad, LISTEN, ''].join('\n'), 4);
    expect(r.malformed).toBe(bad.length);
    expect(r.sockets).toHaveLength(1);
  });

  it('rule: counts from a real namespace equal ss -tan taken at the same moment (fixture pair)', () => {
    const sockets = [...parseProcNetTcp(fixture('tcp'), 4).sockets, ...parseProcNetTcp(fixture('tcp6'), 6).sockets];
    const ours = emptyCounts();
    for (const s of sockets) ours[s.state]++;
    const ss = emptyCounts();
    for (const line of fixture('ss-tan.txt').split('\n')) {
      const name = line.split(/\s+/)[0];
      if (!name) continue;
      const st = stateFromSsName(name);
      expect(st, `ss state ${name}`).toBeDefined();
      ss[st!]++;
    }
    expect(ours).toEqual(ss);
    expect(ours.CLOSE_WAIT).toBe(25);
    expect(ours.SYN_RECV).toBe(3);
  });

  it('property: any socket the kernel could print parses back field for field', () => {
    const bytes = (n: number) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: n, maxLength: n });
    const spec = fc.oneof(fc.constant(4 as const), fc.constant(6 as const)).chain((family) =>
      fc.record({
        sl: fc.nat(99999),
        family: fc.constant(family),
        localBytes: bytes(family === 4 ? 4 : 16),
        localPort: fc.integer({ min: 0, max: 65535 }),
        remoteBytes: bytes(family === 4 ? 4 : 16),
        remotePort: fc.integer({ min: 0, max: 65535 }),
        state: fc.integer({ min: 1, max: 11 }),
        tx: fc.nat(0xffffffff),
        rx: fc.nat(0xffffffff),
        timer: fc.integer({ min: 0, max: 4 }),
        when: fc.nat(0xffffffff),
        retrnsmt: fc.nat(255),
        uid: fc.nat(65535),
        timeout: fc.nat(100),
        inode: fc.nat(2 ** 31),
        shape: fc.constantFrom('full' as const, 'timewait' as const, 'openreq' as const),
      }),
    );
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 20 }), (specs: LineSpec[]) => {
        for (const family of [4, 6] as const) {
          const mine = specs.filter((s) => s.family === family);
          const text = [family === 4 ? TCP_HEADER : TCP6_HEADER, ...mine.map(kernelLine)].join('\n') + '\n';
          const r = parseProcNetTcp(text, family);
          expect(r.malformed).toBe(0);
          expect(r.sockets).toHaveLength(mine.length);
          r.sockets.forEach((s, i) => {
            const l = mine[i]!;
            expect(s.state).toBe(STATE_NAMES[l.state - 1]);
            expect(s.localPort).toBe(l.localPort);
            expect(s.remotePort).toBe(l.remotePort);
            expect(s.txQueue).toBe(l.tx);
            expect(s.rxQueue).toBe(l.rx);
            expect(s.timerSeconds).toBe(l.when / 100);
            expect(s.retransmits).toBe(l.retrnsmt);
            expect(s.uid).toBe(l.uid);
            expect(s.probes).toBe(l.timeout);
            expect(s.inode).toBe(l.inode);
          });
        }
      }),
      { numRuns: 200 },
    );
  });
});
