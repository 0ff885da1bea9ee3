/**
 * net.Socket over synack behaves as node:net's: events, state getters, addresses and counters,
 * half-close, close and reset semantics (checked against the stack's own socket table and the
 * packets on the simulated wire), Nagle, keepalive, idle and user timeouts, and backpressure.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type HostOptions, type Server, type Socket, type Stack } from '../../src/index.js';
import { decodeTcpPacket } from '../../src/wire/packet.js';
import { ACK, FIN, RST, type Segment } from '../../src/wire/segment.js';

interface NodeError extends Error {
  code?: string;
  syscall?: string;
}

interface Captured {
  t: number;
  from: string;
  to: string;
  dropped: boolean;
  seg: Segment;
  len: number;
}

function world(opts: HostOptions = {}): { net: SimNetwork; a: Stack; b: Stack; packets: Captured[] } {
  const net = new SimNetwork({ seed: 1 });
  const a = net.host('10.0.0.1', opts);
  const b = net.host('10.0.0.2', opts);
  const packets: Captured[] = [];
  net.onPacket((ev) => {
    const d = decodeTcpPacket(ev.packet);
    if (typeof d === 'string') return;
    // the payload view is only valid during the call: keep its length, not the bytes
    packets.push({ t: ev.t, from: ev.from, to: ev.to, dropped: ev.dropped, seg: { ...d.seg, payload: new Uint8Array(0) }, len: d.seg.payload.length });
  });
  return { net, a, b, packets };
}

/** Listen on b:80 and connect from a; resolves once both ends are up. */
async function pair(
  net: SimNetwork,
  a: Stack,
  b: Stack,
  opts: { client?: { allowHalfOpen?: boolean }; server?: { allowHalfOpen?: boolean; pauseOnConnect?: boolean } } = {},
): Promise<{ server: Server; client: Socket; peer: Socket }> {
  const server = b.net.createServer(opts.server ?? {});
  server.listen(80);
  let peer: Socket | null = null;
  server.on('connection', (s: Socket) => (peer = s));
  const client = a.net.connect({ port: 80, host: '10.0.0.2', ...opts.client });
  expect(await net.runUntil(() => peer !== null && !client.connecting, 10_000)).toBe(true);
  return { server, client, peer: peer! };
}

function collect(s: Socket): { data: Buffer[]; text: () => string; bytes: () => number; ended: boolean; closed: boolean } {
  const r = {
    data: [] as Buffer[],
    text: () => Buffer.concat(r.data).toString(),
    bytes: () => r.data.reduce((n, d) => n + d.length, 0),
    ended: false,
    closed: false,
  };
  s.on('data', (d: Buffer) => r.data.push(d));
  s.on('end', () => (r.ended = true));
  s.on('close', () => (r.closed = true));
  return r;
}

function rowFor(stack: Stack, localPort: number) {
  return stack.sockets().find((r) => r.localPort === localPort && r.state !== 'LISTEN');
}

