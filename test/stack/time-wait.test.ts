/**
 * TIME_WAIT at the stack level: connections closed by this side move from their full TCB into the
 * compact table, are answered from it (Linux tcp_timewait_state_process), and expire after exactly
 * 60 s (TCP_TIMEWAIT_LEN). A new SYN for the 4-tuple is accepted when its sequence number or
 * timestamp is beyond the old connection's (RFC 6191), RSTs obey tcp_rfc1337 (RFC 1337), and
 * tcp_max_tw_buckets bounds the table.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type TransitionEvent } from '../../src/index.js';
import { ACK, FIN, RST, SYN, decode, flagsOf, onlyTimeWaitSlot, packet, seg, seqAfter, u32, type Captured } from './helpers.js';

const TW = 60_000;

interface Setup {
  client?: Record<string, unknown>;
  server?: Record<string, unknown>;
  v6?: boolean;
}

/**
 * A client connects, the server sends "bye" and closes first; the client reads, closes in turn,
 * and the server ends in TIME_WAIT.
 */
async function serverCloses(opts: Setup = {}) {
  const ca = opts.v6 ? '2001:db8::1' : '10.0.0.1';
  const sa = opts.v6 ? '2001:db8::2' : '10.0.0.2';
  const net = new SimNetwork({ seed: 9 });
  const c = net.host(ca, { sysctl: opts.client ?? {} });
  const s = net.host(sa, { sysctl: opts.server ?? {} });
  const events: TransitionEvent[] = [];
  s.on('transition', (e: TransitionEvent) => events.push(e));
  const fromClient: Uint8Array[] = [];
  net.onPacket((ev) => {
    if (ev.from === ca && !ev.dropped) fromClient.push(ev.packet.slice());
  });
  let out: Captured[] = [];
  s.on('packet', (p: Uint8Array) => out.push(decode(p)));
  const server = s.net.createServer((sock) => {
    sock.resume();
    sock.end('bye');
  });
  server.listen(80);
  await net.run(1);
  const connectFrom = (localPort?: number) => {
    const sock = c.net.connect({ port: 80, host: sa, ...(localPort !== undefined ? { localPort } : {}) });
    sock.resume();
    return sock;
  };
  const client = connectFrom();
  const clientPort = client.localPort!;
  let closed = false;
  client.on('close', () => (closed = true));
  await net.runUntil(() => closed && s.timeWait.size === 1, 10_000);
  expect(s.timeWait.size).toBe(1);
  const entered = events.find((e) => e.to === 'TIME_WAIT')!;
  const clientFin = fromClient.find((p) => decode(p).seg.flags & FIN)!;
  const slot = onlyTimeWaitSlot(s);
  return {
    net,
    c,
    s,
    server,
    ca,
    sa,
    events,
    clientPort,
    enteredAt: entered.t,
    clientFin,
    connectFrom,
    /** the old connection's SND.NXT and RCV.NXT, as the record keeps them */
    sndNxt: s.timeWait.sndNxt(slot),
    rcvNxt: s.timeWait.rcvNxt(slot),
    tsRecent: s.timeWait.tsRecent(slot),
    /** packets the server sent since the last call */
    take(): Captured[] {
      const o = out;
      out = [];
      return o;
    },
    /** inject a segment from the client's address and port into the server */
    inject(x: Partial<Parameters<typeof seg>[0]>): void {
      s.input(packet(ca, sa, seg({ srcPort: clientPort, dstPort: 80, ...x })));
    },
  };
}

function twRow(s: SimNetwork['hosts'][number]) {
  return s.sockets().find((r) => r.state === 'TIME_WAIT');
}

