/**
 * A listener's two queues as Linux keeps them: the SYN queue (half-open, SYN_RCVD) bounded by
 * tcp_max_syn_backlog, and the accept queue (established, not yet accepted) bounded by
 * min(backlog, net.core.somaxconn). A full accept queue drops the handshake's final ACK and the
 * SYN-ACK is retried (tcp_abort_on_overflow = 1 resets instead).
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type Socket } from '../../src/index.js';
import { ACK, CLIENT, RST, RawHost, SERVER, SYN, flagsOf, seg, u32 } from './helpers.js';

function synFrom(port: number, seq: number) {
  return seg({ srcPort: port, dstPort: 80, seq, flags: SYN, options: { mss: 1460 } });
}

describe('Linux listener: the SYN queue (tcp_max_syn_backlog)', () => {
  it('with cookies off, SYNs beyond tcp_max_syn_backlog are dropped and counted in ListenDrops', () => {
    const h = new RawHost(SERVER, { tcp_syncookies: 0, tcp_max_syn_backlog: 4 });
    h.stack.net.createServer().listen(80);
    for (let i = 0; i < 10; i++) h.send(CLIENT, synFrom(40000 + i, 1000 * i));
    const out = h.take();
    expect(out.filter((p) => flagsOf(p) === (SYN | ACK)).map((p) => p.seg.dstPort)).toEqual([40000, 40001, 40002, 40003]);
    expect(out).toHaveLength(4); // the rest get no answer at all (not even a RST)
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, SYN_RCVD: 4 });
    expect(h.stack.counters.listenDrops).toBe(6);
    expect(h.stack.counters.drops.syn_queue_full).toBe(6);
    expect(h.stack.counters.syncookiesSent).toBe(0);
  });

  it('a half-open connection that exhausts tcp_synack_retries leaves the SYN queue, making room again', () => {
    const h = new RawHost(SERVER, { tcp_syncookies: 0, tcp_max_syn_backlog: 2, tcp_synack_retries: 1 });
    h.stack.net.createServer().listen(80);
    h.send(CLIENT, synFrom(40000, 1));
    h.send(CLIENT, synFrom(40001, 2));
    h.send(CLIENT, synFrom(40002, 3));
    expect(h.stack.counters.listenDrops).toBe(1);
    h.advance(1000); // one retry of each SYN-ACK
    expect(h.take().filter((p) => flagsOf(p) === (SYN | ACK))).toHaveLength(4);
    h.advance(2000); // the retry goes unanswered: both give up
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1 });
    h.send(CLIENT, synFrom(40003, 4));
    h.send(CLIENT, synFrom(40004, 5));
    expect(h.take().filter((p) => flagsOf(p) === (SYN | ACK))).toHaveLength(2);
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, SYN_RCVD: 2 });
    expect(h.stack.counters.listenDrops).toBe(1);
  });
});

/** A client and a server host on the simulator, the server listening on port 80 with `backlog`. */
async function pair(opts: { backlog?: number; server?: Record<string, unknown> } = {}) {
  const net = new SimNetwork({ seed: 4 });
  const c = net.host(CLIENT);
  const s = net.host(SERVER, { sysctl: opts.server ?? {} });
  const accepted: Socket[] = [];
  /** what each accepted connection received, by accept order */
  const received: string[] = [];
  const server = s.net.createServer((sock) => {
    const i = accepted.push(sock) - 1;
    received[i] = '';
    sock.on('data', (d: Buffer) => (received[i] += d.toString()));
  });
  server.listen({ port: 80, ...(opts.backlog !== undefined ? { backlog: opts.backlog } : {}) });
  await net.run(1);
  return { net, c, s, server, accepted, received };
}

function connectMany(c: SimNetwork['hosts'][number], n: number) {
  const errors: string[] = [];
  const sockets = Array.from({ length: n }, () => {
    const sock = c.net.connect(80, SERVER);
    sock.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
    sock.resume();
    return sock;
  });
  return { sockets, errors };
}