describe('net.Socket over synack', () => {
  it("emits 'connect' then 'ready', and calls the connect callback", async () => {
    const { net, a, b } = world();
    b.net.createServer().listen(80);
    const order: string[] = [];
    const c = a.net.connect(80, '10.0.0.2', () => order.push('callback'));
    c.on('connect', () => order.push('connect'));
    c.on('ready', () => order.push('ready'));
    expect(await net.runUntil(() => order.length === 3, 10_000)).toBe(true);
    expect(order).toEqual(['callback', 'connect', 'ready']);
  });

  it('pending, connecting and readyState go opening → open → readOnly / writeOnly → closed', async () => {
    const { net, a, b } = world();
    let peer: Socket | null = null;
    b.net.createServer({ allowHalfOpen: true }, (s) => (peer = s)).listen(80);
    const c = a.net.connect({ port: 80, host: '10.0.0.2', allowHalfOpen: true });
    expect(c.pending).toBe(true);
    expect(c.connecting).toBe(true);
    expect(c.readyState).toBe('opening');
    expect(await net.runUntil(() => peer !== null && !c.connecting, 10_000)).toBe(true);
    expect(c.pending).toBe(false);
    expect(c.readyState).toBe('open');
    expect(peer!.readyState).toBe('open');
    const got = collect(c);
    const peerGot = collect(peer!);
    c.end();
    expect(c.readyState).toBe('readOnly');
    expect(await net.runUntil(() => peerGot.ended, 10_000)).toBe(true);
    expect(peer!.readyState).toBe('writeOnly');
    peer!.end();
    expect(await net.runUntil(() => got.closed && peerGot.closed, 10_000)).toBe(true);
    expect(c.readyState).toBe('closed');
    expect(peer!.readyState).toBe('closed');
  });

  it('reports local and remote address, port and family, address(), bytesRead and bytesWritten', async () => {
    const { net, a, b } = world();
    const { client, peer } = await pair(net, a, b);
    expect(client.remoteAddress).toBe('10.0.0.2');
    expect(client.remotePort).toBe(80);
    expect(client.remoteFamily).toBe('IPv4');
    expect(client.localAddress).toBe('10.0.0.1');
    expect(client.localPort).toBeGreaterThanOrEqual(32768);
    expect(client.address()).toEqual({ address: '10.0.0.1', family: 'IPv4', port: client.localPort });
    expect(peer.remoteAddress).toBe('10.0.0.1');
    expect(peer.remotePort).toBe(client.localPort);
    expect(peer.localPort).toBe(80);
    expect(peer.address()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 80 });
    const got = collect(peer);
    client.write('hello ');
    client.write(Buffer.from('world'));
    expect(await net.runUntil(() => got.bytes() === 11, 10_000)).toBe(true);
    expect(client.bytesWritten).toBe(11);
    expect(peer.bytesRead).toBe(11);
    expect(got.text()).toBe('hello world');
  });

  it('data written before the handshake completes is delivered', async () => {
    const { net, a, b } = world();
    let got: ReturnType<typeof collect> | null = null;
    b.net.createServer((s) => (got = collect(s))).listen(80);
    const c = a.net.connect(80, '10.0.0.2');
    expect(c.write('early bird')).toBe(true);
    c.end(' and the worm');
    expect(c.connecting).toBe(true);
    expect(await net.runUntil(() => got?.ended === true, 10_000)).toBe(true);
    expect(got!.text()).toBe('early bird and the worm');
  });

  it('end() half-closes with allowHalfOpen: the server still writes, the client still reads, then the server ends', async () => {
    const { net, a, b } = world();
    const { client, peer } = await pair(net, a, b, { client: { allowHalfOpen: true }, server: { allowHalfOpen: true } });
    const atClient = collect(client);
    const atServer = collect(peer);
    client.end('request');
    expect(await net.runUntil(() => atServer.ended, 10_000)).toBe(true);
    expect(atServer.text()).toBe('request');
    expect(rowFor(a, client.localPort!)?.state).toBe('FIN_WAIT_2');
    expect(rowFor(b, 80)?.state).toBe('CLOSE_WAIT');
    // the half-open server is still writable and talks for a while
    expect(peer.writable).toBe(true);
    for (let i = 0; i < 3; i++) {
      peer.write(`part ${i};`);
      await net.run(500);
    }
    expect(atClient.text()).toBe('part 0;part 1;part 2;');
    expect(atClient.ended).toBe(false);
    peer.end('bye');
    expect(await net.runUntil(() => atClient.closed && atServer.closed, 10_000)).toBe(true);
    expect(atClient.text()).toBe('part 0;part 1;part 2;bye');
    expect(a.stateCounts()).toEqual({ TIME_WAIT: 1 });
    expect(b.stateCounts()).toEqual({ LISTEN: 1 });
  });

  it("data received before the peer's FIN stays readable after our end() has closed the connection", async () => {
    const { net, a, b } = world();
    const { client, peer } = await pair(net, a, b, { server: { allowHalfOpen: true, pauseOnConnect: true } });
    const atClient = collect(client);
    client.end('request body');
    await net.run(100);
    expect(rowFor(b, 80)).toMatchObject({ state: 'CLOSE_WAIT', recvQ: 12 });
    peer.end('response'); // LAST_ACK, then CLOSED while the request is still unread
    expect(await net.runUntil(() => atClient.closed, 10_000)).toBe(true);
    expect(atClient.text()).toBe('response');
    expect(b.stateCounts()).toEqual({ LISTEN: 1 });
    expect(peer.destroyed).toBe(false);
    const atServer = collect(peer);
    peer.resume();
    expect(await net.runUntil(() => atServer.closed, 1000)).toBe(true);
    expect(atServer.text()).toBe('request body');
    expect(atServer.ended).toBe(true);
  });

  it("without allowHalfOpen (the default) the receiving side ends its own side after 'end'", async () => {
    const { net, a, b } = world();
    const { client, peer } = await pair(net, a, b);
    const atClient = collect(client);
    const atServer = collect(peer);
    client.end();
    expect(await net.runUntil(() => atClient.closed && atServer.closed, 10_000)).toBe(true);
    expect(atServer.ended).toBe(true);
    expect(atClient.ended).toBe(true);
    expect(a.stateCounts()).toEqual({ TIME_WAIT: 1 });
    expect(b.stateCounts()).toEqual({ LISTEN: 1 });
  });

  it("destroy() is the kernel's close: a FIN, and the connection lives on as an orphan through FIN_WAIT and TIME_WAIT", async () => {
    const { net, a, b, packets } = world();
    const { client, peer } = await pair(net, a, b, { server: { allowHalfOpen: true } });
    const atServer = collect(peer);
    const atClient = collect(client);
    const port = client.localPort!;
    client.destroy();
    expect(await net.runUntil(() => atClient.closed, 1000)).toBe(true);
    await net.runUntil(() => atServer.ended, 1000);
    // the socket has closed, yet the connection is still finishing: FIN_WAIT_2, orphaned
    const row = rowFor(a, port);
    expect(row).toMatchObject({ state: 'FIN_WAIT_2', orphan: true });
    expect(row!.timer?.name).toBe('finwait2');
    expect(packets.some((p) => p.from === '10.0.0.1' && p.seg.flags & FIN)).toBe(true);
    expect(packets.some((p) => p.seg.flags & RST)).toBe(false);
    expect(atServer.ended).toBe(true);
    peer.end();
    expect(await net.runUntil(() => rowFor(a, port)?.state === 'TIME_WAIT', 1000)).toBe(true);
    expect(rowFor(a, port)).toMatchObject({ state: 'TIME_WAIT', orphan: true });
    await net.run(61_000);
    expect(a.stateCounts()).toEqual({});
  });

  it("a socket nobody reads still sees 'end' when the peer ends, and closes its side by default (no CLOSE_WAIT left)", async () => {
    const { net, a, b } = world();
    const { client, peer } = await pair(net, a, b);
    let peerEnded = false;
    let peerClosed = false;
    peer.on('end', () => (peerEnded = true)); // no 'data' listener, no read()
    peer.on('close', () => (peerClosed = true));
    let clientEnded = false;
    client.on('end', () => (clientEnded = true));
    client.end();
    expect(await net.runUntil(() => peerClosed && clientEnded, 10_000)).toBe(true);
    expect(peerEnded).toBe(true);
    expect(b.stateCounts()).toEqual({ LISTEN: 1 });
    expect(a.stateCounts()).toEqual({ TIME_WAIT: 1 });
  });

  it('destroy() with unread data sends RST (RFC 2525) and the peer gets ECONNRESET', async () => {
    const { net, a, b, packets } = world();
    const { client, peer } = await pair(net, a, b);
    // the client never reads: like node:net it buffers up to readableHighWaterMark, and the rest
    // waits in the stack's receive queue
    peer.write(Buffer.alloc(100_000, 1));
    expect(await net.runUntil(() => rowFor(b, 80)?.sendQ === 0, 10_000)).toBe(true);
    expect(client.readableLength).toBeGreaterThanOrEqual(client.readableHighWaterMark);
    expect(rowFor(a, client.localPort!)!.recvQ).toBe(100_000 - client.readableLength);
    let err: NodeError | null = null;
    peer.on('error', (e: NodeError) => (err = e));
    client.destroy();
    expect(await net.runUntil(() => err !== null, 1000)).toBe(true);
    expect(err!.code).toBe('ECONNRESET');
    const rst = packets.filter((p) => p.from === '10.0.0.1' && p.seg.flags & RST);
    expect(rst).toHaveLength(1);
    expect(packets.some((p) => p.from === '10.0.0.1' && p.seg.flags & FIN)).toBe(false);
    expect(a.stateCounts()).toEqual({});
    expect(b.stateCounts()).toEqual({ LISTEN: 1 });
  });

  it('resetAndDestroy() sends RST at once and leaves no TIME_WAIT', async () => {
    const { net, a, b, packets } = world();
    const { client, peer } = await pair(net, a, b);
    let err: NodeError | null = null;
    peer.on('error', (e: NodeError) => (err = e));
    let closed = false;
    client.on('close', () => (closed = true));
    expect(client.resetAndDestroy()).toBe(client);
    expect(await net.runUntil(() => closed && err !== null, 1000)).toBe(true);
    expect(err!.code).toBe('ECONNRESET');
    expect(packets.filter((p) => p.from === '10.0.0.1' && p.seg.flags & RST)).toHaveLength(1);
    expect(a.stateCounts()).toEqual({});
    expect(b.stateCounts()).toEqual({ LISTEN: 1 });
  });

  it('setNoDelay(true) sends a small write while an earlier one is unacknowledged; Nagle (the default) holds it', async () => {
    // one-way delay 50 ms: a second write 1 ms after the first finds it still unacknowledged
    async function secondSegmentDelay(noDelay: boolean): Promise<number> {
      const { net, a, b, packets } = world();
      net.impairAll({ delayMs: 50 });
      const { client, peer } = await pair(net, a, b);
      peer.resume();
      if (noDelay) expect(client.setNoDelay(true)).toBe(client);
      const from = packets.length;
      const t0 = net.now();
      client.write('a');
      await net.run(1);
      client.write('b');
      await net.run(500);
      const sent = packets.slice(from).filter((p) => p.from === '10.0.0.1' && p.len > 0);
      expect(sent.map((p) => p.len)).toEqual([1, 1]);
      // delivery time less the 50 ms path: when the segment left
      return sent[1]!.t - 50 - t0;
    }
    expect(await secondSegmentDelay(true)).toBe(1);
    expect(await secondSegmentDelay(false)).toBeGreaterThanOrEqual(100);
  });

  it('setKeepAlive(true, 1000) sends probes after 1 s idle; a dead peer ends with ETIMEDOUT after the probes', async () => {
    const { net, a, b, packets } = world({ sysctl: { tcp_keepalive_intvl: 1, tcp_keepalive_probes: 3 } });
    const { client } = await pair(net, a, b);
    let err: NodeError | null = null;
    let errAt = -1;
    client.on('error', (e: NodeError) => {
      err = e;
      errAt = net.now();
    });
    const t0 = net.now();
    expect(client.setKeepAlive(true, 1000)).toBe(client);
    const from = packets.length;
    await net.run(2500);
    // answered probes: an empty ACK one below SND.NXT, at 1 s idle, then again 1 s after each answer
    const probes = packets.slice(from).filter((p) => p.from === '10.0.0.1' && p.len === 0 && p.seg.flags === ACK);
    expect(probes.map((p) => p.t - t0)).toEqual([1000, 2000]);
    expect(packets.slice(from).filter((p) => p.from === '10.0.0.2')).toHaveLength(2);
    expect(err).toBeNull();
    // the peer vanishes: three unanswered probes, one per second, then the connection is dropped
    net.impairAll({ loss: 1 });
    const t1 = net.now();
    expect(await net.runUntil(() => err !== null, 60_000)).toBe(true);
    expect(err!.code).toBe('ETIMEDOUT');
    expect(err!.syscall).toBe('read');
    // last answer at 2000 ms; probes at 3000, 4000, 5000 go unanswered; dropped at 6000
    expect(errAt - t0).toBe(6000);
    expect(errAt - t1).toBeLessThan(4000);
    expect(a.stateCounts()).toEqual({});
  });

  it("setTimeout(ms) emits 'timeout' after that much inactivity and leaves the socket open", async () => {
    const { net, a, b } = world();
    const { client, peer } = await pair(net, a, b);
    const got = collect(peer);
    const timeouts: number[] = [];
    const t0 = net.now();
    client.setTimeout(5000, () => timeouts.push(net.now() - t0));
    expect(client.timeout).toBe(5000);
    await net.run(3000);
    client.write('activity'); // restarts the idle clock
    await net.run(4000);
    expect(timeouts).toEqual([]);
    await net.run(1500);
    expect(timeouts).toEqual([8000]);
    expect(client.destroyed).toBe(false);
    client.write(' still open');
    await net.run(100);
    expect(got.text()).toBe('activity still open');
    client.setTimeout(0);
    await net.run(20_000);
    expect(timeouts).toEqual([8000]);
  });

  it('setUserTimeout(ms) aborts with ETIMEDOUT when sent data stays unacknowledged that long', async () => {
    const { net, a, b } = world();
    const { client } = await pair(net, a, b);
    client.setUserTimeout(3000);
    let err: NodeError | null = null;
    let errAt = -1;
    client.on('error', (e: NodeError) => {
      err = e;
      errAt = net.now();
    });
    net.impair('10.0.0.1', '10.0.0.2', { loss: 1 });
    const t0 = net.now();
    client.write('into the void');
    expect(await net.runUntil(() => err !== null, 600_000)).toBe(true);
    expect(err!.code).toBe('ETIMEDOUT');
    // not tcp_retries2's 15 minutes, and not a backed-off RTO late: the timer is capped at the user timeout
    expect(errAt - t0).toBe(3000);
    expect(a.stateCounts()).toEqual({});
  });

  it('setUserTimeout() before connect applies to the connection once it exists', async () => {
    const { net, a, b } = world();
    b.net.createServer((s) => s.resume()).listen(80);
    const c = new a.net.Socket();
    c.setUserTimeout(2000);
    c.connect(80, '10.0.0.2');
    let err: NodeError | null = null;
    let errAt = -1;
    c.on('error', (e: NodeError) => {
      err = e;
      errAt = net.now();
    });
    expect(await net.runUntil(() => !c.connecting, 10_000)).toBe(true);
    net.impair('10.0.0.1', '10.0.0.2', { loss: 1 });
    const t0 = net.now();
    c.write('into the void');
    expect(await net.runUntil(() => err !== null, 600_000)).toBe(true);
    expect(err!.code).toBe('ETIMEDOUT');
    expect(errAt - t0).toBeGreaterThanOrEqual(2000);
    expect(errAt - t0).toBeLessThan(4000);
  });

  it('backpressure: a server that does not read closes the window (win 0), writes return false, and resuming delivers every byte', async () => {
    const { net, a, b, packets } = world();
    const { client, peer } = await pair(net, a, b, { server: { pauseOnConnect: true } });
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 8)) & 0xff;
    let drained = false;
    client.on('drain', () => (drained = true));
    expect(client.write(big)).toBe(false);
    await net.run(5000);
    // the receiver advertised a zero window, and the sender's data stopped short of 1 MiB
    expect(packets.some((p) => p.from === '10.0.0.2' && p.seg.window === 0 && p.seg.flags & ACK)).toBe(true);
    const serverRow = rowFor(b, 80)!;
    expect(serverRow.recvQ).toBeGreaterThan(0);
    expect(serverRow.recvQ).toBeLessThan(big.length);
    expect(rowFor(a, client.localPort!)!.sendQ).toBeGreaterThan(0);
    expect(drained).toBe(false);
    expect(peer.bytesRead).toBe(0);
    // the application reads again
    const got = collect(peer);
    peer.resume();
    expect(await net.runUntil(() => got.bytes() === big.length && drained, 60_000)).toBe(true);
    expect(Buffer.concat(got.data).equals(big)).toBe(true);
  });
});