describe('Linux inet_timewait_sock: a connection closed by the server moves to the TIME_WAIT table', () => {
  it('it is counted in stateCounts().TIME_WAIT, not in connectionCount, and listed with a timewait timer', async () => {
    const t = await serverCloses();
    expect(t.s.stateCounts()).toEqual({ LISTEN: 1, TIME_WAIT: 1 });
    expect(t.s.connectionCount).toBe(0);
    expect(t.c.stateCounts()).toEqual({}); // the passive closer went LAST_ACK → CLOSED
    const row = twRow(t.s)!;
    expect(row).toMatchObject({ localAddress: t.sa, localPort: 80, remoteAddress: t.ca, remotePort: t.clientPort, recvQ: 0, sendQ: 0 });
    expect(row.timer).toEqual({ name: 'timewait', ms: TW - (t.net.now() - t.enteredAt), retransmits: 0 });
  });

  it('the timewait timer counts down in sockets()', async () => {
    const t = await serverCloses();
    const before = twRow(t.s)!.timer!.ms;
    await t.net.run(10_000);
    expect(twRow(t.s)!.timer!.ms).toBe(before - 10_000);
    await t.net.run(45_000);
    expect(twRow(t.s)!.timer!.ms).toBe(before - 55_000);
  });

  it('the record expires exactly 60 s after entry, with a TIME_WAIT → CLOSED transition event at that time', async () => {
    const t = await serverCloses();
    await t.net.run(t.enteredAt + TW - 1 - t.net.now());
    expect(t.s.stateCounts().TIME_WAIT).toBe(1);
    await t.net.run(1);
    expect(t.s.stateCounts()).toEqual({ LISTEN: 1 });
    expect(t.s.timeWait.size).toBe(0);
    const last = t.events[t.events.length - 1]!;
    expect(last).toMatchObject({ from: 'TIME_WAIT', to: 'CLOSED', t: t.enteredAt + TW, local: `${t.sa}:80` });
    expect(t.events.filter((e) => e.to === 'CLOSED')).toHaveLength(1);
  });

  it('works the same over IPv6', async () => {
    const t = await serverCloses({ v6: true });
    expect(t.s.stateCounts()).toEqual({ LISTEN: 1, TIME_WAIT: 1 });
    expect(twRow(t.s)).toMatchObject({ remoteAddress: '2001:db8::1', remotePort: t.clientPort });
    t.take();
    t.s.input(t.clientFin);
    const out = t.take();
    expect(out.map(flagsOf)).toEqual([ACK]);
    expect(out[0]!.seg.ack).toBe(t.rcvNxt);
    await t.net.run(TW);
    expect(t.s.stateCounts()).toEqual({ LISTEN: 1 });
  });
});

describe('RFC 9293 §3.10.7.4 / Linux: segments answered from the TIME_WAIT record', () => {
  it('a retransmitted FIN is ACKed again and restarts the 60 s', async () => {
    const t = await serverCloses();
    await t.net.run(30_000);
    t.take();
    const at = t.net.now();
    t.s.input(t.clientFin);
    const out = t.take();
    expect(out.map(flagsOf)).toEqual([ACK]);
    expect(out[0]!.seg).toMatchObject({ seq: t.sndNxt, ack: t.rcvNxt, srcPort: 80, dstPort: t.clientPort });
    expect(twRow(t.s)!.timer!.ms).toBe(TW);
    // not at the original deadline ...
    await t.net.run(t.enteredAt + TW - t.net.now());
    expect(t.s.stateCounts().TIME_WAIT).toBe(1);
    // ... but 60 s after the retransmitted FIN
    await t.net.run(at + TW - 1 - t.net.now());
    expect(t.s.stateCounts().TIME_WAIT).toBe(1);
    await t.net.run(1);
    expect(t.s.stateCounts().TIME_WAIT).toBeUndefined();
    expect(t.events[t.events.length - 1]).toMatchObject({ from: 'TIME_WAIT', to: 'CLOSED', t: at + TW });
  });

  it('the ACK from the record carries timestamps when the connection used them (TSecr = TS.Recent)', async () => {
    const t = await serverCloses();
    t.take();
    t.s.input(t.clientFin);
    const [ack] = t.take();
    expect(ack!.seg.options.tsEcr).toBe(t.tsRecent);
    expect(ack!.seg.options.tsVal).toBeTypeOf('number');
  });

  it('an old duplicate data segment for the TIME_WAIT 4-tuple gets an ACK of RCV.NXT', async () => {
    const t = await serverCloses();
    t.take();
    t.inject({ seq: u32(t.rcvNxt - 4), ack: t.sndNxt, flags: ACK, payload: new TextEncoder().encode('old') });
    const out = t.take();
    expect(out.map(flagsOf)).toEqual([ACK]);
    expect(out[0]!.seg).toMatchObject({ seq: t.sndNxt, ack: t.rcvNxt });
    expect(t.s.stateCounts().TIME_WAIT).toBe(1);
  });

  it('a duplicate bare ACK at RCV.NXT is not answered (no ACK war)', async () => {
    const t = await serverCloses();
    t.take();
    t.inject({ seq: t.rcvNxt, ack: t.sndNxt, flags: ACK });
    expect(t.take()).toEqual([]);
    expect(t.s.stateCounts().TIME_WAIT).toBe(1);
  });
});