describe('Linux listener: the accept queue (min(backlog, somaxconn))', () => {
  it('with accept paused, connections beyond the backlog stay in SYN_RCVD: their final ACK is dropped (ListenOverflows)', async () => {
    const { net, c, s, server, accepted } = await pair({ backlog: 2 });
    server.pauseAccepting();
    connectMany(c, 4);
    await net.run(200);
    expect(accepted).toHaveLength(0);
    expect(s.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 2, SYN_RCVD: 2 });
    // the clients cannot tell: each got a SYN-ACK and sent its ACK
    expect(c.stateCounts()).toEqual({ ESTABLISHED: 4 });
    expect(s.counters.listenOverflows).toBe(2);
  });

  it('the LISTEN row of sockets() shows the queued connections as Recv-Q and the bound as Send-Q (ss -ltn)', async () => {
    const { net, c, s, server } = await pair({ backlog: 3 });
    server.pauseAccepting();
    connectMany(c, 2);
    await net.run(200);
    const row = s.sockets().find((r) => r.state === 'LISTEN')!;
    expect(row).toMatchObject({ localPort: 80, recvQ: 2, sendQ: 3, remoteAddress: '*' });
  });

  it('the accept queue is bounded by net.core.somaxconn when the backlog asks for more', async () => {
    const { net, c, s, server } = await pair({ backlog: 511, server: { somaxconn: 2 } });
    server.pauseAccepting();
    connectMany(c, 3);
    await net.run(200);
    expect(s.sockets().find((r) => r.state === 'LISTEN')).toMatchObject({ recvQ: 2, sendQ: 2 });
    expect(s.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 2, SYN_RCVD: 1 });
  });

  it('the server keeps retransmitting the SYN-ACK of a connection whose final ACK it dropped', async () => {
    const { net, c, s, server } = await pair({ backlog: 1 });
    server.pauseAccepting();
    const synAcks: number[] = [];
    s.on('packet', (p: Uint8Array) => {
      // IPv4 + TCP flags byte: SYN|ACK
      if ((p[20 + 13]! & (SYN | ACK)) === (SYN | ACK)) synAcks.push(net.now());
    });
    connectMany(c, 2);
    await net.run(8000);
    // two SYN-ACKs at once, then the second connection's retries at 1, 3 and 7 s (exponential backoff)
    expect(synAcks).toHaveLength(5);
    expect(synAcks.slice(2).map((t) => Math.round(t / 1000))).toEqual([1, 3, 7]);
    expect(s.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 1, SYN_RCVD: 1 });
  });

  it('after resumeAccepting(), the queued connections are accepted and the SYN_RCVD ones complete on the next SYN-ACK', async () => {
    const { net, c, s, server, accepted } = await pair({ backlog: 2 });
    server.pauseAccepting();
    const { errors } = connectMany(c, 4);
    await net.run(500);
    expect(accepted).toHaveLength(0);
    server.resumeAccepting();
    expect(await net.runUntil(() => accepted.length === 4, 10_000)).toBe(true);
    expect(s.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 4 });
    expect(errors).toEqual([]);
    expect(s.sockets().find((r) => r.state === 'LISTEN')).toMatchObject({ recvQ: 0, sendQ: 2 });
  });

  it('the accepted connections carry data once accepted (nothing was lost while they queued)', async () => {
    const { net, c, server, accepted, received } = await pair({ backlog: 1 });
    server.pauseAccepting();
    const { sockets } = connectMany(c, 2);
    await net.run(500);
    sockets[0]!.write('queued');
    sockets[1]!.write('half-open');
    await net.run(500);
    server.resumeAccepting();
    await net.runUntil(() => accepted.length === 2 && received.join() === 'queued,half-open', 20_000);
    expect(received).toEqual(['queued', 'half-open']);
  });

  it('tcp_abort_on_overflow = 1 answers the final ACK with a RST instead: the client sees ECONNRESET', async () => {
    const { net, c, s, server } = await pair({ backlog: 2, server: { tcp_abort_on_overflow: 1 } });
    server.pauseAccepting();
    const { errors } = connectMany(c, 4);
    await net.run(200);
    expect(s.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 2 });
    expect(s.counters.listenOverflows).toBe(2);
    expect(s.counters.resetsSent).toBe(2);
    await net.run(100);
    expect(errors).toEqual(['ECONNRESET', 'ECONNRESET']);
  });

  it('a SYN arriving while the accept queue is full is dropped (Linux drops it even with cookies on)', async () => {
    const { net, c, s, server } = await pair({ backlog: 1 });
    server.pauseAccepting();
    connectMany(c, 1);
    await net.run(200);
    const drops = s.counters.listenDrops;
    connectMany(c, 1);
    await net.run(200);
    expect(s.counters.listenDrops).toBe(drops + 1);
    expect(s.counters.drops.accept_queue_full).toBe(1);
    expect(c.stateCounts()).toEqual({ ESTABLISHED: 1, SYN_SENT: 1 });
  });
});

