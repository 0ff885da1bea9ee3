import diagnostics_channel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/index.js';
import type { DropEvent, SegmentEvent, TransitionEvent } from '../../src/observe/events.js';
import { formatCause } from '../../src/observe/events.js';

async function handshakeAndClose(watch: (client: ReturnType<SimNetwork['host']>, server: ReturnType<SimNetwork['host']>) => void) {
  const net = new SimNetwork({ seed: 1 });
  const a = net.host('10.0.0.1');
  const b = net.host('10.0.0.2');
  watch(a, b);
  b.net.createServer((s) => s.resume()).listen(80);
  await net.run(1);
  const c = a.net.connect(80, '10.0.0.2');
  c.resume();
  let closed = false;
  c.on('close', () => (closed = true));
  c.on('connect', () => c.end());
  await net.runUntil(() => closed, 10_000);
  await net.run(61_000);
  net.close();
}

describe('synack:tcp:transition carries its cause and its edge', () => {
  it('each step of the client path names the event of RFC 9293 Figure 5 that caused it', async () => {
    const events: TransitionEvent[] = [];
    await handshakeAndClose((a) => a.on('transition', (e: TransitionEvent) => events.push(e)));
    const told = events.map((e) => [e.edge, formatCause(e.cause).split(' seq')[0]]);
    expect(told).toEqual([
      ['CLOSED>SYN_SENT', 'user connect()'],
      ['SYN_SENT>ESTABLISHED', 'rcv S.'],
      ['ESTABLISHED>FIN_WAIT_1', 'user end()'],
      ['FIN_WAIT_1>FIN_WAIT_2', 'rcv .'],
      ['FIN_WAIT_2>TIME_WAIT', 'rcv F.'],
      ['TIME_WAIT>CLOSED', 'timer time-wait'],
    ]);
  });

  it('a segment cause is the header in short, with the direction it came', async () => {
    const events: TransitionEvent[] = [];
    await handshakeAndClose((a) => a.on('transition', (e: TransitionEvent) => events.push(e)));
    const synAck = events[1]!.cause;
    expect(synAck).toMatchObject({ kind: 'segment', dir: 'in', flags: 'S.', len: 0 });
    if (synAck.kind !== 'segment') throw new Error('not a segment');
    expect(synAck.options).toMatch(/mss \d+/);
    expect(synAck.win).toBeGreaterThan(0);
  });

  it('the server path: listen, the SYN, the ACK of SYN, the FIN, end(), the ACK of FIN', async () => {
    const events: TransitionEvent[] = [];
    await handshakeAndClose((_a, b) => b.on('transition', (e: TransitionEvent) => events.push(e)));
    expect(events.map((e) => e.edge)).toEqual([
      'CLOSED>LISTEN',
      'LISTEN>SYN_RCVD',
      'SYN_RCVD>ESTABLISHED',
      'ESTABLISHED>CLOSE_WAIT',
      'CLOSE_WAIT>LAST_ACK',
      'LAST_ACK>CLOSED',
    ]);
    expect(events.map((e) => e.cause.kind)).toEqual(['user', 'segment', 'segment', 'segment', 'user', 'segment']);
  });

  it('is published on diagnostics_channel with the same content', async () => {
    const seen: TransitionEvent[] = [];
    const fn = (m: unknown) => seen.push(m as TransitionEvent);
    diagnostics_channel.subscribe('synack:tcp:transition', fn);
    try {
      await handshakeAndClose(() => {});
    } finally {
      diagnostics_channel.unsubscribe('synack:tcp:transition', fn);
    }
    expect(seen.filter((e) => e.host === '10.0.0.1').map((e) => e.edge)).toContain('FIN_WAIT_2>TIME_WAIT');
  });
});

describe('synack:tcp:segment', () => {
  it('reports each segment out and in with its direction and header', async () => {
    const segs: SegmentEvent[] = [];
    await handshakeAndClose((a) => a.on('segment', (e: SegmentEvent) => segs.push(e)));
    expect(segs.slice(0, 3).map((s) => `${s.dir} ${s.flags}`)).toEqual(['out S', 'in S.', 'out .']);
    expect(segs[0]).toMatchObject({ host: '10.0.0.1', remote: '10.0.0.2:80', len: 0 });
    expect(segs[1]!.ack).toBe((segs[0]!.seq + 1) >>> 0);
  });
});

describe('synack:tcp:drop', () => {
  it('reports a malformed packet with the counter it was counted under', () => {
    const net = new SimNetwork({ seed: 1 });
    const a = net.host('10.0.0.1');
    const drops: DropEvent[] = [];
    a.on('drop', (e: DropEvent) => drops.push(e));
    a.input(new Uint8Array([0x45, 0, 0]));
    expect(drops).toHaveLength(1);
    expect(a.counters.drops[drops[0]!.reason]).toBe(1);
    net.close();
  });
});