describe('RFC 1337 (tcp_rfc1337): RST in TIME_WAIT', () => {
  it('tcp_rfc1337 = 1: an in-window RST is ignored and TIME_WAIT runs its course', async () => {
    const t = await serverCloses({ server: { tcp_rfc1337: 1 } });
    t.take();
    t.inject({ seq: t.rcvNxt, flags: RST });
    expect(t.take()).toEqual([]);
    expect(t.s.stateCounts().TIME_WAIT).toBe(1);
    await t.net.run(t.enteredAt + TW - t.net.now());
    expect(t.s.stateCounts().TIME_WAIT).toBeUndefined();
  });

  it('tcp_rfc1337 = 0 (Linux default): an in-window RST ends TIME_WAIT at once (TIME-WAIT assassination)', async () => {
    const t = await serverCloses({ server: { tcp_rfc1337: 0 } });
    const at = t.net.now();
    t.inject({ seq: t.rcvNxt, flags: RST });
    expect(t.s.stateCounts()).toEqual({ LISTEN: 1 });
    expect(t.events[t.events.length - 1]).toMatchObject({ from: 'TIME_WAIT', to: 'CLOSED', t: at });
  });

  it('tcp_rfc1337 = 0: a RST whose sequence number is not RCV.NXT is ignored (Linux kills only on an in-window RST)', async () => {
    const t = await serverCloses({ server: { tcp_rfc1337: 0 } });
    t.take();
    t.inject({ seq: u32(t.rcvNxt + 100_000), flags: RST });
    t.inject({ seq: u32(t.rcvNxt - 1), flags: RST });
    expect(t.take()).toEqual([]);
    expect(t.s.stateCounts().TIME_WAIT).toBe(1);
  });
});