describe('Linux tcp_check_req: only the ACK that completes the handshake meets the accept queue', () => {
  /** A half-open connection on a listener whose accept queue (backlog 1) is already full. */
  function fullQueue(sysctl: Record<string, unknown>) {
    const h = new RawHost(SERVER, sysctl);
    const server = h.stack.net.createServer();
    server.listen({ port: 80, backlog: 1 });
    server.pauseAccepting();
    h.send(CLIENT, synFrom(40001, 100));
    const [sa1] = h.take();
    h.send(CLIENT, synFrom(40002, 200));
    const [sa2] = h.take();
    h.send(CLIENT, seg({ srcPort: 40001, dstPort: 80, seq: 101, ack: u32(sa1!.seg.seq + 1), flags: ACK }));
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 1, SYN_RCVD: 1 });
    h.take();
    return { h, iss2: sa2!.seg.seq };
  }

  it('an ACK that does not acknowledge our SYN-ACK is answered with a RST and is not a listen overflow', () => {
    const { h, iss2 } = fullQueue({ tcp_syncookies: 0 });
    h.send(CLIENT, seg({ srcPort: 40002, dstPort: 80, seq: 201, ack: u32(iss2 + 1000), flags: ACK }));
    expect(h.stack.counters.listenOverflows).toBe(0);
    const out = h.take();
    expect(out.map(flagsOf)).toEqual([RST]);
    expect(out[0]!.seg.seq).toBe(u32(iss2 + 1000));
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 1, SYN_RCVD: 1 });
  });

  it('with tcp_abort_on_overflow = 1, a bogus ACK does not abort the half-open connection', () => {
    const { h, iss2 } = fullQueue({ tcp_syncookies: 0, tcp_abort_on_overflow: 1 });
    h.send(CLIENT, seg({ srcPort: 40002, dstPort: 80, seq: 201, ack: u32(iss2 + 1000), flags: ACK }));
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 1, SYN_RCVD: 1 });
    expect(h.stack.counters.listenOverflows).toBe(0);
    // the genuine ACK does meet the full queue: RST
    h.take();
    h.send(CLIENT, seg({ srcPort: 40002, dstPort: 80, seq: 201, ack: u32(iss2 + 1), flags: ACK }));
    const out = h.take();
    expect(out).toHaveLength(1);
    expect(out[0]!.seg.flags & RST).toBe(RST);
    expect(out[0]!.seg.seq).toBe(u32(iss2 + 1));
    expect(h.stack.counters.listenOverflows).toBe(1);
    expect(h.stack.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 1 });
  });
});

describe('node:net Server.maxConnections', () => {
  it('connections beyond maxConnections are closed at once and reported with a drop event', async () => {
    const { net, c, server, accepted } = await pair();
    server.maxConnections = 1;
    const drops: { remotePort: number }[] = [];
    server.on('drop', (d: { remotePort: number }) => drops.push(d));
    const { sockets } = connectMany(c, 2);
    let closed = 0;
    for (const sock of sockets) sock.on('close', () => closed++);
    await net.run(1000);
    expect(accepted).toHaveLength(1);
    expect(server.connections).toBe(1);
    expect(drops).toHaveLength(1);
    expect(drops[0]!.remotePort).toBe(sockets[1]!.localPort);
    expect(closed).toBe(1);
    expect(sockets[1]!.destroyed).toBe(true);
    expect(sockets[0]!.destroyed).toBe(false);
  });
});
