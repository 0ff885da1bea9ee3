/**
 * How a TCB stores its state to stay small (tcb-vars.ts, docs/performance-connections.md): the
 * storage changes nothing a caller sees. Sequence numbers kept as signed 32-bit integers read back
 * as the unsigned values stored; timers kept in a side object read Infinity until armed; the loss
 * recovery state that is made on first use does not exist on a connection that has not needed it,
 * and appears, behaving as from the start, once it has.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tcb } from '../../src/tcp/tcb.js';
import { SYSCTL_DEFAULTS } from '../../src/tcp/sysctl.js';
import { established, listening } from '../support/tcb-harness.js';

const noHooks = { send() {}, transition() {}, established() {}, readable() {}, writable() {}, error() {} };

function bareTcb(iss: number): Tcb {
  return new Tcb(noHooks, { sysctl: SYSCTL_DEFAULTS, localPort: 80, remotePort: 40000, iss, mss: 1460 });
}

const SEQ_VARS = ['iss', 'sndUna', 'sndNxt', 'sndMax', 'sndWl1', 'sndWl2', 'sndBufSeq', 'irs', 'rcvNxt', 'rcvAdvEdge', 'finSeq', 'tsRecent', 'lastAckSent', 'rttSeq', 'tsOffset'] as const;

describe('Sequence variables (RFC 9293 §3.3.1) stored unboxed read back as stored', () => {
  it('every 32-bit unsigned value, 2^31 and above included, reads back unchanged in every sequence variable', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEQ_VARS), fc.nat({ max: 0xffffffff }), (name, v) => {
        const t = bareTcb(0);
        t[name] = v;
        expect(t[name]).toBe(v);
      }),
    );
  });

  it('an ISS of 2^32 − 1 gives SND.NXT = 0 after the SYN, modulo 2^32 as RFC 9293 §3.4 counts', () => {
    const t = bareTcb(0xffffffff);
    expect(t.iss).toBe(0xffffffff);
    expect(t.sndMax).toBe(0);
    t.openActive(0);
    expect(t.sndNxt).toBe(0);
  });
});

describe('Timers most connections never arm read as off until they are armed', () => {
  it('persist, keepalive, TIME_WAIT and FIN_WAIT_2 read Infinity on a new TCB, and keep a time once set', () => {
    const t = bareTcb(1);
    expect([t.tPersist, t.tKeepalive, t.tTimeWait, t.tFinWait2]).toEqual([Infinity, Infinity, Infinity, Infinity]);
    t.tFinWait2 = 1234.5;
    expect([t.tPersist, t.tKeepalive, t.tTimeWait, t.tFinWait2]).toEqual([Infinity, Infinity, Infinity, 1234.5]);
    expect(t.nextDeadline()).toBe(1234.5);
    t.stopTimers();
    expect(t.nextDeadline()).toBe(Infinity);
  });
});

describe('Loss-recovery state made on first use (RFC 8985 RACK-TLP, RFC 6937 PRR)', () => {
  it('a connection that completed its handshake and sent nothing has no RACK or tail-loss-probe state', () => {
    const h = established();
    expect(h.tcb.state).toBe('ESTABLISHED');
    expect(h.tcb.rackIfAny).toBeNull();
    expect(h.tcb.tlpIfAny).toBeNull();
  });

  it('RACK state appears once data is acknowledged, with the delivered segment as its reference', () => {
    const h = listening();
    h.run(`
       0 < S 0:0(0) win 65535 <mss 1460,sackOK>
      +0 > S. 0:0(0) ack 1 <mss 1460,sackOK>
      +0 < . 1:1(0) ack 1 win 65535
    `);
    expect(h.tcb.rackIfAny).toBeNull();
    h.write('x'.repeat(100));
    h.run(`
      +0   > P. 1:101(100) ack 1
      +0.1 < . 1:1(0) ack 101 win 65535
    `);
    const rack = h.tcb.rackIfAny;
    expect(rack).not.toBeNull();
    expect(rack!.minRtt).toBe(100);
    expect(rack!.rtt).toBe(100);
  });
});
