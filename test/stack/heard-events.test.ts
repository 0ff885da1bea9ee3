/**
 * The stack keeps what is listened to between changes of its listeners (stack/heard-events.ts), so
 * a packet asks nothing of EventEmitter. These tests hold it to EventEmitter's own behaviour: every
 * way of adding or removing a listener is seen from the next packet on, a listener added while a
 * packet is being handed out waits for the next one (emit's copy of the list), and with
 * captureRejections a 'packet' listener's rejected promise becomes the stack's 'error' as under emit.
 *
 * Each probe is a SYN to a closed port, which the stack answers at once with one RST (RFC 9293
 * §3.10.7.1), and which is one 'segment' in and one out.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { RawHost, SERVER, SYN, seg } from './helpers.js';

let port = 1000;
/** one SYN to a closed port: one RST out */
function probe(h: RawHost): void {
  h.send('10.9.9.9', seg({ srcPort: port++, dstPort: 9, seq: 1, flags: SYN }));
}

describe("'packet' listeners: every change is heard from the next packet", () => {
  it('on, prependListener and addListener add; off and removeListener remove; in the order emit calls them', () => {
    const h = new RawHost(SERVER);
    const calls: string[] = [];
    const a = (): number => calls.push('a');
    const b = (): number => calls.push('b');
    const c = (): number => calls.push('c');
    probe(h);
    expect(calls).toEqual([]);
    h.stack.on('packet', a);
    probe(h);
    h.stack.prependListener('packet', b);
    h.stack.addListener('packet', c);
    probe(h);
    h.stack.off('packet', a);
    probe(h);
    h.stack.removeListener('packet', b);
    probe(h);
    expect(calls).toEqual(['a', 'b', 'a', 'c', 'b', 'c', 'c']);
  });

  it('once and prependOnceListener run for one packet; removeAllListeners silences them all', () => {
    const h = new RawHost(SERVER);
    const calls: string[] = [];
    h.stack.once('packet', () => calls.push('once'));
    h.stack.prependOnceListener('packet', () => calls.push('first'));
    probe(h);
    probe(h);
    expect(h.take()).toHaveLength(2);
    h.stack.on('packet', () => calls.push('on'));
    h.stack.removeAllListeners('packet');
    probe(h);
    expect(calls).toEqual(['first', 'once']);
    expect(h.take()).toEqual([]); // RawHost's own capture was removed too
  });

  it('a listener added while a packet is handed out is called from the next packet on, as emit does', () => {
    const h = new RawHost(SERVER);
    const calls: string[] = [];
    h.stack.once('packet', () => {
      calls.push('first');
      h.stack.on('packet', () => calls.push('added'));
    });
    probe(h);
    expect(calls).toEqual(['first']);
    probe(h);
    expect(calls).toEqual(['first', 'added']);
  });

  it('each listener gets the packet and its gsoSize, with the stack as this', () => {
    const h = new RawHost(SERVER);
    let seen: unknown[] = [];
    h.stack.on('packet', function (this: unknown, p: Uint8Array, gso: number) {
      seen = [this, p instanceof Uint8Array, gso];
    });
    probe(h);
    expect(seen).toEqual([h.stack, true, 0]);
  });
});

describe("'segment' listeners: the stack builds segment events only while someone listens", () => {
  it('a listener added later is called, and none after it is removed', () => {
    const h = new RawHost(SERVER);
    probe(h);
    const dirs: string[] = [];
    const listener = (e: { dir: string }): number => dirs.push(e.dir);
    h.stack.on('segment', listener);
    probe(h);
    h.stack.off('segment', listener);
    probe(h);
    expect(dirs).toEqual(['in', 'out']);
  });
});

describe("captureRejections, as EventEmitter's emit applies it", () => {
  const before = EventEmitter.captureRejections;
  afterEach(() => {
    EventEmitter.captureRejections = before;
  });

  it("with captureRejections on when the stack was made, a 'packet' listener's rejected promise is the stack's 'error'", async () => {
    EventEmitter.captureRejections = true;
    const h = new RawHost(SERVER);
    const errors: unknown[] = [];
    h.stack.on('error', (e) => errors.push(e));
    const boom = new Error('listener failed');
    h.stack.on('packet', async () => {
      throw boom;
    });
    probe(h);
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual([boom]);
  });
});