describe('RFC 6191 / Linux: a new SYN for a 4-tuple in TIME_WAIT', () => {
  it('without timestamps, a SYN with a higher sequence number is accepted and the new ISN is above the old SND.NXT', async () => {
    const t = await serverCloses({ client: { tcp_timestamps: 0 } });
    expect(t.s.timeWait.tsOk(onlyTimeWaitSlot(t.s))).toBe(false);
    await t.net.run(5000);
    t.take();
    const again = t.connectFrom(t.clientPort);
    let connected = false;
    again.on('connect', () => (connected = true));
    await t.net.runUntil(() => connected, 5000);
    expect(connected).toBe(true);
    const synAck = t.take().find((p) => flagsOf(p) === (SYN | ACK))!;
    expect(synAck.seg.dstPort).toBe(t.clientPort);
    expect(seqAfter(synAck.seg.seq, t.sndNxt)).toBe(true);
    expect(t.s.counters.timeWaitRecycled).toBe(1);
    expect(t.s.timeWait.size).toBe(0);
    expect(t.s.stateCounts()).toMatchObject({ LISTEN: 1 });
    expect(t.events.some((e) => e.from === 'TIME_WAIT' && e.to === 'CLOSED')).toBe(true);
  });

  it('without timestamps, a SYN with a lower sequence number is answered with an ACK and TIME_WAIT stays', async () => {
    const t = await serverCloses({ client: { tcp_timestamps: 0 } });
    t.take();
    t.inject({ seq: u32(t.rcvNxt - 100_000), flags: SYN, options: { mss: 1460 } });
    const out = t.take();
    expect(out.map(flagsOf)).toEqual([ACK]);
    expect(out[0]!.seg).toMatchObject({ seq: t.sndNxt, ack: t.rcvNxt });
    expect(t.s.counters.timeWaitRecycled).toBe(0);
    expect(t.s.stateCounts()).toEqual({ LISTEN: 1, TIME_WAIT: 1 });
  });

  it('with timestamps, a newer TSval is accepted even when the sequence number is lower', async () => {
    const t = await serverCloses();
    expect(t.s.timeWait.tsOk(onlyTimeWaitSlot(t.s))).toBe(true);
    t.take();
    t.inject({ seq: u32(t.rcvNxt - 100_000), flags: SYN, options: { mss: 1460, tsVal: u32(t.tsRecent + 1000), tsEcr: 0 } });
    const out = t.take();
    expect(out.map(flagsOf)).toEqual([SYN | ACK]);
    expect(seqAfter(out[0]!.seg.seq, t.sndNxt)).toBe(true);
    expect(t.s.counters.timeWaitRecycled).toBe(1);
  });

  it('with timestamps, an older TSval is refused even when the sequence number is higher (PAWS): an ACK', async () => {
    const t = await serverCloses();
    t.take();
    t.inject({ seq: u32(t.rcvNxt + 100_000), flags: SYN, options: { mss: 1460, tsVal: u32(t.tsRecent - 1000), tsEcr: 0 } });
    const out = t.take();
    expect(out.map(flagsOf)).toEqual([ACK]);
    expect(t.s.counters.timeWaitRecycled).toBe(0);
    expect(t.s.stateCounts().TIME_WAIT).toBe(1);
  });

  it('with timestamps, an equal TSval and a higher sequence number is accepted (RFC 6191 §2)', async () => {
    const t = await serverCloses();
    t.take();
    t.inject({ seq: u32(t.rcvNxt + 100_000), flags: SYN, options: { mss: 1460, tsVal: t.tsRecent, tsEcr: 0 } });
    expect(t.take().map(flagsOf)).toEqual([SYN | ACK]);
    expect(t.s.counters.timeWaitRecycled).toBe(1);
  });

  it('the natural reconnect from the same port with timestamps on (newer TSval, newer ISN) completes', async () => {
    const t = await serverCloses();
    await t.net.run(2000);
    const again = t.connectFrom(t.clientPort);
    let got = '';
    again.on('data', (d: Buffer) => (got += d.toString()));
    await t.net.runUntil(() => got === 'bye', 5000);
    expect(got).toBe('bye');
    expect(t.s.counters.timeWaitRecycled).toBe(1);
  });
});

describe('Linux tcp_v4_rcv / tcp_conn_request: what becomes of a SYN that passes the TIME_WAIT check', () => {
  it('with no listener behind it any more, it is answered with an ACK from the record and TIME_WAIT stays', async () => {
    const t = await serverCloses({ client: { tcp_timestamps: 0 } });
    t.server.close();
    t.take();
    t.inject({ seq: u32(t.rcvNxt + 100_000), flags: SYN, options: { mss: 1460 } });
    const out = t.take();
    expect(out.map(flagsOf)).toEqual([ACK]);
    expect(out[0]!.seg).toMatchObject({ seq: t.sndNxt, ack: t.rcvNxt });
    expect(t.s.stateCounts()).toEqual({ TIME_WAIT: 1 });
    expect(t.s.counters.timeWaitRecycled).toBe(0);
  });

  it('with tcp_syncookies = 2 it is still answered statefully, its ISN continuing past the old SND.NXT (no cookie)', async () => {
    const t = await serverCloses({ client: { tcp_timestamps: 0 }, server: { tcp_syncookies: 2 } });
    const sent = t.s.counters.syncookiesSent;
    t.take();
    t.inject({ seq: u32(t.rcvNxt + 100_000), flags: SYN, options: { mss: 1460 } });
    const out = t.take();
    expect(out.map(flagsOf)).toEqual([SYN | ACK]);
    expect(out[0]!.seg.seq).toBe(u32(t.sndNxt + 65537));
    expect(t.s.counters.syncookiesSent).toBe(sent);
    expect(t.s.stateCounts()).toEqual({ LISTEN: 1, SYN_RCVD: 1 });
  });

  it('it is accepted even when the SYN queue is full (Linux: "TW buckets are converted to open requests without limitations")', async () => {
    const t = await serverCloses({ client: { tcp_timestamps: 0 }, server: { tcp_syncookies: 0, tcp_max_syn_backlog: 1 } });
    // fill the SYN queue with a half-open connection from elsewhere
    t.s.input(packet('10.0.0.77', t.sa, seg({ srcPort: 5555, dstPort: 80, seq: 1, flags: SYN })));
    expect(t.s.stateCounts()).toEqual({ LISTEN: 1, SYN_RCVD: 1, TIME_WAIT: 1 });
    t.take();
    t.inject({ seq: u32(t.rcvNxt + 100_000), flags: SYN, options: { mss: 1460 } });
    expect(t.take().map(flagsOf)).toEqual([SYN | ACK]);
    expect(t.s.stateCounts()).toEqual({ LISTEN: 1, SYN_RCVD: 2 });
    expect(t.s.counters.listenDrops).toBe(0);
  });
});

describe('Linux tcp_max_tw_buckets', () => {
  it('with N = 2, the third close skips TIME_WAIT and is counted in timeWaitOverflow', async () => {
    const net = new SimNetwork({ seed: 10 });
    const c = net.host('10.0.0.1');
    const s = net.host('10.0.0.2', { sysctl: { tcp_max_tw_buckets: 2 } });
    const events: TransitionEvent[] = [];
    s.on('transition', (e: TransitionEvent) => events.push(e));
    s.net
      .createServer((sock) => {
        sock.resume();
        sock.end('bye');
      })
      .listen(80);
    await net.run(1);
    let closed = 0;
    for (let i = 0; i < 3; i++) {
      const sock = c.net.connect(80, '10.0.0.2');
      sock.resume();
      sock.on('close', () => closed++);
      await net.runUntil(() => closed === i + 1, 5000);
      await net.run(100);
    }
    expect(s.stateCounts()).toEqual({ LISTEN: 1, TIME_WAIT: 2 });
    expect(s.counters.timeWaitOverflow).toBe(1);
    // the overflowing connection went TIME_WAIT → CLOSED at once
    const tw = events.filter((e) => e.to === 'TIME_WAIT');
    const third = events.filter((e) => e.local === tw[2]!.local && e.remote === tw[2]!.remote && e.from === 'TIME_WAIT');
    expect(third).toEqual([expect.objectContaining({ to: 'CLOSED', t: tw[2]!.t })]);
  });

  it('with N = 0 nothing enters the table', async () => {
    const t = await serverClosesWithBuckets(0);
    expect(t.stateCounts().TIME_WAIT).toBeUndefined();
    expect(t.counters.timeWaitOverflow).toBe(1);
  });
});

async function serverClosesWithBuckets(n: number) {
  const net = new SimNetwork({ seed: 12 });
  const c = net.host('10.0.0.1');
  const s = net.host('10.0.0.2', { sysctl: { tcp_max_tw_buckets: n } });
  s.net.createServer((sock) => sock.end('bye')).listen(80);
  await net.run(1);
  const sock = c.net.connect(80, '10.0.0.2');
  sock.resume();
  let closed = false;
  sock.on('close', () => (closed = true));
  await net.runUntil(() => closed, 5000);
  await net.run(100);
  return s;
}
